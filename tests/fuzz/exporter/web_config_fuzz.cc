// The web config and the Authorization header parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  thoth::WebConfig config;
  (void)thoth::ParseWebConfig(text, "web.yml", &config);
  std::string user, password;
  (void)thoth::ParseBasicAuthorization(text, &user, &password);
  (void)thoth::DecodeBase64(text);
  return 0;
}
