#include "collectors/http/url_pattern.h"

#include "gtest/gtest.h"

namespace thoth::http {
namespace {

ProbeUrl Url(const std::string& text) {
  auto url = ParseProbeUrl(text);
  EXPECT_TRUE(url.ok()) << text << ": " << url.status().message();
  return url.ok() ? url.value() : ProbeUrl{};
}

UrlPattern Pattern(const std::string& text) {
  auto p = UrlPattern::Parse(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.status().message();
  return p.ok() ? p.value() : UrlPattern::Parse("http://invalid.invalid/").value();
}

std::string Refused(const std::string& text) {
  auto url = ParseProbeUrl(text);
  EXPECT_FALSE(url.ok()) << text;
  return url.status().message();
}

std::string BadPattern(const std::string& text) {
  auto p = UrlPattern::Parse(text);
  EXPECT_FALSE(p.ok()) << text;
  return p.status().message();
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

namespace thoth::http {
namespace {

std::string Redirect(const std::string& from, const std::string& location) {
  auto to = ResolveRedirect(Url(from), location);
  EXPECT_TRUE(to.ok()) << from << " -> " << location << ": " << to.status().message();
  return to.ok() ? to->normalized : "";
}

std::string RedirectRefused(const std::string& from, const std::string& location) {
  auto to = ResolveRedirect(Url(from), location);
  EXPECT_FALSE(to.ok()) << from << " -> " << location << " gave " << to->normalized;
  const std::string& error = to.status().message();
  EXPECT_EQ(error.find(location.empty() ? "\x01" : location), std::string::npos)
      << "the error repeats the Location: " << error;
  return error;
}

TEST(ResolveRedirect, RelativeLocationsResolveAgainstTheRedirectingUrl) {
  const std::string base = "http://127.0.0.1:8000/a/b/c?x=1";
  EXPECT_EQ(Redirect(base, "d"), "http://127.0.0.1:8000/a/b/d");
  EXPECT_EQ(Redirect(base, "./d?y=2"), "http://127.0.0.1:8000/a/b/d?y=2");
  EXPECT_EQ(Redirect(base, "../d"), "http://127.0.0.1:8000/a/d");
  EXPECT_EQ(Redirect(base, "../../../../d"), "http://127.0.0.1:8000/d");
  EXPECT_EQ(Redirect(base, "/health"), "http://127.0.0.1:8000/health");
  EXPECT_EQ(Redirect(base, "?y=2"), "http://127.0.0.1:8000/a/b/c?y=2");
  EXPECT_EQ(Redirect(base, "//other.example:9000/x"), "http://other.example:9000/x");
  EXPECT_EQ(Redirect(base, "http://127.0.0.1:9000/x#frag"), "http://127.0.0.1:9000/x");
  EXPECT_EQ(Redirect(base, "HTTPS://Example.COM/"), "https://Example.COM/");
  // A scheme-relative Location keeps https.
  EXPECT_EQ(Redirect("https://a.example/", "//b.example/x"), "https://b.example/x");
  EXPECT_EQ(Redirect("https://a.example/", "https://b.example/x"), "https://b.example/x");
  // The judged host of a resolved URL is the one fetched.
  auto to = ResolveRedirect(Url(base), "http://169.254.169.254/latest/meta-data/");
  ASSERT_TRUE(to.ok()) << to.status().message();
  EXPECT_EQ(to->host, "169.254.169.254");
  EXPECT_EQ(to->port, 80);
  EXPECT_EQ(to->path_and_query, "/latest/meta-data/");
}

TEST(ResolveRedirect, OnlyHttpAndHttpsAndNoDowngrade) {
  const std::string base = "http://127.0.0.1:8000/r";
  EXPECT_EQ(RedirectRefused(base, "file:///etc/passwd"),
            "a redirect to a file: URL is refused (only http and https)");
  EXPECT_NE(RedirectRefused(base, "gopher://127.0.0.1:70/x").find("gopher:"), std::string::npos);
  EXPECT_NE(RedirectRefused(base, "dict://127.0.0.1:11211/stats").find("dict:"), std::string::npos);
  EXPECT_NE(RedirectRefused(base, "ftp://127.0.0.1/x").find("only http and https"),
            std::string::npos);
  EXPECT_NE(RedirectRefused(base, "javascript:alert(1)"), "");
  EXPECT_NE(RedirectRefused(base, "FILE:/etc/passwd").find("file:"), std::string::npos);
  EXPECT_EQ(RedirectRefused("https://127.0.0.1:8443/r", "http://127.0.0.1:8000/x"),
            "a redirect from https to http is refused");
  EXPECT_EQ(RedirectRefused("https://127.0.0.1:8443/r", "HTTP://127.0.0.1:8443/x"),
            "a redirect from https to http is refused");
  EXPECT_EQ(Redirect(base, "https://127.0.0.1:8443/x"), "https://127.0.0.1:8443/x");  // upgrade
}

TEST(ResolveRedirect, HostileLocations) {
  const std::string base = "http://127.0.0.1:8000/r";
  EXPECT_NE(RedirectRefused(base, "").find("empty"), std::string::npos);
  EXPECT_NE(RedirectRefused(base, "/x\r\nSet-Cookie: a=b").find("control"), std::string::npos);
  EXPECT_NE(RedirectRefused(base, std::string("/x\0y", 4)).find("control"), std::string::npos);
  EXPECT_NE(RedirectRefused(base, "/public/%2e%2e/admin").find("encoded"), std::string::npos);
  EXPECT_NE(RedirectRefused(base, "http://127.0.0.1:0/").find("port"), std::string::npos);
  // What is judged is the resolved URL as libcurl writes it, which is what is then fetched.
  auto octal = ResolveRedirect(Url(base), "http://06%30/");
  ASSERT_TRUE(octal.ok()) << octal.status().message();
  EXPECT_EQ(octal->host, "0.0.0.48");
  EXPECT_EQ(ParseProbeUrl(octal->normalized)->host, "0.0.0.48");
  // Credentials are flagged for the allowlist to refuse, as in a target URL.
  auto to = ResolveRedirect(Url(base), "http://u:p@127.0.0.1:8000/x");
  ASSERT_TRUE(to.ok()) << to.status().message();
  EXPECT_TRUE(to->has_credentials);
}

}  // namespace
}  // namespace thoth::http
