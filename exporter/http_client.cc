#include "exporter/http_client.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <cstring>
#include <ctime>

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
  const std::function<std::string(const sockaddr*)>* refusal;
  std::string refused;  // the first reason given
};

curl_socket_t OpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<ConnectGuard*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN) {
    std::string why = (*guard->refusal)(&address->addr);
    if (!why.empty()) {
      if (guard->refused.empty()) guard->refused = std::move(why);
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

}  // namespace

void InitHttpClientLibrary() { curl_global_init(CURL_GLOBAL_DEFAULT); }

HttpClient::HttpClient() : curl_(curl_easy_init()) {}

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
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
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
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  }
  if (req.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
  }

  CURLcode rc = curl_easy_perform(curl);
  resp.body_truncated = state.truncated;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  resp.status = static_cast<int>(status);
  if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && state.truncated)) {
    resp.transport_ok = status > 0;
  } else {
    resp.error = curl_easy_strerror(rc);
    resp.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
  }
  if (status > 0 && !resp.transport_ok && rc != CURLE_OK) {
    // Headers arrived, the body did not (a stall mid-body): a failure all the same.
    resp.status = static_cast<int>(status);
  }
  resp.connect_refused = std::move(guard.refused);
  if (status >= 300 && status < 400) {
    curl_header* location = nullptr;
    if (curl_easy_header(curl, "Location", 0, CURLH_HEADER, -1, &location) == CURLHE_OK &&
        location != nullptr && location->value != nullptr) {
      resp.location = location->value;
    }
  }
  char* ct = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != nullptr) {
    resp.content_type = ct;
  }
  curl_off_t cl = -1;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK) {
    resp.content_length = static_cast<double>(cl);
  }
  long version = 0;
  if (curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version) == CURLE_OK) {
    switch (version) {
      case CURL_HTTP_VERSION_1_0:
        resp.http_version = 1.0;
        break;
      case CURL_HTTP_VERSION_1_1:
        resp.http_version = 1.1;
        break;
      case CURL_HTTP_VERSION_2_0:
        resp.http_version = 2;
        break;
      case CURL_HTTP_VERSION_3:
        resp.http_version = 3;
        break;
      default:
        resp.http_version = 0;
    }
  }
  resp.timings.namelookup = Seconds(curl, CURLINFO_NAMELOOKUP_TIME_T);
  resp.timings.connect = Seconds(curl, CURLINFO_CONNECT_TIME_T);
  resp.timings.appconnect = Seconds(curl, CURLINFO_APPCONNECT_TIME_T);
  resp.timings.pretransfer = Seconds(curl, CURLINFO_PRETRANSFER_TIME_T);
  resp.timings.starttransfer = Seconds(curl, CURLINFO_STARTTRANSFER_TIME_T);
  resp.timings.total = Seconds(curl, CURLINFO_TOTAL_TIME_T);
  resp.tls = resp.timings.appconnect > 0;
  if (req.want_cert_info) {
    curl_certinfo* info = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &info) == CURLE_OK && info != nullptr) {
      for (int i = 0; i < info->num_of_certs; ++i) {
        for (curl_slist* s = info->certinfo[i]; s != nullptr; s = s->next) {
          static constexpr const char kExpire[] = "Expire date:";
          if (std::strncmp(s->data, kExpire, sizeof kExpire - 1) == 0) {
            time_t t = curl_getdate(s->data + sizeof kExpire - 1, nullptr);
            if (t > 0 && (resp.cert_earliest_expiry == 0 || t < resp.cert_earliest_expiry)) {
              resp.cert_earliest_expiry = static_cast<double>(t);
            }
          }
        }
      }
    }
  }
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
