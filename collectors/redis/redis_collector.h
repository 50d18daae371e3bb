#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/redis/config.h"
#include "collectors/redis/redis_client.h"
#include "exporter/collector.h"
#include "exporter/config_reader.h"

namespace thoth::redis {

// Builds one collector per configured target of the `redis` section (parsed by config.h). No
// side effects.
std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env);

// One Redis server.
//
// - One persistent connection, opened lazily in Collect and kept between scrapes. A command
//   that fails on a reused connection (server restarted, idle timeout) reconnects once at
//   once; a failed connect or AUTH, or a new connection that fails at once (frozen server), is
//   retried no sooner than a backoff (0.5 s doubling to 5 s, reset when the server answers), so
//   a dead or hung server costs one attempt per backoff period, not one per scrape.
// - Every connect and command timeout is the time left before the scrape's I/O deadline
//   (ScrapeContext::IoDeadline), capped by the configured timeouts: Collect returns on time
//   even when the server is frozen.
// - Optional commands the server refuses (CONFIG renamed or NOPERM, SLOWLOG NOPERM, SCAN or
//   SELECT for count_keys) are logged once and not sent again for an hour, so the server's
//   error counters do not climb at every scrape; the collection stays successful.
// - Passwords are sent only in AUTH and never appear in errors or logs.
class RedisCollector : public Collector {
 public:
  RedisCollector(TargetConfig config, std::string fingerprint,
                 Connector connector = ConnectHiredis);

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override;
  // Drops the connection, which may be mid-protocol.
  void AfterThrow(MetricSink& sink, std::string& error) override;
  void TimedOut(MetricSink& sink) const override;
  // Rows: reachable, memory (used_memory against maxmemory, or against the host's memory when
  // maxmemory is 0, graded by thresholds.memory_usage_ratio), evictions (WARNING when any key
  // was evicted since the server started).
  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override;

  // How long a refused optional command stays unsent.
  static constexpr double kRefusedRetrySeconds = 3600;

 private:
  // A command the collection can do without; refused once, skipped for a while.
  struct OptionalCommand {
    Clock::time_point retry_at{};
    bool Allowed() const { return Clock::now() >= retry_at; }
  };

  // Runs one command on the current connection. On a transport failure of a connection reused
  // from an earlier scrape, reconnects once and retries. An error: transport failed (conn_
  // reset). A Redis error reply is a value.
  StatusOr<Reply> Run(const std::vector<std::string>& argv);
  // Connects (honouring backoff) and authenticates.
  Status Connect();
  void Disconnect();
  // Drops the connection and schedules the next connect after a doubling backoff.
  void BackOff(std::string why);
  double IoTimeout(double cap) const;
  // Marks an optional command refused and logs it once.
  void Refuse(OptionalCommand& cmd, const std::string& what, const std::string& reply,
              const std::string& consequence);

  // The optional parts of a collection. A refused command is logged and skipped (ok); an error
  // is a transport failure, which ends the collection.
  Status CollectMaxclients(bool info_has_it, MetricSink& sink);
  Status CollectSlowlog(MetricSink& sink);
  Status CollectKeyCounts(MetricSink& sink);

  TargetConfig config_;
  Connector connector_;

  std::unique_ptr<Connection> conn_;
  bool conn_fresh_ = false;  // opened during the current collection
  int selected_db_ = 0;
  Clock::time_point io_deadline_{};
  double last_command_seconds_ = 0;  // round trip of the last successful Run

  Clock::time_point next_connect_{};
  double backoff_seconds_ = 0;
  std::string last_connect_error_;

  OptionalCommand config_get_;
  OptionalCommand slowlog_;
  std::vector<OptionalCommand> count_keys_;  // one per config_.count_keys entry
};

}  // namespace thoth::redis
