#pragma once

#include <string>

#include "collectors/redis/redis_client.h"
#include "exporter/collector.h"

namespace thoth::redis {

struct KeyCountResult {
  double count = 0;               // keys matched so far (the whole count when complete)
  bool complete = false;          // the SCAN cursor came back to 0
  bool transport_failed = false;  // the connection broke: drop it
  std::string error;              // a refused or malformed SCAN (or the transport error)
};

// Counts the keys of the currently selected database that match `pattern`, with
// `SCAN cursor MATCH pattern COUNT batch` (never KEYS, which blocks the server), one batch in
// memory at a time. Stops when the cursor returns to 0 (complete) or when `budget_end` has
// passed between two SCAN calls (partial). Each call's I/O timeout is the time left until
// `io_deadline`, at most `command_timeout` seconds.
// A key may be counted twice when the keyspace shrinks during the iteration (SCAN's
// guarantee is "at least once"); a stable keyspace is counted exactly.
KeyCountResult CountKeys(Connection& conn, const std::string& pattern, int batch,
                         Clock::time_point budget_end, Clock::time_point io_deadline,
                         double command_timeout);

}  // namespace thoth::redis
