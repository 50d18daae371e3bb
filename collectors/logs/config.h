#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "collectors/logs/error_code_parser.h"
#include "collectors/logs/log_counters.h"
#include "collectors/logs/log_source.h"
#include "collectors/logs/nginx_parser.h"
#include "exporter/config_reader.h"
#include "exporter/status.h"

namespace thoth::logs {

// One entry of the `logs` section (SPEC §4).
struct LogConfig {
  std::string name;
  std::string path;        // glob, for a file source
  LogSourceConfig source;  // path, docker or journal
  LogFormat format = LogFormat::kErrorCodes;
  bool from_start = false;
  std::string state_file;
  std::size_t max_line_bytes = 65536;
  std::string log_format;  // nginx only; "" = NginxLineParser::Default()
  std::string regex;       // error_codes only; "" = scan for MEM-ddd
};

// One validated entry with what its collector needs beyond the config: the compiled line
// parser (nginx) or code regex (error_codes, when one is given).
struct LogTarget {
  LogConfig config;
  std::optional<NginxLineParser> parser;
  std::optional<CodeRegex> regex;
  std::string fingerprint;  // of the entry; never printed
};

// Reads and validates one `logs` entry (throws ConfigError).
LogConfig ParseLogConfig(const ConfigNode& node);

// Reads and validates the `logs` section (absent or null: no logs), compiling each log_format
// and regex. An error names file, line, column and key. Log names are checked unique by the
// loader (exporter/config.cc); two logs sharing a state_file are an error here.
Status ParseConfig(const ConfigNode& section, std::vector<LogTarget>* out);

}  // namespace thoth::logs
