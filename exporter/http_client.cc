#include "exporter/http_client.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <mutex>

namespace thoth {

namespace {

struct BodyState {
  std::string* body;
  std::size_t max;
  bool truncated = false;
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* state = static_cast<BodyState*>(user);
  const size_t n = size * nmemb;
  const size_t room = state->max > state->body->size() ? state->max - state->body->size() : 0;
  if (n > room) {
    state->body->append(data, room);
    state->truncated = true;
    return 0;  // stop the transfer: the rest is not wanted
  }
  state->body->append(data, n);
  return n;
}

struct ConnectGuard {
  const std::function<Status(const sockaddr*)>* refusal;
  std::string refused;  // the first reason given
};

curl_socket_t OpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<ConnectGuard*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN) {
    Status allowed = (*guard->refusal)(&address->addr);
    if (!allowed.ok()) {
      if (guard->refused.empty()) guard->refused = allowed.message();
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

double Seconds(CURL* curl, CURLINFO info) {
  curl_off_t us = 0;
  if (curl_easy_getinfo(curl, info, &us) != CURLE_OK) return 0;
  return static_cast<double>(us) / 1e6;
}

// The options of the transfer itself: where, how long, what to send and where the body goes.
void SetTransferOptions(CURL* curl, const HttpRequest& req, BodyState* state, curl_slist* headers) {
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(req.connect_timeout_seconds * 1000));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   std::max(1L, static_cast<long>(req.timeout_seconds * 1000)));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "thoth-exporter");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, state);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (req.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }
}

// The options of the connection: TLS, socket, reuse, name resolution and the connect guard.
void SetConnectionOptions(CURL* curl, const HttpRequest& req, curl_slist* resolve,
                          ConnectGuard* guard) {
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, req.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, req.verify_tls ? 2L : 0L);
  if (!req.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, req.ca_file.c_str());
  if (!req.unix_socket.empty()) {
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, req.unix_socket.c_str());
  }
  if (req.fresh_connection) {
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  }
  if (req.want_cert_info) curl_easy_setopt(curl, CURLOPT_CERTINFO, 1L);
  if (resolve != nullptr) curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
  if (req.connect_refusal) {
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, guard);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  }
}

// Whether a response came, and its status; a status whose body did not arrive (a stall
// mid-body) stays in resp->status, but the transfer is a failure all the same.
void ReadOutcome(CURL* curl, CURLcode rc, const BodyState& state, HttpResponse* resp) {
  resp->body_truncated = state.truncated;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  resp->status = static_cast<int>(status);
  if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && state.truncated)) {
    resp->transport_ok = status > 0;
  } else {
    resp->error = curl_easy_strerror(rc);
    resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  }
}

double HttpVersion(long version) {
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
      return 1.0;
    case CURL_HTTP_VERSION_1_1:
      return 1.1;
    case CURL_HTTP_VERSION_2_0:
      return 2;
    case CURL_HTTP_VERSION_3:
      return 3;
    default:
      return 0;
  }
}

// Location (of a 3xx), content type and length, HTTP version.
void ReadHeaders(CURL* curl, HttpResponse* resp) {
  if (resp->status >= 300 && resp->status < 400) {
    curl_header* location = nullptr;
    if (curl_easy_header(curl, "Location", 0, CURLH_HEADER, -1, &location) == CURLHE_OK &&
        location != nullptr && location->value != nullptr) {
      resp->location = location->value;
    }
  }
  char* ct = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr) {
    resp->content_type = ct;
  }
  curl_off_t cl = -1;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK) {
    resp->content_length = static_cast<double>(cl);
  }
  long version = 0;
  if (curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version) == CURLE_OK) {
    resp->http_version = HttpVersion(version);
  }
}

HttpTimings ReadTimings(CURL* curl) {
  HttpTimings t;
  t.namelookup = Seconds(curl, CURLINFO_NAMELOOKUP_TIME_T);
  t.connect = Seconds(curl, CURLINFO_CONNECT_TIME_T);
  t.appconnect = Seconds(curl, CURLINFO_APPCONNECT_TIME_T);
  t.pretransfer = Seconds(curl, CURLINFO_PRETRANSFER_TIME_T);
  t.starttransfer = Seconds(curl, CURLINFO_STARTTRANSFER_TIME_T);
  t.total = Seconds(curl, CURLINFO_TOTAL_TIME_T);
  return t;
}

// The earliest "Expire date" of the certificate chain, in unix seconds; 0 when unknown.
double EarliestCertExpiry(CURL* curl) {
  double earliest = 0;
  curl_certinfo* info = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &info) != CURLE_OK || info == nullptr) return 0;
  for (int i = 0; i < info->num_of_certs; ++i) {
    for (curl_slist* s = info->certinfo[i]; s != nullptr; s = s->next) {
      static constexpr const char kExpire[] = "Expire date:";
      if (std::strncmp(s->data, kExpire, sizeof kExpire - 1) == 0) {
        time_t t = curl_getdate(s->data + sizeof kExpire - 1, nullptr);
        if (t > 0 && (earliest == 0 || t < earliest)) earliest = static_cast<double>(t);
      }
    }
  }
  return earliest;
}

}  // namespace

void InitHttpClientLibrary() {
  // Once, on the first client: libcurl's global set-up initialises OpenSSL whole (its
  // configuration, providers and error strings: 1.5 MiB of resident pages of libcrypto), which
  // an exporter without an HTTP, Chroma, JSON or container target never needs.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpClient::HttpClient() : curl_((InitHttpClientLibrary(), curl_easy_init())) {}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResponse HttpClient::Fetch(const HttpRequest& req) {
  HttpResponse resp;
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) {
    resp.error = "cannot initialise libcurl";
    return resp;
  }
  curl_easy_reset(curl);
  BodyState state{&resp.body, req.max_body_bytes};
  curl_slist* headers = nullptr;
  for (const auto& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  curl_slist* resolve = nullptr;
  for (const auto& r : req.resolve) resolve = curl_slist_append(resolve, r.c_str());
  ConnectGuard guard{&req.connect_refusal, {}};
  SetTransferOptions(curl, req, &state, headers);
  SetConnectionOptions(curl, req, resolve, &guard);

  const CURLcode rc = curl_easy_perform(curl);
  ReadOutcome(curl, rc, state, &resp);
  resp.connect_refused = std::move(guard.refused);
  ReadHeaders(curl, &resp);
  resp.timings = ReadTimings(curl);
  resp.tls = resp.timings.appconnect > 0;
  if (req.want_cert_info) resp.cert_earliest_expiry = EarliestCertExpiry(curl);

  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  // The handle keeps CURLOPT_RESOLVE entries in its DNS cache: a later request through this
  // client must not inherit them, so the handle goes with this request.
  if (resolve != nullptr) {
    curl_easy_cleanup(curl);
    curl_ = curl_easy_init();
    curl_slist_free_all(resolve);
  }
  return resp;
}

std::string UrlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace thoth
