// The web config (basic auth users, tls_server_config, http_server_config) and the
// Authorization header parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  thoth::WebConfig config;
  if (thoth::ParseWebConfig(text, "/etc/thoth/web.yml", &config).ok() && config.tls) {
    // What a parsed TLS config promises: absolute paths, ordered versions, no empty suite name.
    const auto& tls = *config.tls;
    if (tls.cert_file.empty() || tls.cert_file.front() != '/') __builtin_trap();
    if (tls.key_file.empty() || tls.key_file.front() != '/') __builtin_trap();
    if (tls.min_version > tls.max_version) __builtin_trap();
    for (const auto& suite : tls.cipher_suites) {
      if (suite.empty() || suite == "(tls13)") __builtin_trap();
    }
  }
  for (const auto& [name, value] : config.headers) {
    for (char c : value) {
      if (c == '\r' || c == '\n') __builtin_trap();  // header injection
    }
  }
  (void)thoth::OpenSslCipherName(text);
  (void)thoth::TlsVersionNumber(text);
  std::string user, password;
  (void)thoth::ParseBasicAuthorization(text, &user, &password);
  (void)thoth::DecodeBase64(text);
  return 0;
}
