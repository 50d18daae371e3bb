#include "exporter/config_reader.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace thoth {
namespace {

// The expansion, or "error: <why>".
std::string Expanded(std::string_view text) {
  StatusOr<std::string> s = ExpandEnv(text);
  return s.ok() ? s.value() : "error: " + s.status().message();
}

TEST(ExpandEnv, ExpandsSetAndDefaultedVariables) {
  setenv("THOTH_TEST_VAR", "value", 1);
  unsetenv("THOTH_TEST_UNSET");
  EXPECT_EQ(Expanded("a ${THOTH_TEST_VAR} b"), "a value b");
  EXPECT_EQ(Expanded("${THOTH_TEST_UNSET:-fallback}"), "fallback");
  EXPECT_EQ(Expanded("${THOTH_TEST_VAR:-fallback}"), "value");
  EXPECT_EQ(Expanded("cost $$5"), "cost $5");
  EXPECT_EQ(Expanded("plain $HOME"), "plain $HOME");
}

TEST(ExpandEnv, UnsetWithoutDefaultIsAnError) {
  unsetenv("THOTH_TEST_UNSET");
  EXPECT_FALSE(ExpandEnv("${THOTH_TEST_UNSET}").ok());
  EXPECT_FALSE(ExpandEnv("${UNCLOSED").ok());
}

TEST(ExpandEnv, NestedDefaultsTakeTheFirstSetVariable) {
  unsetenv("THOTH_TEST_LETTA");
  unsetenv("THOTH_TEST_SERVER");
  const char* text = "${THOTH_TEST_LETTA:-${THOTH_TEST_SERVER:-http://localhost:8283}}/health";
  EXPECT_EQ(Expanded(text), "http://localhost:8283/health");
  setenv("THOTH_TEST_SERVER", "http://memory:8283", 1);
  EXPECT_EQ(Expanded(text), "http://memory:8283/health");
  setenv("THOTH_TEST_LETTA", "http://letta:9000", 1);
  EXPECT_EQ(Expanded(text), "http://letta:9000/health");
  // Empty counts as unset, as in the shell's ${VAR:-default}.
  setenv("THOTH_TEST_LETTA", "", 1);
  EXPECT_EQ(Expanded(text), "http://memory:8283/health");
  unsetenv("THOTH_TEST_LETTA");
  unsetenv("THOTH_TEST_SERVER");
}

TEST(ExpandEnv, NestedDefaultsKeepTheTextAroundThem) {
  unsetenv("THOTH_TEST_UNSET");
  unsetenv("THOTH_TEST_UNSET2");
  EXPECT_EQ(Expanded("a ${THOTH_TEST_UNSET:-b ${THOTH_TEST_UNSET2:-c} d} e"), "a b c d e");
  EXPECT_EQ(Expanded("${THOTH_TEST_UNSET:-x}}"), "x}");
  EXPECT_EQ(Expanded("${THOTH_TEST_UNSET:-$$}"), "$");
  EXPECT_EQ(Expanded("${THOTH_TEST_UNSET:-}"), "");
  EXPECT_EQ(Expanded("${THOTH_TEST_UNSET:-${THOTH_TEST_UNSET2:-1}${THOTH_TEST_UNSET2:-2}}"), "12");
}

TEST(ExpandEnv, AnUnusedDefaultIsNotExpanded) {
  setenv("THOTH_TEST_VAR", "value", 1);
  unsetenv("THOTH_TEST_UNSET");
  // The inner variable has no default and is unset, but the outer one is set.
  EXPECT_EQ(Expanded("${THOTH_TEST_VAR:-${THOTH_TEST_UNSET}}"), "value");
  EXPECT_FALSE(ExpandEnv("${THOTH_TEST_UNSET:-${THOTH_TEST_UNSET}}").ok());
}

TEST(ExpandEnv, AValueIsNeverExpandedAgain) {
  setenv("THOTH_TEST_VAR", "${THOTH_TEST_UNSET}", 1);
  unsetenv("THOTH_TEST_UNSET");
  EXPECT_EQ(Expanded("${THOTH_TEST_VAR:-x}"), "${THOTH_TEST_UNSET}");
  setenv("THOTH_TEST_VAR", "value", 1);
}

TEST(ExpandEnv, MalformedNestingIsAnError) {
  unsetenv("THOTH_TEST_UNSET");
  EXPECT_FALSE(ExpandEnv("${THOTH_TEST_UNSET:-${THOTH_TEST_UNSET:-x}").ok());
  EXPECT_FALSE(ExpandEnv("${${THOTH_TEST_UNSET}}").ok());
  EXPECT_FALSE(ExpandEnv("${:-x}").ok());
  // Hostile depth: bounded, an error rather than deep recursion.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "${THOTH_TEST_UNSET:-";
  deep += "x";
  for (int i = 0; i < 10000; ++i) deep += "}";
  EXPECT_FALSE(ExpandEnv(deep).ok());
  std::string ok = "x";
  for (int i = 0; i < 8; ++i) ok = "${THOTH_TEST_UNSET:-" + ok + "}";
  EXPECT_EQ(Expanded(ok), "x");
}

TEST(ParseDuration, AcceptsPrometheusDurations) {
  EXPECT_DOUBLE_EQ(*ParseDuration("8s"), 8);
  EXPECT_DOUBLE_EQ(*ParseDuration("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseDuration("5m"), 300);
  EXPECT_DOUBLE_EQ(*ParseDuration("1h30m"), 5400);
  EXPECT_DOUBLE_EQ(*ParseDuration("2.5"), 2.5);
  EXPECT_FALSE(ParseDuration("").has_value());
  EXPECT_FALSE(ParseDuration("5 minutes").has_value());
  EXPECT_FALSE(ParseDuration("-1s").has_value());
  EXPECT_FALSE(ParseDuration("10x").has_value());
}

TEST(ConfigNode, UnknownKeyNamesFileLineColumnAndKey) {
  ConfigNode root = ParseYaml("exporter:\n  listen_adress: 1.2.3.4:5\n", "cfg.yml");
  try {
    root.Child("exporter").ExpectKeys({"listen_address"});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cfg.yml:2:3: exporter.listen_adress: unknown key", 0),
              0u)
        << e.what();
  }
}

TEST(ConfigNode, SyntaxErrorHasLineAndColumn) {
  try {
    ParseYaml("a: [1, 2\nb: 3\n", "bad.yml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("bad.yml:", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("(syntax)"), std::string::npos) << e.what();
  }
}

TEST(ConfigNode, TypedAccessorsReportBadValues) {
  ConfigNode root = ParseYaml("n: abc\nd: 5 minutes\nb: maybe\nok: 42\n", "c.yml");
  EXPECT_THROW(root.Number("n", 0), ConfigError);
  EXPECT_THROW(root.Duration("d", 0), ConfigError);
  EXPECT_THROW(root.Bool("b", false), ConfigError);
  EXPECT_EQ(root.Integer("ok", 0), 42);
  EXPECT_EQ(root.Integer("absent", 7), 7);
  try {
    root.Number("n", 0);
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "c.yml:1:4: n: expected a number, got \"abc\"");
  }
}

TEST(ConfigNode, MissingRequiredKeyPointsAtItsMapping) {
  ConfigNode root = ParseYaml("postgres:\n  - name: db\n", "c.yml");
  auto items = root.Child("postgres").Items();
  ASSERT_EQ(items.size(), 1u);
  try {
    items[0].RequiredString("dsn");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "c.yml:2:5: postgres[0].dsn: required key is missing");
  }
}

TEST(ConfigNode, SecretFromFileAndNeverInErrors) {
  char path[] = "/tmp/thoth-secret-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "s3cr3t-value\n", 13), 13);
  close(fd);
  ConfigNode root = ParseYaml(std::string("a: {password_file: ") + path +
                                  "}\nb: {password: inline}\nc: {password: x, password_file: y}\n",
                              "c.yml");
  EXPECT_EQ(*root.Child("a").Secret("password"), "s3cr3t-value");
  EXPECT_EQ(*root.Child("b").Secret("password"), "inline");
  EXPECT_FALSE(root.Secret("password").has_value());
  EXPECT_THROW(root.Child("c").Secret("password"), ConfigError);
  ConfigNode missing = ParseYaml("a: {password_file: /nonexistent/secret}\n", "c.yml");
  try {
    missing.Child("a").Secret("password");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("a.password_file: cannot read secret file"),
              std::string::npos)
        << e.what();
  }
  unlink(path);
}

TEST(ConfigNode, FingerprintFollowsValuesAndSecretFiles) {
  ConfigNode a = ParseYaml("x: {dsn: a, n: 1}\n", "c.yml");
  ConfigNode b = ParseYaml("x: {dsn: a, n: 2}\n", "c.yml");
  ConfigNode c = ParseYaml("x: {dsn: a, n: 1}\n", "other.yml");
  EXPECT_NE(a.Child("x").Fingerprint(), b.Child("x").Fingerprint());
  EXPECT_EQ(a.Child("x").Fingerprint(), c.Child("x").Fingerprint());
}

TEST(ConfigNode, DuplicateKeysAreRejected) {
  ConfigNode root = ParseYaml("exporter: {log_level: info, log_level: debug}\n", "c.yml");
  EXPECT_THROW(root.Child("exporter").ExpectKeys({"log_level"}), ConfigError);
}

}  // namespace
}  // namespace thoth

namespace thoth {
namespace {

// Found by fuzzing: a quoted value with a newline made a two-line error.
TEST(ConfigNode, ErrorsStayOneLineWhateverTheInput) {
  ConfigNode root = ParseYaml("n: \"a\\nb\\x01\"\n\"k\\ney\": 1\n", "c.yml");
  try {
    root.Number("n", 0);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a\\nb\\x01"), std::string::npos) << e.what();
  }
  try {
    root.ExpectKeys({"n"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace thoth
