#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exporter/status.h"

struct sockaddr;

namespace thoth {

// One HTTP request. Only http and https are ever fetched (libcurl's other protocols are off),
// redirects are not followed unless asked, and the body read is bounded.
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; values are never logged
  std::string body;
  double connect_timeout_seconds = 5;
  double timeout_seconds = 10;  // whole request
  std::string unix_socket;      // e.g. /var/run/docker.sock; url then names only the path
  bool follow_redirects = false;
  bool verify_tls = true;
  std::string ca_file;
  bool fresh_connection = false;  // a new connection, not reused after (probes)
  bool want_cert_info = false;    // fill HttpResponse::cert_earliest_expiry
  std::size_t max_body_bytes = 16 << 20;
  // Static name resolutions consulted before DNS, in curl's --resolve form "HOST:PORT:ADDRESS".
  std::vector<std::string> resolve;
  // When set, asked before every connection with the very address the socket is about to connect
  // to (after any resolution): ok allows it, an error refuses it (no socket is opened, and the
  // response carries its message in connect_refused). Proxies from the environment are then not
  // used, so that the address checked is the server's own.
  std::function<Status(const sockaddr*)> connect_refusal;
};

// libcurl's timing of one transfer, in seconds from the start (see CURLINFO_*_TIME_T).
struct HttpTimings {
  double namelookup = 0;
  double connect = 0;
  double appconnect = 0;  // 0 when no TLS
  double pretransfer = 0;
  double starttransfer = 0;
  double total = 0;
};

struct HttpResponse {
  bool transport_ok = false;  // a response arrived (any status)
  std::string error;          // what went wrong at the transport level
  bool timed_out = false;
  int status = 0;
  std::string body;
  bool body_truncated = false;  // more than max_body_bytes came
  std::string content_type;
  double content_length = -1;  // from the header; -1 when absent
  double http_version = 0;     // 1.0, 1.1, 2
  bool tls = false;
  double cert_earliest_expiry = 0;  // unix seconds; 0 when unknown
  std::string location;             // the Location header of a 3xx response, as sent
  std::string connect_refused;      // why connect_refusal refused a connection ("" if it did not)
  HttpTimings timings;
};

// A libcurl easy handle wrapper. One instance per thread (not thread-safe); keeping an instance
// keeps its connection alive between requests unless the request asks for a fresh one.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Never throws.
  HttpResponse Fetch(const HttpRequest& request);

 private:
  void* curl_;  // CURL*
};

// libcurl's global set-up (curl_global_init), once; every HttpClient calls it first, so that
// it runs only when an HTTP client is made. Thread-safe.
void InitHttpClientLibrary();

// Percent-encodes a string for use in a URL path segment or query value.
std::string UrlEncode(const std::string& s);

}  // namespace thoth
