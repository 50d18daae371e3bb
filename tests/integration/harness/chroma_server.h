#pragma once

#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/http_client.h"
#include "tests/integration/harness/process.h"

struct mg_context;
struct mg_connection;

namespace thoth::testing {

// A real ChromaDB 1.x server (the Rust server inside the npm package `chromadb`), installed into
// <source>/.chroma by scripts/setup.d/chroma.sh (run here when it is missing), listening on a
// free port of 127.0.0.1 with its data in a fresh temporary directory. Killed when destroyed.
class ChromaServer {
 public:
  ChromaServer() = default;
  ~ChromaServer();
  ChromaServer(const ChromaServer&) = delete;
  ChromaServer& operator=(const ChromaServer&) = delete;

  // Installs if needed and starts; false (with the reason in *error) when it does not answer
  // its heartbeat within 30 s.
  bool Start(std::string* error);
  // SIGKILL (SIGTERM leaves node spinning); the data stays.
  void Kill();
  // Starts again on the same port with the same data.
  bool Restart(std::string* error);
  // SIGSTOP / SIGCONT: a server that accepts connections (the kernel does) but never answers.
  void Freeze() { process_.Signal(SIGSTOP); }
  void Thaw() { process_.Signal(SIGCONT); }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Log() const;

  // REST helpers (API v2), for building test data. Each returns false / "" on failure, with the
  // server's answer in *error when given.
  bool CreateDatabase(const std::string& database, std::string* error = nullptr);
  // Returns the new collection's id.
  std::string CreateCollection(const std::string& name,
                               const std::string& database = "default_database",
                               std::string* error = nullptr);
  // Creates many collections from `threads` connections at once (the server spends ~30 ms on
  // each). Returns their ids in the order of `names`; empty on any failure.
  std::vector<std::string> CreateCollections(const std::vector<std::string>& names,
                                             const std::string& database, int threads,
                                             std::string* error = nullptr);
  // Adds `count` records with `dimension`-long embeddings, ids "<prefix><n>", in batches.
  bool AddRecords(const std::string& collection_id, int count, int dimension,
                  const std::string& database = "default_database",
                  const std::string& id_prefix = "r", std::string* error = nullptr);
  // GET or POST on the server; returns the response.
  HttpResponse Request(const std::string& method, const std::string& path,
                       const std::string& body = "");

 private:
  bool Launch(std::string* error);

  std::string dir_;
  int port_ = 0;
  ChildProcess process_;
  HttpClient client_;
};

// A small HTTP server on 127.0.0.1 (civetweb) that answers with whatever the test's handler
// says: recorded responses of old Chroma versions, error pages, stalls. Thread-safe.
class FakeChromaServer {
 public:
  struct Request {
    std::string method;
    std::string path;   // without the query
    std::string query;  // without the '?'
    std::string body;
    std::string authorization;  // the Authorization header
    std::string chroma_token;   // the X-Chroma-Token header
  };
  struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    // >= 0: send the headers (with the full Content-Length) and this many bytes of the body,
    // then stall until the server is destroyed.
    long stall_after_bytes = -1;
  };
  using Handler = std::function<Response(const Request&)>;

  explicit FakeChromaServer(Handler handler);
  ~FakeChromaServer();
  FakeChromaServer(const FakeChromaServer&) = delete;
  FakeChromaServer& operator=(const FakeChromaServer&) = delete;

  bool ok() const { return ctx_ != nullptr; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void SetHandler(Handler handler);
  std::vector<Request> requests() const;
  void ClearRequests();

  // A response with the content of a fixture file (tests/fixtures/chroma/<relative_path>).
  static Response Fixture(const std::string& relative_path, int status = 200);
  // The value of a query parameter ("" when absent).
  static std::string QueryParam(const std::string& query, const std::string& name);

 private:
  static int Handle(mg_connection* conn, void* self);

  mutable std::mutex mu_;
  Handler handler_;
  std::vector<Request> requests_;
  std::condition_variable stall_cv_;
  bool stopping_ = false;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
};

}  // namespace thoth::testing
