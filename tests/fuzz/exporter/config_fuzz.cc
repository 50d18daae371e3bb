// The configuration loader on arbitrary text: every collector's section parser runs on it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/config.h"
#include "exporter/memory_errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static thoth::MemoryErrors errors;
  thoth::CollectorEnv env;
  env.memory_errors = &errors;
  thoth::LoadedConfig out;
  std::string text(reinterpret_cast<const char*>(data), size);
  thoth::Status s = thoth::LoadConfigText(text, "fuzz.yml", thoth::CollectorSelection{}, env, &out);
  // An error is one line.
  if (!s.ok() && s.message().find('\n') != std::string::npos) __builtin_trap();
  return 0;
}
