#include "collectors/http/probe.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "exporter/health_check.h"
#include "exporter/memory_errors.h"

namespace thoth::http {

namespace {

constexpr double kMinProbeSeconds = 0.01;

bool IsHeaderToken(const std::string& name) {
  static const std::string kExtra = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || kExtra.find(static_cast<char>(c)) != std::string::npos;
  });
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Where a URL points, for a reason: scheme, host and port only (the path and query may carry
// tokens, and come from the remote side).
std::string Origin(const ProbeUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return url.scheme + "://" + (v6 ? "[" + url.host + "]" : url.host) + ":" +
         std::to_string(url.port);
}

bool SameOrigin(const ProbeUrl& a, const ProbeUrl& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

// The headers a hop to `hop` gets: credentials only where the first URL pointed.
std::vector<std::string> HeadersForHop(const std::vector<std::string>& headers,
                                       const ProbeUrl& first, const ProbeUrl& hop) {
  if (SameOrigin(first, hop)) return headers;
  std::vector<std::string> out;
  for (const auto& h : headers) {
    if (StartsWithIgnoreCase(h, "Authorization:") || StartsWithIgnoreCase(h, "Cookie:") ||
        StartsWithIgnoreCase(h, "Proxy-Authorization:")) {
      continue;
    }
    out.push_back(h);
  }
  return out;
}

// Redirect chains longer than this are not worth configuring (browsers stop at 20).
constexpr std::int64_t kMaxRedirectsLimit = 20;

}  // namespace

bool ProbeGuard::Allows(const ProbeUrl& url) const {
  if (url.has_credentials) return false;
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const UrlPattern& p) { return p.Matches(url); });
}

Status ProbeGuard::ConnectAllowed(const sockaddr* address) const {
  auto ip = IpAddressFromSockaddr(address);
  if (!ip) return Status::Error("refused to connect to an address that is neither IPv4 nor IPv6");
  if (const IpNetwork* net = FindNetwork(denied, *ip)) {
    return Status::Error("refused to connect to " + ip->ToString() +
                         ": it is in probe.denied_networks (" + net->text() + ")");
  }
  return Status::Ok();
}

ProbeGuard ParseProbeGuard(const ConfigNode& probe) {
  ProbeGuard guard;
  for (const auto& item : probe.Child("allowed_targets").Items()) {
    auto pattern = UrlPattern::Parse(item.AsString());
    if (!pattern.ok()) item.Fail(pattern.status().message());
    guard.allowed.push_back(std::move(pattern).value());
  }
  auto add = [&guard](const std::string& text, const ConfigNode* where) {
    auto net = IpNetwork::Parse(text);
    if (!net.ok()) {
      if (where != nullptr) where->Fail(net.status().message());
      // Reached only by DefaultDeniedNetworks() added without a node: compiled-in constants
      // that ip_network_test parses, so this cannot fail in a correct build.
      throw ConfigError("built-in denied network " + text + ": " + net.status().message());
    }
    guard.denied.push_back(std::move(net).value());
  };
  const ConfigNode denied = probe.Child("denied_networks");
  if (!probe.Has("denied_networks")) {
    for (const auto& text : DefaultDeniedNetworks()) add(text, nullptr);
  } else {
    if (!denied.IsNull() && !denied.IsSequence()) {
      denied.Fail("expected a list of networks, e.g. [default, 10.0.0.0/8]");
    }
    for (const auto& item : denied.Items()) {
      const std::string text = item.AsString();
      if (text == "default") {
        for (const auto& d : DefaultDeniedNetworks()) add(d, &item);
      } else {
        add(text, &item);
      }
    }
  }
  return guard;
}

const std::vector<std::string>& ProbeSpecKeys() {
  static const std::vector<std::string> kKeys = {
      "method",        "headers",     "body",         "bearer_token", "bearer_token_file",
      "expect_status", "expect_json", "expect_regex", "timeout",      "follow_redirects",
      "tls_insecure",  "ca_file",     "max_redirects"};
  return kKeys;
}

nlohmann::json ExpectedJsonFromConfig(const ConfigNode& node) {
  if (node.IsNull()) return nullptr;
  if (node.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : node.Entries()) out[key] = ExpectedJsonFromConfig(value);
    return out;
  }
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node.Items()) out.push_back(ExpectedJsonFromConfig(item));
    return out;
  }
  return node.AsString();
}

// method, upper-cased and one of the known ones.
static void ParseMethod(const ConfigNode& node, ProbeSpec& spec) {
  spec.method = node.String("method", "GET");
  std::transform(spec.method.begin(), spec.method.end(), spec.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  static const std::vector<std::string> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                    "PATCH", "DELETE", "OPTIONS"};
  if (std::find(kMethods.begin(), kMethods.end(), spec.method) == kMethods.end()) {
    node.FailKey("method", "expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
  }
}

// headers: and bearer_token(_file): the request's extra header lines.
static void ParseHeaders(const ConfigNode& node, ProbeSpec& spec) {
  bool has_authorization = false;
  const ConfigNode headers = node.Child("headers");
  if (!headers.IsNull()) {
    for (const auto& [name, value] : headers.Entries()) {
      if (!IsHeaderToken(name)) value.Fail("not a valid header name");
      std::string v = value.AsString();
      if (v.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
        value.Fail("a header value cannot contain line breaks or NUL");
      }
      has_authorization = has_authorization || IEquals(name, "Authorization");
      spec.headers.push_back(name + ": " + v);
    }
  }
  if (auto token = node.Secret("bearer_token")) {
    if (has_authorization) {
      node.Fail("give either bearer_token(_file) or an Authorization header, not both");
    }
    if (token->find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      node.Fail("the bearer token cannot contain line breaks or NUL");
    }
    spec.headers.push_back("Authorization: Bearer " + *token);
  }
}

// expect_status: one status or a list.
static void ParseExpectStatus(const ConfigNode& node, ProbeSpec& spec) {
  const ConfigNode statuses = node.Child("expect_status");
  if (statuses.IsScalar()) {
    spec.expect_status.push_back(static_cast<int>(statuses.AsInteger()));
  } else {
    for (const auto& item : statuses.Items()) {
      std::int64_t s = item.AsInteger();
      if (s < 100 || s > 599) item.Fail("an HTTP status is between 100 and 599");
      spec.expect_status.push_back(static_cast<int>(s));
    }
  }
  for (int s : spec.expect_status) {
    if (s < 100 || s > 599) statuses.Fail("an HTTP status is between 100 and 599");
  }
}

// expect_json, expect_regex: what the body must hold.
static void ParseExpectBody(const ConfigNode& node, ProbeSpec& spec) {
  const ConfigNode json = node.Child("expect_json");
  if (!json.IsNull()) {
    if (!json.IsMap() && !json.IsSequence()) {
      json.Fail("expected a mapping (or list) to find in the JSON body, e.g. {status: healthy}");
    }
    spec.expect_body.json = ExpectedJsonFromConfig(json);
  }
  const std::string regex = node.String("expect_regex", "");
  if (!regex.empty()) {
    auto compiled = BodyRegex::Compile(regex);
    if (!compiled.ok()) {
      node.FailKey("expect_regex",
                   "not a valid regular expression (RE2 syntax): " + compiled.status().message());
    }
    spec.expect_body.regex = std::move(compiled).value();
  }
  if (spec.method == "HEAD" && !spec.expect_body.empty()) {
    node.FailKey("method", "a HEAD response has no body for expect_json/expect_regex to check");
  }
}

// timeout, redirects, TLS.
static void ParseTransport(const ConfigNode& node, double default_timeout_seconds,
                           ProbeSpec& spec) {
  spec.timeout_seconds = node.Duration("timeout", default_timeout_seconds);
  if (spec.timeout_seconds <= 0) node.FailKey("timeout", "must be above 0");
  spec.follow_redirects = node.Bool("follow_redirects", false);
  if (node.Has("max_redirects")) {
    const std::int64_t n = node.Integer("max_redirects", spec.max_redirects);
    if (n < 0 || n > kMaxRedirectsLimit) {
      node.FailKey("max_redirects", "must be between 0 and " + std::to_string(kMaxRedirectsLimit));
    }
    if (!spec.follow_redirects) {
      node.FailKey("max_redirects", "applies only with follow_redirects: true");
    }
    spec.max_redirects = static_cast<int>(n);
  }
  spec.tls_insecure = node.Bool("tls_insecure", false);
  spec.ca_file = node.String("ca_file", "");
  if (spec.tls_insecure && !spec.ca_file.empty()) {
    node.FailKey("ca_file", "give either tls_insecure or ca_file, not both");
  }
}

ProbeSpec ParseProbeSpec(const ConfigNode& node, double default_timeout_seconds) {
  ProbeSpec spec;
  ParseMethod(node, spec);
  ParseHeaders(node, spec);
  spec.body = node.String("body", "");
  ParseExpectStatus(node, spec);
  ParseExpectBody(node, spec);
  ParseTransport(node, default_timeout_seconds, spec);
  return spec;
}

ProbeResult EvaluateResponse(const ProbeSpec& spec, HttpResponse response, double duration) {
  ProbeResult r;
  r.duration_seconds = duration;
  r.response = std::move(response);
  const HttpResponse& resp = r.response;
  if (!resp.transport_ok) {
    if (resp.status > 0) {
      r.detail = "HTTP " + std::to_string(resp.status) + " but the body did not arrive: " +
                 (resp.error.empty() ? "transfer failed" : resp.error);
    } else {
      r.detail = "no response: " + (resp.error.empty() ? "transfer failed" : resp.error);
    }
    return r;
  }
  if (!StatusExpected(resp.status, spec.expect_status)) {
    r.detail = "HTTP " + std::to_string(resp.status) + ", expected " +
               DescribeExpectedStatus(spec.expect_status);
    return r;
  }
  if (!spec.expect_body.empty()) {
    std::string why = CheckBody(resp.body, resp.body_truncated, spec.expect_body);
    if (!why.empty()) {
      r.failed_due_to_body = true;
      r.detail = why;
      return r;
    }
  }
  r.success = true;
  return r;
}

ProbePhases PhasesFromTimings(const HttpTimings& t, bool tls) {
  auto nonneg = [](double v) { return v > 0 ? v : 0.0; };
  ProbePhases p;
  p.resolve = nonneg(t.namelookup);
  if (t.connect > 0) p.connect = nonneg(t.connect - t.namelookup);
  if (tls && t.appconnect > 0 && t.connect > 0) p.tls = nonneg(t.appconnect - t.connect);
  if (t.starttransfer > 0) {
    p.processing = nonneg(t.starttransfer - t.pretransfer);
    p.transfer = nonneg(t.total - t.starttransfer);
  }
  return p;
}

void WriteProbeMetrics(const ProbeResult& result, MetricSink& sink) {
  const HttpResponse& resp = result.response;
  sink.Gauge("probe_success", "Whether the probe succeeded (transport, status and body checks)", {},
             result.success ? 1 : 0);
  sink.Gauge("probe_duration_seconds", "How long the probe took to complete in seconds", {},
             result.duration_seconds);
  ProbePhases p = PhasesFromTimings(resp.timings, resp.tls);
  // As blackbox_exporter: a phase of a redirect chain is the sum over its hops.
  p.resolve += result.earlier_hops.resolve;
  p.connect += result.earlier_hops.connect;
  p.tls += result.earlier_hops.tls;
  p.processing += result.earlier_hops.processing;
  p.transfer += result.earlier_hops.transfer;
  static constexpr const char* kPhaseHelp = "Duration of the probe by phase (libcurl timings)";
  sink.Gauge("probe_http_duration_seconds", kPhaseHelp, {{"phase", "resolve"}}, p.resolve);
  sink.Gauge("probe_http_duration_seconds", kPhaseHelp, {{"phase", "connect"}}, p.connect);
  sink.Gauge("probe_http_duration_seconds", kPhaseHelp, {{"phase", "tls"}}, p.tls);
  sink.Gauge("probe_http_duration_seconds", kPhaseHelp, {{"phase", "processing"}}, p.processing);
  sink.Gauge("probe_http_duration_seconds", kPhaseHelp, {{"phase", "transfer"}}, p.transfer);
  sink.Gauge("probe_http_status_code", "Response HTTP status code (0 when none arrived)", {},
             resp.status);
  sink.Gauge("probe_http_content_length",
             "Length of the HTTP content response from the Content-Length header (-1 = absent)", {},
             resp.content_length);
  sink.Gauge("probe_http_version", "Returned HTTP version (0 when no response)", {},
             resp.http_version);
  if (resp.tls && resp.cert_earliest_expiry > 0) {
    sink.Gauge("probe_ssl_earliest_cert_expiry",
               "Returned earliest SSL certificate expiry date in unixtime", {},
               resp.cert_earliest_expiry);
  }
  sink.Gauge("probe_http_redirects", "The number of redirects followed", {}, result.redirects);
  sink.Gauge("probe_failed_due_to_body",
             "Whether the probe failed because the body did not match expect_json/expect_regex", {},
             result.failed_due_to_body ? 1 : 0);
}

void AdjustRequestForRedirect(int status, HttpRequest& req) {
  const bool to_get = status == 303 ? req.method != "HEAD"
                                    : (status == 301 || status == 302) && req.method == "POST";
  if (to_get) {
    req.method = "GET";
    req.body.clear();
  }
}

// The request of the first hop, before its URL, headers and timeouts.
static HttpRequest BaseRequest(const ProbeSpec& spec, const ProbeGuard* guard) {
  HttpRequest req;
  req.method = spec.method;
  req.body = spec.body;
  req.verify_tls = !spec.tls_insecure;
  req.ca_file = spec.ca_file;
  // A new connection every time, as blackbox_exporter does: the connect and TLS phases are
  // measured on every probe and a dead listener cannot hide behind a kept-alive socket.
  req.fresh_connection = true;
  req.max_body_bytes = kProbeMaxBodyBytes;
  if (guard != nullptr) {
    req.resolve = guard->resolve;
    req.connect_refusal = [guard](const sockaddr* a) { return guard->ConnectAllowed(a); };
  }
  return req;
}

// What the hops of one probe ended with.
struct Hops {
  HttpResponse resp;    // the last hop's
  ProbePhases earlier;  // the phases of the hops before it, summed
  int redirects = 0;
  std::string refusal;  // why the probe was refused, or ""
  bool timed_out = false;
};

static void AddPhases(const ProbePhases& p, ProbePhases& sum) {
  sum.resolve += p.resolve;
  sum.connect += p.connect;
  sum.tls += p.tls;
  sum.processing += p.processing;
  sum.transfer += p.transfer;
}

// Fetches `first`, then follows redirects when the spec allows, within `timeout` seconds of
// `elapsed()`.
template <typename Elapsed>
static Hops FetchHops(const ProbeSpec& spec, const ProbeUrl& first, const ProbeGuard* guard,
                      double timeout, Elapsed elapsed) {
  HttpRequest req = BaseRequest(spec, guard);
  ProbeUrl current = first;
  Hops hops;
  for (;;) {
    if (guard != nullptr && !guard->Allows(current)) {
      hops.refusal = "target refused: the URL matches no entry of probe.allowed_targets";
      break;
    }
    const double remaining = timeout - elapsed();
    if (remaining < kMinProbeSeconds) {  // the redirects used up the time
      hops.resp = HttpResponse{};
      hops.timed_out = true;
      break;
    }
    req.url = current.normalized;
    req.headers = HeadersForHop(spec.headers, first, current);
    req.connect_timeout_seconds = remaining;
    req.timeout_seconds = remaining;
    req.want_cert_info = current.scheme == "https";
    HttpClient client;
    hops.resp = client.Fetch(req);
    if (!hops.resp.connect_refused.empty()) {
      hops.refusal = hops.resp.connect_refused;
      break;
    }
    if (hops.resp.timed_out) hops.timed_out = true;
    if (!spec.follow_redirects || !hops.resp.transport_ok || !IsRedirect(hops.resp.status) ||
        hops.resp.location.empty()) {
      break;
    }
    if (hops.redirects >= spec.max_redirects) {
      hops.refusal = "redirect refused: more than " + std::to_string(spec.max_redirects) +
                     " redirects (max_redirects)";
      break;
    }
    auto next = ResolveRedirect(current, hops.resp.location);
    if (!next.ok()) {
      hops.refusal = "redirect refused: " + next.status().message();
      break;
    }
    if (guard != nullptr && !guard->Allows(*next)) {
      hops.refusal = "redirect refused: " + Origin(*next) +
                     (next->has_credentials ? " (with credentials in the URL)" : "") +
                     " matches no entry of probe.allowed_targets";
      break;
    }
    AddPhases(PhasesFromTimings(hops.resp.timings, hops.resp.tls), hops.earlier);
    ++hops.redirects;
    AdjustRequestForRedirect(hops.resp.status, req);
    current = std::move(*next);
  }
  return hops;
}

// A refusal or a timeout overrides what the response alone said.
static void ApplyRefusalOrTimeout(const Hops& hops, const ProbeSpec& spec, double timeout,
                                  ProbeResult& result) {
  if (!hops.refusal.empty()) {
    result.success = false;
    result.failed_due_to_body = false;
    result.refused = true;
    result.detail = hops.refusal;
  } else if (hops.timed_out) {
    const std::string why =
        FormatNumber(timeout) + " s" +
        (timeout < spec.timeout_seconds ? " (cut short by the scrape deadline)" : " (timeout)");
    result.success = false;
    result.detail = result.response.status > 0 ? "HTTP " + std::to_string(result.response.status) +
                                                     " but the body did not complete within " + why
                                               : "no complete response within " + why;
  }
}

ProbeResult RunProbe(const ProbeSpec& spec, const std::string& url, const ScrapeContext& ctx,
                     MemoryErrors* memory_errors, const ProbeGuard* guard) {
  ProbeResult result;
  try {
    // Up to the I/O deadline: a probe that runs out of time still writes probe_success 0 and
    // returns before the engine gives up on it.
    const double left = ctx.IoSecondsLeft();
    const double timeout = std::min(spec.timeout_seconds, left);
    if (timeout < kMinProbeSeconds) {
      result.detail = "no time left before the scrape deadline";
      return result;
    }
    const auto first = ParseProbeUrl(url);
    if (!first.ok()) {
      result.detail = "not a URL that can be probed: " + first.status().message();
      return result;
    }
    const auto start = Clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    Hops hops = FetchHops(spec, *first, guard, timeout, elapsed);
    const double duration = elapsed();
    result = EvaluateResponse(spec, std::move(hops.resp), duration);
    result.redirects = hops.redirects;
    result.earlier_hops = hops.earlier;
    ApplyRefusalOrTimeout(hops, spec, timeout, result);
    if (memory_errors != nullptr) {
      const int status = result.response.status;
      if (status == 401 || status == 403) memory_errors->Add(MemCode::kAuthFailed, "http");
      if (status == 429) memory_errors->Add(MemCode::kRateLimited, "http");
    }
  } catch (const std::exception& e) {
    result.success = false;
    result.detail = std::string("probe failed: ") + e.what();
  }
  return result;
}

}  // namespace thoth::http
