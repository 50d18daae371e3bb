#pragma once

#include <memory>
#include <vector>

#include "collectors/postgres/session.h"
#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::postgres {

// Builds one collector per configured target of the `postgres` section (validating it; throws
// ConfigError). No side effects: connections are opened lazily by the first Collect.
//
// Each collector keeps one persistent libpq session to its target's DSN database, plus one per
// other database it fans out to (`databases`), reused across scrapes, reopened with backoff, and
// never more than one per database at a time. Every call is bounded by the scrape deadline (see
// PgConnection), so a hung server costs one scrape its deadline, never more.
std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env);
// The same over sessions made by factory (unit tests replay recorded results through a fake);
// nullptr = PgConnection.
std::vector<std::shared_ptr<Collector>> MakeCollectorsWith(const ConfigNode& root,
                                                           const CollectorEnv& env,
                                                           SessionFactory factory);

}  // namespace thoth::postgres
