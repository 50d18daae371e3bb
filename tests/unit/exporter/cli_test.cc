#include "exporter/cli.h"

#include <vector>

#include "gtest/gtest.h"

namespace thoth {
namespace {

Status Parse(std::vector<const char*> args, Options* o) {
  args.insert(args.begin(), "exporter");
  return ParseArgs(static_cast<int>(args.size()), args.data(), o);
}

TEST(Cli, ParsesEveryFlagInBothForms) {
  Options o;
  ASSERT_TRUE(Parse({"--config.file=/etc/c.yml", "--web.listen-address", "127.0.0.1:1",
                     "--web.telemetry-path=/m", "--web.config.file=w.yml", "--log.level=debug",
                     "--log.format=json", "--no-collector.redis", "--collector.postgres"},
                    &o)
                  .ok());
  EXPECT_EQ(o.config_file, "/etc/c.yml");
  EXPECT_EQ(*o.listen_address, "127.0.0.1:1");
  EXPECT_EQ(o.telemetry_path, "/m");
  EXPECT_EQ(o.web_config_file, "w.yml");
  EXPECT_EQ(*o.log_level, "debug");
  EXPECT_EQ(o.log_format, "json");
  EXPECT_FALSE(o.selection.Enabled("redis", true));
  EXPECT_TRUE(o.selection.Enabled("postgres", false));
  EXPECT_TRUE(o.selection.Enabled("chroma", true));
}

TEST(Cli, OnceAndFormats) {
  Options o;
  ASSERT_TRUE(Parse({"--once", "--format=json"}, &o).ok());
  EXPECT_TRUE(o.once);
  EXPECT_EQ(o.once_format, "json");
  EXPECT_FALSE(Parse({"--once", "--format=xml"}, &o).ok());
  EXPECT_FALSE(Parse({"--once", "--check-config"}, &o).ok());
}

TEST(Cli, ErrorsNameTheFlag) {
  Options o;
  Status s = Parse({"--web.listen-adress=x"}, &o);
  EXPECT_NE(s.message().find("--web.listen-adress"), std::string::npos) << s.message();
  s = Parse({"--collector.nosuch"}, &o);
  EXPECT_NE(s.message().find("nosuch"), std::string::npos) << s.message();
  EXPECT_FALSE(Parse({"--log.level=loud"}, &o).ok());
  EXPECT_FALSE(Parse({"--config.file"}, &o).ok());
  EXPECT_FALSE(Parse({"--web.telemetry-path=metrics"}, &o).ok());
  EXPECT_FALSE(Parse({"stray"}, &o).ok());
}

TEST(Cli, HelpMentionsEveryFlagAndCollector) {
  std::string help = HelpText();
  for (const char* flag :
       {"--config.file", "--web.listen-address", "--web.telemetry-path", "--web.config.file",
        "--log.level", "--log.format", "--collector.NAME", "--no-collector.NAME", "--once",
        "--format", "--check-config", "--version", "--help", "postgres", "logs"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace thoth
