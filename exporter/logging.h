#pragma once

#include <string>

#include "exporter/status.h"

namespace thoth {

// Configures the default spdlog logger on stderr: level debug|info|warn|error, format text|json.
// JSON lines look like {"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"..."}.
Status SetupLogging(const std::string& level, const std::string& format);
Status SetLogLevel(const std::string& level);

// Escapes a string for inclusion in a JSON string literal.
std::string JsonEscape(const std::string& s);

}  // namespace thoth
