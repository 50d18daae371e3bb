#pragma once

#include <string>
#include <string_view>

#include "exporter/config_reader.h"

namespace thoth {

// Checks that several kinds' configurations share, with the messages users know.

// A byte below 0x20 or DEL: never allowed where a value becomes a header, a label or a line.
inline bool HasControlCharacter(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// `name`, required: a non-empty target name without control characters.
inline std::string RequireTargetName(const ConfigNode& item) {
  std::string name = item.RequiredString("name");
  if (HasControlCharacter(name)) {
    item.FailKey("name", "must be a non-empty name without control characters");
  }
  return name;
}

// An http:// or https:// URL without spaces or control characters, read from `key`.
inline void CheckHttpUrl(const ConfigNode& item, const char* key, std::string_view url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    item.FailKey(key, "must start with http:// or https://");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) item.FailKey(key, "must not contain spaces or control characters");
  }
}

}  // namespace thoth
