#pragma once

#include <optional>
#include <string>

#include "exporter/config.h"
#include "exporter/status.h"

namespace thoth {

// The command line of SPEC §2.
struct Options {
  std::string config_file;                    // empty: the embedded default
  std::optional<std::string> listen_address;  // overrides exporter.listen_address
  std::string telemetry_path = "/metrics";
  std::string web_config_file;
  std::optional<std::string> log_level;  // overrides exporter.log_level
  std::string log_format = "text";
  CollectorSelection selection;
  bool once = false;
  std::string once_format = "text";  // text | json | prometheus
  bool check_config = false;
  bool version = false;
  bool help = false;
};

// Parses argv ("--flag=value" or "--flag value"). Errors name the flag.
Status ParseArgs(int argc, const char* const* argv, Options* out);
std::string HelpText();
std::string VersionText();

}  // namespace thoth
