#include "collectors/http/url_pattern.h"

#include "gtest/gtest.h"

namespace thoth::http {
namespace {

ProbeUrl Url(const std::string& text) {
  std::string error;
  auto url = ParseProbeUrl(text, &error);
  EXPECT_TRUE(url.has_value()) << text << ": " << error;
  return url.value_or(ProbeUrl{});
}

UrlPattern Pattern(const std::string& text) {
  std::string error;
  auto p = UrlPattern::Parse(text, &error);
  EXPECT_TRUE(p.has_value()) << text << ": " << error;
  return p.value_or(*UrlPattern::Parse("http://invalid.invalid/", nullptr));
}

std::string Refused(const std::string& text) {
  std::string error;
  EXPECT_FALSE(ParseProbeUrl(text, &error).has_value()) << text;
  return error;
}

std::string BadPattern(const std::string& text) {
  std::string error;
  EXPECT_FALSE(UrlPattern::Parse(text, &error).has_value()) << text;
  return error;
}

TEST(ParseProbeUrl, SplitsAndNormalizes) {
  ProbeUrl u = Url("HTTP://LocalHost:8000/health?verbose=1#frag");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "localhost");
  EXPECT_EQ(u.port, 8000);
  EXPECT_EQ(u.path_and_query, "/health?verbose=1");
  EXPECT_FALSE(u.has_credentials);
  EXPECT_EQ(u.normalized.find('#'), std::string::npos);

  EXPECT_EQ(Url("https://example.com").port, 443);
  EXPECT_EQ(Url("https://example.com").path_and_query, "/");
  EXPECT_EQ(Url("http://[::1]:9000/x").host, "::1");
  EXPECT_TRUE(Url("http://user:pw@example.com/").has_credentials);
  // Dot segments are resolved as the client will resolve them.
  EXPECT_EQ(Url("http://h/public/../admin").path_and_query, "/admin");
}

TEST(ParseProbeUrl, OnlyAbsoluteHttpAndHttps) {
  EXPECT_EQ(Refused("file:///etc/passwd"), "only http and https URLs can be probed");
  EXPECT_EQ(Refused("gopher://127.0.0.1:6379/_FLUSHALL"), "only http and https URLs can be probed");
  EXPECT_EQ(Refused("ftp://example.com/"), "only http and https URLs can be probed");
  EXPECT_EQ(Refused("dict://127.0.0.1:11211/stats"), "only http and https URLs can be probed");
  EXPECT_FALSE(Refused("/health").empty());
  EXPECT_FALSE(Refused("localhost:8000/health").empty());
  EXPECT_FALSE(Refused("").empty());
  EXPECT_FALSE(Refused("http://").empty());
  EXPECT_EQ(Refused("http://h/a\r\nX-Injected: 1"), "the URL contains a control character");
  EXPECT_FALSE(Refused("http://h/a b").empty());
}

TEST(UrlPattern, ExactUrl) {
  UrlPattern p = Pattern("http://127.0.0.1:8000/health");
  EXPECT_TRUE(p.Matches(Url("http://127.0.0.1:8000/health")));
  EXPECT_FALSE(p.Matches(Url("http://127.0.0.1:8000/health?x=1")));
  EXPECT_FALSE(p.Matches(Url("http://127.0.0.1:8000/healthz")));
  EXPECT_FALSE(p.Matches(Url("http://127.0.0.1:8001/health")));
  EXPECT_FALSE(p.Matches(Url("https://127.0.0.1:8000/health")));
  EXPECT_FALSE(p.Matches(Url("http://127.0.0.1/health")));
}

TEST(UrlPattern, NoPathMeansEveryPathOnThatHostAndPort) {
  UrlPattern p = Pattern("http://Service.Local:8000");
  EXPECT_TRUE(p.Matches(Url("http://service.local:8000/")));
  EXPECT_TRUE(p.Matches(Url("http://service.local:8000/a/b?c=d")));
  EXPECT_FALSE(p.Matches(Url("http://service.local/")));
  UrlPattern default_port = Pattern("https://api.example.com");
  EXPECT_TRUE(default_port.Matches(Url("https://api.example.com:443/x")));
  EXPECT_FALSE(default_port.Matches(Url("https://api.example.com:8443/x")));
}

TEST(UrlPattern, PathGlobsAndAnyPort) {
  UrlPattern p = Pattern("http://localhost:*/health*");
  EXPECT_TRUE(p.Matches(Url("http://localhost:8000/health")));
  EXPECT_TRUE(p.Matches(Url("http://localhost:9999/healthz?full=1")));
  EXPECT_FALSE(p.Matches(Url("http://localhost:8000/admin/health")));
  EXPECT_FALSE(p.Matches(Url("http://localhost/admin")));
  UrlPattern mid = Pattern("http://h/api/*/health");
  EXPECT_TRUE(mid.Matches(Url("http://h/api/v1/health")));
  EXPECT_TRUE(mid.Matches(Url("http://h/api/a/b/health")));
  EXPECT_FALSE(mid.Matches(Url("http://h/api/v1/health/x")));
}

TEST(UrlPattern, WildcardSubdomainsNeverMatchOtherHosts) {
  UrlPattern p = Pattern("https://*.svc.cluster.local:*/healthz");
  EXPECT_TRUE(p.Matches(Url("https://api.thoth.svc.cluster.local:8443/healthz")));
  EXPECT_FALSE(p.Matches(Url("https://svc.cluster.local:8443/healthz")));
  EXPECT_FALSE(p.Matches(Url("https://evilsvc.cluster.local:8443/healthz")));
  EXPECT_FALSE(p.Matches(Url("https://a.svc.cluster.local.evil.com:8443/healthz")));
}

TEST(UrlPattern, PrefixTricksDoNotEscapeTheHost) {
  UrlPattern p = Pattern("http://127.0.0.1:8000");
  // Userinfo makes "127.0.0.1:8000" a user name and evil.com the host.
  EXPECT_FALSE(p.Matches(Url("http://127.0.0.1:8000@evil.com/")));
  EXPECT_FALSE(Refused("http://127.0.0.1:8000.evil.com/").empty());
  // Other spellings of an address are judged as libcurl will connect: the same host.
  EXPECT_TRUE(p.Matches(Url("http://127.1:8000/")));
  EXPECT_TRUE(p.Matches(Url("http://0x7f000001:8000/")));
  UrlPattern other = Pattern("http://10.0.0.1:8000");
  EXPECT_FALSE(other.Matches(Url("http://127.1:8000/")));
  EXPECT_FALSE(other.Matches(Url("http://2130706433:8000/")));
  // A trailing dot is another name for the server; refusing it is the safe side.
  EXPECT_FALSE(p.Matches(Url("http://127.0.0.1.:8000/")));
}

TEST(UrlPattern, EncodedTraversalIsRefusedBeforeMatching) {
  EXPECT_EQ(Refused("http://h/public/%2e%2e/admin"),
            "encoded dots, slashes or backslashes in the path are not allowed");
  EXPECT_FALSE(Refused("http://h/public/%2E%2E/admin").empty());
  EXPECT_FALSE(Refused("http://h/public/..%2fadmin").empty());
  EXPECT_FALSE(Refused("http://h/public/..%5Cadmin").empty());
  EXPECT_EQ(Url("http://h/public/a%20b").path_and_query, "/public/a%20b");
}

TEST(UrlPattern, InvalidPatternsAreExplained) {
  EXPECT_EQ(BadPattern("127.0.0.1:8000"), "expected SCHEME://HOST[:PORT][/PATH]");
  EXPECT_EQ(BadPattern("file:///etc/*"), "the scheme must be http or https");
  EXPECT_EQ(BadPattern("http://*"), "a bare * host would allow every host; name the hosts");
  EXPECT_EQ(BadPattern("http://*:8000/"), "a bare * host would allow every host; name the hosts");
  EXPECT_FALSE(BadPattern("http://api.*.com/").empty());
  EXPECT_FALSE(BadPattern("http://*example.com/").empty());
  EXPECT_FALSE(BadPattern("http://u:p@h/").empty());
  EXPECT_FALSE(BadPattern("http://h:99999/").empty());
  EXPECT_FALSE(BadPattern("http://h:/").empty());
  EXPECT_FALSE(BadPattern("http://h/a b").empty());
  EXPECT_FALSE(BadPattern("http://h/#x").empty());
  EXPECT_FALSE(BadPattern("http:///x").empty());
}

TEST(GlobMatch, StarsAndLiterals) {
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("/a*b*c", "/aXXbYYc"));
  EXPECT_FALSE(GlobMatch("/a*b*c", "/aXXbYY"));
  EXPECT_FALSE(GlobMatch("abc", "abcd"));
  EXPECT_TRUE(GlobMatch("a**", "a"));
  // No exponential backtracking on a hostile input.
  const std::string text(100000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace thoth::http
