// /probe cannot be turned against the network the exporter sits in: every hop of a redirect
// chain is judged before it is requested, and no connection goes to a denied address. Real
// servers on 127.0.0.1; every refused server counts its requests, and must have seen none.

#include <cmath>

#include "collectors/http/http_collector.h"
#include "collectors/http/probe.h"
#include "exporter/http_client.h"
#include "exporter/registry.h"
#include "gtest/gtest.h"
#include "tests/integration/http/servers.h"

namespace thoth::http {
namespace {

using testing::HttpTestServer;

ScrapeContext Deadline() { return ScrapeContext{Clock::now() + std::chrono::seconds(8)}; }

std::size_t Hits(const HttpTestServer& s) { return s.RemotePorts().size(); }

// A URL on `server` that answers 302 to `location`.
std::string RedirectTo(const std::string& location) {
  return server->Url("/respond?status=302&location=" + UrlEncode(location));
}

std::string Allowed(const std::vector<std::string>& patterns) {
  std::string out = "[";
  for (const auto& p : patterns) out += (out.size() > 1 ? ", '" : "'") + p + "'";
  return out + "]";
}

std::string Origin(const HttpTestServer& s) {
  return "http://127.0.0.1:" + std::to_string(s.port());
}

struct Probed {
  double success = NAN, status = NAN, redirects = NAN;
};

Probed ProbeThrough(AdHocProber& prober, const std::string& url, const std::string& module) {
  EXPECT_TRUE(prober.Allowed(url, module).ok())
      << url << ": " << prober.Allowed(url, module).message();
  MetricSink sink;
  prober.Probe(url, module, Deadline(), sink);
  Probed p;
  FindSample(sink.families(), "probe_success", {}, &p.success);
  FindSample(sink.families(), "probe_http_status_code", {}, &p.status);
  FindSample(sink.families(), "probe_http_redirects", {}, &p.redirects);
  return p;
}

std::shared_ptr<AdHocProber> Prober(const std::vector<std::string>& allowed,
                                    const std::string& more = "") {
  return BuildProber("http",
                     ParseYaml("probe:\n  allowed_targets: " + Allowed(allowed) + "\n" + more +
                                   "  modules: {follow: {follow_redirects: true, timeout: 2s}}\n",
                               "test.yml"),
                     CollectorEnv{});
}

ProbeGuard Guard(const std::vector<std::string>& allowed, const std::string& denied = "",
                 std::vector<std::string> resolve = {}) {
  ProbeGuard guard =
      ParseProbeGuard(ParseYaml("{allowed_targets: " + Allowed(allowed) +
                                    (denied.empty() ? "" : ", denied_networks: " + denied) + "}",
                                "test.yml"));
  guard.resolve = std::move(resolve);
  return guard;
}

ProbeSpec Follow() {
  ProbeSpec spec;
  spec.follow_redirects = true;
  spec.timeout_seconds = 2;
  return spec;
}

// One server an attacker wants to reach, for the whole suite (stopping civetweb takes 2 s);
// each test counts the requests it saw from the test's start.
class ProbeSecurity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    outside_ = new HttpTestServer;
    ASSERT_TRUE(outside_->Start(8));
  }
  static void TearDownTestSuite() {
    delete outside_;
    outside_ = nullptr;
  }
  void SetUp() override { base_ = Hits(*outside_); }
  std::size_t OutsideHits() const { return Hits(*outside_) - base_; }

  static HttpTestServer* outside_;
  std::size_t base_ = 0;
};
HttpTestServer* ProbeSecurity::outside_ = nullptr;

TEST_F(ProbeSecurity, TheIssueAsReported) {
  // allowed_targets names one port; /r there redirects to another port on the same host.
  auto prober = Prober({Origin(*server) + "/*"});
  const std::size_t before = Hits(*server);
  Probed p = ProbeThrough(*prober, RedirectTo(outside_->Url("/respond?body=secret")), "follow");
  EXPECT_EQ(p.success, 0);
  EXPECT_EQ(p.status, 302);  // the answer of the last request made
  EXPECT_EQ(p.redirects, 0);
  EXPECT_EQ(OutsideHits(), 0u) << "a redirect outside probe.allowed_targets was followed";
  EXPECT_EQ(Hits(*server), before + 1);

  // The same redirect, with the second port allowed too, is followed: the count above can fail.
  auto both = Prober({Origin(*server) + "/*", Origin(*outside_) + "/*"});
  Probed ok = ProbeThrough(*both, RedirectTo(outside_->Url("/respond")), "follow");
  EXPECT_EQ(ok.success, 1);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.redirects, 1);
  EXPECT_EQ(OutsideHits(), 1u);
}

TEST_F(ProbeSecurity, RefusedHopsSayWhy) {
  const ProbeGuard guard = Guard({Origin(*server) + "/*"});
  ProbeResult r =
      RunProbe(Follow(), RedirectTo(outside_->Url("/respond")), Deadline(), nullptr, &guard);
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.detail, "redirect refused: " + Origin(*outside_) +
                          " matches no entry of probe.allowed_targets");
  EXPECT_EQ(OutsideHits(), 0u);
  // Credentials in a redirect target are refused as in the target itself, and not echoed.
  ProbeResult creds = RunProbe(
      Follow(),
      RedirectTo("http://u:hunter2@127.0.0.1:" + std::to_string(server->port()) + "/respond"),
      Deadline(), nullptr, &guard);
  EXPECT_TRUE(creds.refused);
  EXPECT_NE(creds.detail.find("with credentials"), std::string::npos) << creds.detail;
  EXPECT_EQ(creds.detail.find("hunter2"), std::string::npos);
}

TEST_F(ProbeSecurity, RedirectToAnotherHostName) {
  // Same address and port, another name: the allowlist judges names, so it is refused.
  auto prober = Prober({Origin(*server) + "/*"});
  const std::size_t before = Hits(*server);
  Probed p = ProbeThrough(
      *prober, RedirectTo("http://localhost:" + std::to_string(server->port()) + "/respond"),
      "follow");
  EXPECT_EQ(p.success, 0);
  EXPECT_EQ(Hits(*server), before + 1) << "the redirect to localhost was requested";
}

TEST_F(ProbeSecurity, RedirectToFileUrl) {
  auto prober = Prober({Origin(*server) + "/*"});
  const std::size_t before = Hits(*server);
  Probed p = ProbeThrough(*prober, RedirectTo("file:///etc/passwd"), "follow");
  EXPECT_EQ(p.success, 0);
  EXPECT_EQ(p.status, 302);
  EXPECT_EQ(Hits(*server), before + 1);
  ProbeResult r = RunProbe(Follow(), RedirectTo("file:///etc/passwd"), Deadline(), nullptr);
  EXPECT_EQ(r.detail,
            "redirect refused: a redirect to a file: URL is refused (only http and https)");
  EXPECT_TRUE(r.response.body.find("root:") == std::string::npos);
}

TEST_F(ProbeSecurity, RedirectFromHttpsToHttp) {
  // Both URLs are allowed; the downgrade alone is refused.
  const std::string tls_origin = "https://127.0.0.1:" + std::to_string(tls->port());
  auto prober = BuildProber(
      "http",
      ParseYaml(
          "probe:\n  allowed_targets: " + Allowed({tls_origin + "/*", Origin(*outside_) + "/*"}) +
              "\n  modules: {follow: {follow_redirects: true, timeout: 2s, ca_file: '" +
              tls->cert_path() + "'}}\n",
          "test.yml"),
      CollectorEnv{});
  const std::string from_tls =
      tls->Url("/respond?status=302&location=" + UrlEncode(outside_->Url("/respond")));
  Probed p = ProbeThrough(*prober, from_tls, "follow");
  EXPECT_EQ(p.success, 0);
  EXPECT_EQ(p.status, 302);
  EXPECT_EQ(OutsideHits(), 0u) << "an https probe was downgraded to http";

  // An https -> https redirect on the same front is followed (the TLS front itself works).
  Probed same = ProbeThrough(
      *prober, tls->Url("/respond?status=302&location=" + UrlEncode(tls->Url("/respond"))),
      "follow");
  EXPECT_EQ(same.success, 1);
  EXPECT_EQ(same.redirects, 1);
}

TEST_F(ProbeSecurity, ChainOfSixRedirectsIsRefusedFiveIsFollowed) {
  auto prober = Prober({Origin(*server) + "/*", Origin(*outside_) + "/*"});
  auto chain = [&](int redirects) {
    std::string url = outside_->Url("/respond");
    for (int i = 0; i < redirects; ++i) url = RedirectTo(url);
    return url;
  };
  const std::size_t before = Hits(*server);
  Probed six = ProbeThrough(*prober, chain(6), "follow");
  EXPECT_EQ(six.success, 0);
  EXPECT_EQ(six.redirects, 5);
  EXPECT_EQ(Hits(*server), before + 6);  // the six redirecting requests, no more
  EXPECT_EQ(OutsideHits(), 0u) << "the sixth redirect was followed";
  ProbeResult r = RunProbe(Follow(), chain(6), Deadline(), nullptr);
  EXPECT_EQ(r.detail, "redirect refused: more than 5 redirects (max_redirects)");
  EXPECT_EQ(OutsideHits(), 0u);

  ProbeSpec one = Follow();
  one.max_redirects = 1;
  EXPECT_EQ(RunProbe(one, chain(2), Deadline(), nullptr).detail,
            "redirect refused: more than 1 redirects (max_redirects)");
  EXPECT_TRUE(RunProbe(one, chain(1), Deadline(), nullptr).success);
  EXPECT_EQ(OutsideHits(), 1u);

  Probed five = ProbeThrough(*prober, chain(5), "follow");
  EXPECT_EQ(five.success, 1);
  EXPECT_EQ(five.redirects, 5);
  EXPECT_EQ(OutsideHits(), 2u);
}

TEST_F(ProbeSecurity, RelativeRedirectsStayOnTheAllowedServer) {
  auto prober = Prober({Origin(*server) + "/respond*"});
  Probed p = ProbeThrough(*prober, RedirectTo("/respond?body=%7B%7D"), "follow");
  EXPECT_EQ(p.success, 1);
  EXPECT_EQ(p.redirects, 1);
  // A relative redirect to a path the allowlist does not open is refused like any other.
  const std::size_t before = Hits(*server);
  Probed q = ProbeThrough(*prober, RedirectTo("/auth?token=x"), "follow");
  EXPECT_EQ(q.success, 0);
  EXPECT_EQ(Hits(*server), before + 1);
}

TEST_F(ProbeSecurity, NameResolvingToDeniedAddressIsRefused) {
  // "internal.test" exists in no DNS: the static entry is the only way it resolves, and the
  // address it resolves to is checked where the socket connects.
  const std::string port = std::to_string(outside_->port());
  const std::string url = "http://internal.test:" + port + "/respond";
  const std::vector<std::string> entry = {"internal.test:" + port + ":127.0.0.1"};

  const ProbeGuard denied = Guard({"http://internal.test:*/*"}, "[default, 127.0.0.0/8]", entry);
  ProbeResult r = RunProbe(ProbeSpec{}, url, Deadline(), nullptr, &denied);
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.detail,
            "refused to connect to 127.0.0.1: it is in probe.denied_networks (127.0.0.0/8)");
  EXPECT_EQ(r.response.status, 0);
  EXPECT_EQ(OutsideHits(), 0u) << "a denied address was connected to";

  // Reached through a redirect from an allowed server, the same.
  const ProbeGuard via =
      Guard({Origin(*server) + "/*", "http://internal.test:*/*"}, "[default, 127.0.0.0/8]", entry);
  ProbeResult hop = RunProbe(Follow(), RedirectTo(url), Deadline(), nullptr, &via);
  EXPECT_TRUE(hop.refused);
  EXPECT_EQ(OutsideHits(), 0u);

  // The control: with 127.0.0.0/8 not denied, the same entry reaches the server.
  const ProbeGuard allowed = Guard({"http://internal.test:*/*"}, "", entry);
  ProbeResult ok = RunProbe(ProbeSpec{}, url, Deadline(), nullptr, &allowed);
  EXPECT_TRUE(ok.success) << ok.detail;
  EXPECT_EQ(OutsideHits(), 1u);
}

TEST_F(ProbeSecurity, SystemResolverNameToDeniedAddress) {
  // localhost resolves through the system resolver (/etc/hosts) to 127.0.0.1 and ::1.
  const std::string url = "http://localhost:" + std::to_string(outside_->port()) + "/respond";
  auto denied =
      Prober({"http://localhost:*/*"}, "  denied_networks: [default, 127.0.0.0/8, '::1']\n");
  Probed p = ProbeThrough(*denied, url, "follow");
  EXPECT_EQ(p.success, 0);
  EXPECT_EQ(p.status, 0);
  EXPECT_EQ(OutsideHits(), 0u);

  auto open = Prober({"http://localhost:*/*"});
  Probed ok = ProbeThrough(*open, url, "follow");
  EXPECT_EQ(ok.success, 1);
  EXPECT_EQ(OutsideHits(), 1u);
}

TEST_F(ProbeSecurity, MetadataAddressIsNeverConnectedTo) {
  // Allowed by a careless pattern, denied by default: refused before any socket is opened, so
  // this returns at once even though nothing listens there.
  const ProbeGuard guard = Guard({"http://169.254.169.254/*"});
  const auto start = Clock::now();
  ProbeResult r = RunProbe(ProbeSpec{}, "http://169.254.169.254/latest/meta-data/", Deadline(),
                           nullptr, &guard);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 1.0);
  EXPECT_EQ(
      r.detail,
      "refused to connect to 169.254.169.254: it is in probe.denied_networks (169.254.0.0/16)");
}

TEST_F(ProbeSecurity, ConfiguredTargetsFollowTheRedirectRulesWithoutTheGuard) {
  // No allowlist for the operator's own targets: another port is fine...
  ProbeResult ok = RunProbe(Follow(), RedirectTo(outside_->Url("/respond")), Deadline(), nullptr);
  EXPECT_TRUE(ok.success) << ok.detail;
  EXPECT_EQ(ok.redirects, 1);
  // ...but the bearer token is not sent to another origin than the one configured.
  ProbeSpec auth = Follow();
  auth.headers = {"Authorization: Bearer x"};
  ProbeResult same = RunProbe(auth, RedirectTo(server->Url("/auth?token=x")), Deadline(), nullptr);
  EXPECT_TRUE(same.success) << same.detail;
  ProbeResult other =
      RunProbe(auth, RedirectTo(outside_->Url("/auth?token=x")), Deadline(), nullptr);
  EXPECT_FALSE(other.success);
  EXPECT_EQ(other.response.status, 401);
}

}  // namespace
}  // namespace thoth::http
