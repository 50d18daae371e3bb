#include "tests/integration/harness/redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <chrono>
#include <thread>

namespace thoth::testing {

namespace {

std::string ReplyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out += '\n';
        out += ReplyText(r->element[i]);
      }
      return out;
    }
    default:
      return "";
  }
}

}  // namespace

RedisServer::~RedisServer() {
  Stop();
  if (!dir_.empty()) RemoveTree(dir_);
}

bool RedisServer::Start(const std::vector<std::string>& extra_config,
                        const std::string& admin_password) {
  dir_ = MakeTempDir("thoth-redis");
  port_ = FreePort();
  admin_password_ = admin_password;
  std::string conf = "port " + std::to_string(port_) +
                     "\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndaemonize no\ndir " + dir_ +
                     "\nlogfile \"\"\n";
  for (const auto& line : extra_config) conf += line + "\n";
  WriteFile(dir_ + "/redis.conf", conf);
  return Launch();
}

bool RedisServer::Launch() {
  if (!process_.Start({"redis-server", dir_ + "/redis.conf"}, dir_ + "/redis.log")) return false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    bool ok = false;
    if (Command({"PING"}, &ok) == "PONG" && ok) return true;
    if (!process_.Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void RedisServer::Stop() { process_.Stop(SIGTERM, std::chrono::seconds(10)); }

bool RedisServer::Restart() {
  Stop();
  return Launch();
}

std::string RedisServer::Log() const { return ReadFile(dir_ + "/redis.log"); }

std::string RedisServer::Command(const std::vector<std::string>& argv, bool* ok) const {
  if (ok != nullptr) *ok = false;
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, {2, 0});
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return "";
  }
  redisSetTimeout(c, {10, 0});
  auto run = [c](const std::vector<std::string>& args, bool* good) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), ptrs.data(), lens.data()));
    *good = r != nullptr;
    if (r == nullptr) return std::string();
    std::string text = ReplyText(r);
    freeReplyObject(r);
    return text;
  };
  bool good = true;
  if (!admin_password_.empty()) run({"AUTH", admin_password_}, &good);
  std::string out = good ? run(argv, &good) : "";
  redisFree(c);
  if (ok != nullptr) *ok = good;
  return out;
}

std::string RedisServer::InfoField(const std::string& field) const {
  const std::string info = Info("all");
  const std::string key = "\n" + field + ":";
  size_t pos = ("\n" + info).find(key);
  if (pos == std::string::npos) return "";
  pos += key.size() - 1;  // offset in info (the "\n" prefix shifted it by one)
  const size_t end = info.find_first_of("\r\n", pos);
  return info.substr(pos, end - pos);
}

}  // namespace thoth::testing
