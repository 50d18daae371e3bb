#include "collectors/redis/redis_collector.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <set>

#include "collectors/redis/info_metrics.h"
#include "collectors/redis/info_parser.h"
#include "collectors/redis/key_counter.h"
#include "spdlog/spdlog.h"

namespace thoth::redis {

namespace {

constexpr char kUpHelp[] = "1 if the Redis server answered PING and INFO.";
constexpr double kMinBackoffSeconds = 0.5;
constexpr double kMaxBackoffSeconds = 5;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Clock::time_point After(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Redis never echoes a password, but a reply is text from the network: make sure.
std::string Scrub(std::string text, const std::optional<std::string>& secret) {
  if (!secret || secret->empty()) return text;
  for (size_t pos; (pos = text.find(*secret)) != std::string::npos;) {
    text.replace(pos, secret->size(), "***");
  }
  return text;
}

std::string FormatBytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return FormatNumber(std::round(bytes * 10) / 10) + " " + kUnits[unit];
}

std::string Percent(double ratio) { return FormatNumber(std::round(ratio * 1000) / 10) + "%"; }

}  // namespace

RedisCollector::RedisCollector(TargetConfig config, std::string fingerprint, Connector connector)
    : Collector(CollectorId::Labelled("redis", config.name, std::move(fingerprint))),
      config_(std::move(config)),
      connector_(std::move(connector)),
      count_keys_(config_.count_keys.size()) {}

void RedisCollector::TimedOut(MetricSink& sink) const { sink.Gauge("redis_up", kUpHelp, {}, 0); }

double RedisCollector::IoTimeout(double cap) const {
  const double left = std::chrono::duration<double>(io_deadline_ - Clock::now()).count();
  return std::min(cap, left);
}

void RedisCollector::Disconnect() {
  conn_.reset();
  conn_fresh_ = false;
  selected_db_ = 0;
}

Status RedisCollector::Connect() {
  if (Clock::now() < next_connect_) {
    return Status::Error(last_connect_error_ + " (next attempt after backoff)");
  }
  auto fail = [&](std::string why) {
    BackOff(std::move(why));
    return Status::Error(last_connect_error_);
  };

  const double timeout = IoTimeout(config_.connect_timeout);
  if (timeout <= 0) return Status::Error("no time left before the scrape deadline to connect");
  StatusOr<std::unique_ptr<Connection>> conn = connector_(config_.endpoint, timeout);
  if (!conn.ok()) return fail(conn.status().message());

  if (config_.password) {
    std::vector<std::string> auth = {"AUTH"};
    if (config_.username) auth.push_back(*config_.username);
    auth.push_back(*config_.password);
    StatusOr<Reply> reply = (*conn)->Command(auth, IoTimeout(config_.command_timeout));
    if (!reply.ok()) return fail("AUTH: " + reply.status().message());
    if (reply->IsError()) return fail("authentication failed: " + reply->str);
  }
  conn_ = std::move(*conn);
  conn_fresh_ = true;
  selected_db_ = 0;
  return Status::Ok();
}

void RedisCollector::BackOff(std::string why) {
  Disconnect();
  backoff_seconds_ = backoff_seconds_ == 0 ? kMinBackoffSeconds
                                           : std::min(backoff_seconds_ * 2, kMaxBackoffSeconds);
  next_connect_ = After(backoff_seconds_);
  last_connect_error_ = Scrub(std::move(why), config_.password);
  spdlog::debug("redis target {}: {}; next attempt in {}s", config_.name, last_connect_error_,
                backoff_seconds_);
}

StatusOr<Reply> RedisCollector::Run(const std::vector<std::string>& argv) {
  std::string error;
  std::string first_error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!conn_) {
      Status connected = Connect();
      if (!connected.ok()) {
        error = connected.message();
        break;
      }
    }
    const double timeout = IoTimeout(config_.command_timeout);
    if (timeout <= 0) {
      error = "scrape deadline reached";
      break;
    }
    const auto start = Clock::now();
    StatusOr<Reply> reply = conn_->Command(argv, timeout);
    if (reply.ok()) {
      last_command_seconds_ = SecondsSince(start);
      backoff_seconds_ = 0;  // the server answers: the next failure starts a fresh backoff
      return reply;
    }
    const bool was_fresh = conn_fresh_;
    error = Scrub(reply.status().message(), config_.password);
    Disconnect();
    if (was_fresh) {
      // A connection that just opened and already fails (a frozen server still accepts
      // connections in the kernel): the server is unwell; back off as for a failed connect.
      BackOff(error);
      break;
    }
    // A connection kept from an earlier scrape may have been closed by a restart or an idle
    // timeout: one immediate reconnect tells that apart from a dead server.
    first_error = error;
    spdlog::debug("redis target {}: kept connection failed ({}); reconnecting", config_.name,
                  error);
  }
  if (!first_error.empty() && error != first_error) {
    // A reconnect that had no time left adds nothing to what went wrong.
    const bool no_time = error.starts_with("no time left") || error == "scrape deadline reached";
    error = no_time ? first_error : first_error + "; then " + error;
  }
  return Status::Error(std::move(error));
}

void RedisCollector::Refuse(OptionalCommand& cmd, const std::string& what, const std::string& reply,
                            const std::string& consequence) {
  cmd.retry_at = After(kRefusedRetrySeconds);
  spdlog::warn("redis target {}: {} refused ({}); {}; not sent again for {} s", config_.name, what,
               Scrub(reply, config_.password), consequence, kRefusedRetrySeconds);
}

Status RedisCollector::CollectMaxclients(bool info_has_it, MetricSink& sink) {
  // Redis >= 7.0 reports maxclients in INFO: no CONFIG needed (managed services often rename
  // or forbid it).
  if (info_has_it || config_.config_command.empty() || !config_get_.Allowed() || !conn_) {
    return Status::Ok();
  }
  const std::string what = config_.config_command + " GET maxclients";
  StatusOr<Reply> reply = Run({config_.config_command, "GET", "maxclients"});
  if (!reply.ok()) return Status::Error(what + ": " + reply.status().message());
  if (reply->IsError()) {
    Refuse(config_get_, what, reply->str, "redis_config_maxclients is not reported");
    return Status::Ok();
  }
  if (reply->type == Reply::Type::kArray && reply->elements.size() == 2) {
    if (auto v = ParseNumber(reply->elements[1].str)) {
      sink.Gauge("redis_config_maxclients", "The maxclients setting.", {}, *v);
    }
  }
  return Status::Ok();
}

Status RedisCollector::CollectSlowlog(MetricSink& sink) {
  if (!slowlog_.Allowed() || !conn_) return Status::Ok();
  StatusOr<Reply> len = Run({"SLOWLOG", "LEN"});
  if (!len.ok()) return Status::Error("SLOWLOG LEN: " + len.status().message());
  if (len->IsError()) {
    Refuse(slowlog_, "SLOWLOG", len->str, "the slowlog metrics are not reported");
    return Status::Ok();
  }
  if (len->type == Reply::Type::kInteger) {
    sink.Gauge("redis_slowlog_length", "Entries in the slow log.", {},
               static_cast<double>(len->integer));
  }
  StatusOr<Reply> last = Run({"SLOWLOG", "GET", "1"});
  if (!last.ok()) return Status::Error("SLOWLOG GET: " + last.status().message());
  if (last->IsError()) {
    Refuse(slowlog_, "SLOWLOG GET", last->str, "the slowlog metrics are not reported");
    return Status::Ok();
  }
  if (last->type != Reply::Type::kArray) return Status::Ok();
  double id = 0, seconds = 0;  // redis_exporter reports 0 for an empty slow log
  if (!last->elements.empty()) {
    const Reply& entry = last->elements[0];
    if (entry.type != Reply::Type::kArray || entry.elements.size() < 3 ||
        entry.elements[0].type != Reply::Type::kInteger ||
        entry.elements[2].type != Reply::Type::kInteger) {
      return Status::Ok();
    }
    id = static_cast<double>(entry.elements[0].integer);
    seconds = static_cast<double>(entry.elements[2].integer) / 1e6;
  }
  sink.Gauge("redis_slowlog_last_id", "ID of the newest slow log entry.", {}, id);
  sink.Gauge("redis_last_slow_execution_duration_seconds", "Duration of the newest slow log entry.",
             {}, seconds);
  return Status::Ok();
}

Status RedisCollector::CollectKeyCounts(MetricSink& sink) {
  if (config_.count_keys.empty()) return Status::Ok();
  const auto budget_end = std::min(After(config_.count_keys_timeout), io_deadline_);
  for (size_t i = 0; i < config_.count_keys.size(); ++i) {
    const CountKeysSpec& spec = config_.count_keys[i];
    OptionalCommand& gate = count_keys_[i];
    if (!gate.Allowed()) continue;
    const std::string what = "count_keys " + spec.DbLabel() + "=" + spec.pattern;
    const std::string consequence = "redis_keys_count is not reported for it";
    if (spec.db != selected_db_) {
      StatusOr<Reply> reply = Run({"SELECT", std::to_string(spec.db)});
      if (!reply.ok()) return Status::Error("SELECT: " + reply.status().message());
      if (reply->IsError()) {
        Refuse(gate, what + ": SELECT", reply->str, consequence);
        continue;
      }
      selected_db_ = spec.db;
    }
    if (!conn_) return Status::Ok();
    KeyCountResult r = CountKeys(*conn_, spec.pattern, config_.count_keys_batch, budget_end,
                                 io_deadline_, config_.command_timeout);
    if (r.transport_failed) {
      Disconnect();
      return Status::Error(what + ": " + r.error);
    }
    if (!r.error.empty()) {
      Refuse(gate, what, r.error, consequence);
      continue;
    }
    const Labels labels = {{"db", spec.DbLabel()}, {"key", spec.pattern}};
    // Untyped, not gauge: redis_exporter's name ends in _count, which promtool reserves for
    // histograms and summaries except on untyped families. Queries see no difference.
    sink.Untyped("redis_keys_count", "Keys matching a count_keys pattern (by SCAN).", labels,
                 r.count);
    sink.Gauge("redis_keys_count_partial",
               "1 when the SCAN of a count_keys pattern ran out of its time budget "
               "(count_keys_timeout) and redis_keys_count is a lower bound.",
               labels, r.complete ? 0 : 1);
  }
  return Status::Ok();
}

Status RedisCollector::Collect(const ScrapeContext& ctx, MetricSink& sink) {
  io_deadline_ = ctx.IoDeadline();
  conn_fresh_ = false;

  auto down = [&](const std::string& why) {
    sink.Gauge("redis_up", kUpHelp, {}, 0);
    return Status::Error(why);
  };

  StatusOr<Reply> pong = Run({"PING"});
  if (!pong.ok()) return down(pong.status().message());
  const double ping_seconds = last_command_seconds_;  // the round trip alone, no connect
  if (pong->IsError()) return down("PING refused: " + Scrub(pong->str, config_.password));

  StatusOr<Reply> info_reply = Run({"INFO", "ALL"});
  if (!info_reply.ok()) return down("INFO: " + info_reply.status().message());
  if (info_reply->IsError()) {
    return down("INFO refused: " + Scrub(info_reply->str, config_.password));
  }
  if (info_reply->type != Reply::Type::kString) return down("INFO: unexpected reply type");
  const RedisInfo info = ParseInfo(info_reply->str);
  if (info.fields.empty()) return down("INFO: reply not understood");
  *info_reply = Reply();  // free the text early

  sink.Gauge("redis_up", kUpHelp, {}, 1);
  sink.Gauge("redis_ping_duration_seconds", "Round trip of PING.", {}, ping_seconds);
  WriteInfoMetrics(info, sink);
  const std::optional<double> maxclients = info.Number("maxclients");
  if (maxclients) {
    sink.Gauge("redis_config_maxclients", "The maxclients setting.", {}, *maxclients);
  }

  // The optional parts stop at the first transport failure: the connection is gone.
  Status status = CollectMaxclients(maxclients.has_value(), sink);
  if (status.ok()) status = CollectSlowlog(sink);
  if (status.ok()) status = CollectKeyCounts(sink);
  return status;
}

void RedisCollector::AfterThrow(MetricSink& sink, std::string& error) {
  (void)sink;
  (void)error;
  Disconnect();
}

void RedisCollector::Checks(const Families& families, bool success, const Thresholds& thresholds,
                            std::vector<HealthCheck>& out) const {
  double up = 0;
  FindSample(families, "redis_up", {}, &up);
  if (up != 1) {
    out.push_back({Kind(), Target(), "reachable", "no", "", Severity::kCritical});
    return;
  }
  double ping = 0;
  std::string reach = "yes";
  if (FindSample(families, "redis_ping_duration_seconds", {}, &ping)) {
    reach += " (PING " + FormatNumber(ping * 1000) + " ms)";
  }
  out.push_back({Kind(), Target(), "reachable", reach, "", Severity::kOk});
  if (!success) {
    out.push_back(
        {Kind(), Target(), "collected", "partly (see the exporter log)", "", Severity::kWarning});
  }

  double used = 0, max = 0, system = 0;
  if (FindSample(families, "redis_memory_used_bytes", {}, &used)) {
    FindSample(families, "redis_memory_max_bytes", {}, &max);
    FindSample(families, "redis_total_system_memory_bytes", {}, &system);
    const Level& level = thresholds.memory_usage_ratio;
    const std::string threshold =
        "> " + Percent(level.warning) + " warn, > " + Percent(level.critical) + " crit";
    if (max > 0) {
      const double ratio = used / max;
      out.push_back({Kind(), Target(), "memory vs maxmemory",
                     FormatBytes(used) + " / " + FormatBytes(max) + " (" + Percent(ratio) + ")",
                     threshold, Grade(ratio, level)});
    } else if (system > 0) {
      // No maxmemory: Redis grows until the host runs out.
      const double ratio = used / system;
      out.push_back({Kind(), Target(), "memory vs host (no maxmemory)",
                     FormatBytes(used) + " / " + FormatBytes(system) + " (" + Percent(ratio) + ")",
                     threshold, Grade(ratio, level)});
    } else {
      out.push_back(
          {Kind(), Target(), "memory", FormatBytes(used) + " (no limit known)", "", Severity::kOk});
    }
  }

  double evicted = 0;
  if (FindSample(families, "redis_evicted_keys_total", {}, &evicted)) {
    std::string policy;
    for (const auto& f : families) {
      if (f.name != "redis_instance_info" || f.size() == 0) continue;
      policy = f.LabelValue(0, "maxmemory_policy");
    }
    std::string value = FormatNumber(evicted) + " since start";
    if (!policy.empty()) value += " (policy " + policy + ")";
    out.push_back({Kind(), Target(), "evictions", value, "> 0 warn",
                   evicted > 0 ? Severity::kWarning : Severity::kOk});
  }
}

std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env) {
  (void)env;
  std::vector<std::shared_ptr<Collector>> out;
  for (auto& config : targets) {
    std::string fingerprint = config.fingerprint;
    out.push_back(std::make_shared<RedisCollector>(std::move(config), std::move(fingerprint)));
  }
  return out;
}

}  // namespace thoth::redis
