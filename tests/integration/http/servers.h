#pragma once

// The local servers every test of this binary probes: started once by the global environment
// registered in http_probe_test.cc, stopped by PID at the end.

#include "tests/integration/harness/http_test_server.h"

namespace thoth::http {

inline testing::HttpTestServer* server = nullptr;
inline testing::TlsFront* tls = nullptr;

}  // namespace thoth::http
