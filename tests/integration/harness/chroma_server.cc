#include "tests/integration/harness/chroma_server.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "civetweb.h"

namespace thoth::testing {

namespace {

constexpr char kInstallStamp[] = "/.chroma/installed-3.4.0-1.3.1";
constexpr char kCli[] = "/.chroma/node_modules/chromadb/dist/cli.mjs";

bool EnsureInstalled(std::string* error) {
  if (std::filesystem::exists(SourceDir() + kInstallStamp)) return true;
  RunResult r = Run({"bash", SourceDir() + "/scripts/setup.d/chroma.sh"}, std::chrono::minutes(5));
  if (r.exit_code != 0 || !std::filesystem::exists(SourceDir() + kInstallStamp)) {
    *error = "scripts/setup.d/chroma.sh failed: " + r.output;
    return false;
  }
  return true;
}

std::string V2Database(const std::string& database) {
  return "/api/v2/tenants/default_tenant/databases/" + UrlEncode(database);
}

}  // namespace

ChromaServer::~ChromaServer() {
  Kill();
  if (!dir_.empty()) RemoveTree(dir_);
}

bool ChromaServer::Start(std::string* error) {
  if (!EnsureInstalled(error)) return false;
  dir_ = MakeTempDir("thoth-chroma");
  port_ = FreePort();
  return Launch(error);
}

bool ChromaServer::Restart(std::string* error) { return Launch(error); }

bool ChromaServer::Launch(std::string* error) {
  if (!process_.Start({"node", SourceDir() + kCli, "run", "--path", dir_ + "/data", "--host",
                       "127.0.0.1", "--port", std::to_string(port_)},
                      dir_ + "/chroma.log")) {
    *error = "cannot start node";
    return false;
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    HttpResponse r = Request("GET", "/api/v2/heartbeat");
    if (r.transport_ok && r.status == 200) return true;
    if (!process_.Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *error = "the Chroma server did not answer its heartbeat; its log:\n" + Log();
  return false;
}

void ChromaServer::Kill() {
  if (process_.pid() > 0) process_.Stop(SIGKILL);
}

std::string ChromaServer::Log() const { return ReadFile(dir_ + "/chroma.log"); }

HttpResponse ChromaServer::Request(const std::string& method, const std::string& path,
                                   const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.url = url() + path;
  req.body = body;
  if (method != "GET") req.headers.push_back("Content-Type: application/json");
  req.connect_timeout_seconds = 2;
  req.timeout_seconds = 30;
  return client_.Fetch(req);
}

bool ChromaServer::CreateDatabase(const std::string& database, std::string* error) {
  HttpResponse r = Request("POST", "/api/v2/tenants/default_tenant/databases",
                           "{\"name\":\"" + database + "\"}");
  if (r.status == 200) return true;
  if (error) *error = std::to_string(r.status) + " " + r.error + " " + r.body;
  return false;
}

std::string ChromaServer::CreateCollection(const std::string& name, const std::string& database,
                                           std::string* error) {
  HttpResponse r =
      Request("POST", V2Database(database) + "/collections", "{\"name\":\"" + name + "\"}");
  // The id is the first "id" member of the answer: {"id":"<uuid>","name":...}.
  const std::string marker = "\"id\":\"";
  size_t at = r.body.find(marker);
  if (r.status != 200 || at == std::string::npos) {
    if (error) *error = std::to_string(r.status) + " " + r.error + " " + r.body;
    return "";
  }
  at += marker.size();
  return r.body.substr(at, r.body.find('"', at) - at);
}

std::vector<std::string> ChromaServer::CreateCollections(const std::vector<std::string>& names,
                                                         const std::string& database, int threads,
                                                         std::string* error) {
  std::vector<std::string> ids(names.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::string first_error;
  auto work = [&] {
    HttpClient client;
    for (size_t i = next++; i < names.size(); i = next++) {
      HttpRequest req;
      req.method = "POST";
      req.url = url() + V2Database(database) + "/collections";
      req.headers = {"Content-Type: application/json"};
      req.body = "{\"name\":\"" + names[i] + "\"}";
      req.timeout_seconds = 30;
      HttpResponse r = client.Fetch(req);
      const std::string marker = "\"id\":\"";
      size_t at = r.body.find(marker);
      if (r.status != 200 || at == std::string::npos) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.empty())
          first_error = std::to_string(r.status) + " " + r.error + " " + r.body;
        continue;
      }
      at += marker.size();
      ids[i] = r.body.substr(at, r.body.find('"', at) - at);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (!first_error.empty()) {
    if (error) *error = first_error;
    return {};
  }
  return ids;
}

bool ChromaServer::AddRecords(const std::string& collection_id, int count, int dimension,
                              const std::string& database, const std::string& id_prefix,
                              std::string* error) {
  constexpr int kBatch = 500;
  for (int start = 0; start < count; start += kBatch) {
    const int end = std::min(count, start + kBatch);
    std::ostringstream ids, embeddings;
    for (int i = start; i < end; ++i) {
      ids << (i == start ? "" : ",") << '"' << id_prefix << i << '"';
      embeddings << (i == start ? "[" : ",[");
      for (int d = 0; d < dimension; ++d) embeddings << (d ? "," : "") << (i % 97) * 0.01 + d;
      embeddings << ']';
    }
    HttpResponse r =
        Request("POST", V2Database(database) + "/collections/" + collection_id + "/add",
                "{\"ids\":[" + ids.str() + "],\"embeddings\":[" + embeddings.str() + "]}");
    if (r.status < 200 || r.status > 299) {
      if (error) *error = std::to_string(r.status) + " " + r.error + " " + r.body;
      return false;
    }
  }
  return true;
}

FakeChromaServer::FakeChromaServer(Handler handler) : handler_(std::move(handler)) {
  for (int attempt = 0; attempt < 5 && ctx_ == nullptr; ++attempt) {
    port_ = FreePort();
    const std::string ports = "127.0.0.1:" + std::to_string(port_);
    const char* options[] = {"listening_ports",   ports.c_str(), "num_threads", "48",
                             "enable_keep_alive", "yes",         nullptr};
    mg_callbacks callbacks{};
    ctx_ = mg_start(&callbacks, nullptr, options);
  }
  if (ctx_ != nullptr) mg_set_request_handler(ctx_, "/", &FakeChromaServer::Handle, this);
}

FakeChromaServer::~FakeChromaServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stall_cv_.notify_all();
  if (ctx_ != nullptr) mg_stop(ctx_);
}

void FakeChromaServer::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

std::vector<FakeChromaServer::Request> FakeChromaServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeChromaServer::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

FakeChromaServer::Response FakeChromaServer::Fixture(const std::string& relative_path, int status) {
  Response r;
  r.status = status;
  r.body = ReadFile(FixturesDir() + "/chroma/" + relative_path);
  if (relative_path.ends_with(".html")) r.content_type = "text/html";
  return r;
}

std::string FakeChromaServer::QueryParam(const std::string& query, const std::string& name) {
  std::istringstream in(query);
  std::string pair;
  while (std::getline(in, pair, '&')) {
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
  }
  return "";
}

int FakeChromaServer::Handle(mg_connection* conn, void* data) {
  auto* self = static_cast<FakeChromaServer*>(data);
  const mg_request_info* info = mg_get_request_info(conn);
  Request req;
  req.method = info->request_method ? info->request_method : "";
  req.path = info->local_uri ? info->local_uri : "";
  req.query = info->query_string ? info->query_string : "";
  if (const char* h = mg_get_header(conn, "Authorization")) req.authorization = h;
  if (const char* h = mg_get_header(conn, "X-Chroma-Token")) req.chroma_token = h;
  // Only a request that announces a body is read: civetweb waits for one otherwise.
  if (info->content_length > 0) {
    char buf[8192];
    for (int n; (n = mg_read(conn, buf, sizeof buf)) > 0;) req.body.append(buf, n);
  }

  Handler handler;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    self->requests_.push_back(req);
    handler = self->handler_;
  }
  Response resp = handler ? handler(req) : Response{404, "application/json", "{}", -1};
  // Headers and body in one write: a second small write waits for the client's delayed ACK
  // (Nagle), 40 ms a request.
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) +
                    " X\r\nContent-Type: " + resp.content_type +
                    "\r\nContent-Length: " + std::to_string(resp.body.size()) + "\r\n\r\n";
  if (resp.stall_after_bytes < 0) {
    out += resp.body;
    mg_write(conn, out.data(), out.size());
    return resp.status;
  }
  out += resp.body.substr(0, static_cast<size_t>(resp.stall_after_bytes));
  mg_write(conn, out.data(), out.size());
  std::unique_lock<std::mutex> lock(self->mu_);
  self->stall_cv_.wait_for(lock, std::chrono::seconds(60), [&] { return self->stopping_; });
  return resp.status;
}

}  // namespace thoth::testing
