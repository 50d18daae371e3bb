#include "collectors/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cmath>

namespace thoth::redis {

namespace {

// A zero timeval means "block forever" to hiredis: never hand it one.
timeval ToTimeval(double seconds) {
  if (!(seconds > 0.001)) seconds = 0.001;
  timeval tv;
  tv.tv_sec = static_cast<time_t>(std::floor(seconds));
  tv.tv_usec = static_cast<suseconds_t>((seconds - std::floor(seconds)) * 1e6);
  return tv;
}

Reply Convert(const redisReply* r, int depth = 0) {
  Reply out;
  if (r == nullptr) return out;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      // No command of ours nests deeper than SLOWLOG GET's entries; a deeper reply is garbage.
      if (depth < 8) {
        out.elements.reserve(r->elements);
        for (size_t i = 0; i < r->elements; ++i) {
          out.elements.push_back(Convert(r->element[i], depth + 1));
        }
      }
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

std::string ContextError(const redisContext* c) {
  if (c == nullptr) return "cannot allocate a hiredis context";
  std::string msg = c->errstr[0] != '\0' ? c->errstr : "unknown error";
  // hiredis reports a socket timeout as EAGAIN's text.
  if (c->err == REDIS_ERR_IO && msg.find("temporarily unavailable") != std::string::npos) {
    return "timed out";
  }
  if (c->err == REDIS_ERR_EOF) return "connection closed by the server";
  return msg;
}

class HiredisConnection : public Connection {
 public:
  explicit HiredisConnection(redisContext* c) : c_(c) {}
  ~HiredisConnection() override { redisFree(c_); }
  HiredisConnection(const HiredisConnection&) = delete;
  HiredisConnection& operator=(const HiredisConnection&) = delete;

  StatusOr<Reply> Command(const std::vector<std::string>& argv, double timeout_seconds) override {
    if (c_->err != 0) return Status::Error(ContextError(c_));
    if (redisSetTimeout(c_, ToTimeval(timeout_seconds)) != REDIS_OK) {
      return Status::Error(ContextError(c_));
    }
    std::vector<const char*> args;
    std::vector<size_t> lens;
    args.reserve(argv.size());
    lens.reserve(argv.size());
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c_, static_cast<int>(args.size()), args.data(), lens.data()));
    if (r == nullptr) return Status::Error(c_->err == 0 ? "no reply" : ContextError(c_));
    Reply reply = Convert(r);
    freeReplyObject(r);
    return reply;
  }

 private:
  redisContext* c_;
};

}  // namespace

StatusOr<std::unique_ptr<Connection>> ConnectHiredis(const Endpoint& endpoint,
                                                     double timeout_seconds) {
  const timeval tv = ToTimeval(timeout_seconds);
  redisContext* c = endpoint.unix_socket
                        ? redisConnectUnixWithTimeout(endpoint.path.c_str(), tv)
                        : redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
  if (c == nullptr || c->err != 0) {
    Status error =
        Status::Error("cannot connect to " + endpoint.Display() + ": " + ContextError(c));
    if (c != nullptr) redisFree(c);
    return error;
  }
  return std::unique_ptr<Connection>(std::make_unique<HiredisConnection>(c));
}

}  // namespace thoth::redis
