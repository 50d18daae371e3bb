#include "collectors/postgres/sections.h"

#include <algorithm>
#include <cmath>

#include "collectors/postgres/dsn.h"
#include "spdlog/spdlog.h"

namespace thoth::postgres {

namespace {

// SQLSTATEs the collector treats specially.
constexpr char kInsufficientPrivilege[] = "42501";  // this role may not read that: skipped
constexpr char kQueryCanceled[] = "57014";          // statement_timeout
constexpr char kLockNotAvailable[] = "55P03";       // lock_timeout

Clock::duration Backoff(int failures) {
  const double seconds = std::min(5.0, 0.5 * std::pow(2.0, std::max(0, failures - 1)));
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// set_config() in a SELECT, not SET: pg_stat_statements folds its constants into one entry.
std::string SetTimeout(long ms) {
  return "SELECT pg_catalog.set_config('statement_timeout', '" + std::to_string(ms) + "', false)";
}

}  // namespace

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

QueryResult JoinColumns(const QueryResult& a, const QueryResult& b) {
  QueryResult out;
  if (a.rows.empty() || b.rows.empty()) return out;
  out.columns = a.columns;
  out.columns.insert(out.columns.end(), b.columns.begin(), b.columns.end());
  out.rows.push_back(a.rows[0]);
  out.rows[0].insert(out.rows[0].end(), b.rows[0].begin(), b.rows[0].end());
  return out;
}

Section Plain(std::string name, std::string sql,
              std::function<void(const QueryResult&, MetricSink&)> emit) {
  auto rows = std::make_shared<std::optional<QueryResult>>();
  Section s;
  s.name = std::move(name);
  s.sql = std::move(sql);
  s.ok = [rows](QueryResult& r) { *rows = std::move(r); };
  s.emit = [rows, emit = std::move(emit)](MetricSink& sink) {
    if (*rows) emit(**rows, sink);
  };
  return s;
}

Section Constant(std::function<void(MetricSink&)> emit) {
  Section s;
  s.emit = std::move(emit);
  return s;
}

Section CachedSection(std::string name, std::string sql, TtlCache<QueryResult>* cache,
                      double ttl_seconds, Run& run,
                      std::function<void(const QueryResult&, MetricSink&)> emit) {
  auto fresh = std::make_shared<bool>(false);
  Section s;
  s.name = std::move(name);
  s.refresh = true;
  if (!cache->Fresh(ttl_seconds)) s.sql = std::move(sql);
  s.ok = [cache, fresh](QueryResult& rows) {
    cache->Set(std::move(rows));
    *fresh = true;
  };
  s.emit = [cache, fresh, &run, emit = std::move(emit)](MetricSink& sink) {
    if (!cache->valid()) return;
    if (!*fresh) run.age.Served(*cache);
    emit(cache->value(), sink);
  };
  return s;
}

long SectionRunner::TimeoutMs(Clock::time_point deadline, double cap_seconds) const {
  const double left = Seconds(deadline - Clock::now());
  if (left < 0.02) return 0;
  double server = std::min(statement_timeout_seconds_, left - std::min(0.2, left / 4));
  if (cap_seconds > 0) server = std::min(server, cap_seconds);
  return std::max(1L, std::lround(server * 1000));
}

void SectionRunner::Lost(Session& s, const std::string& message) {
  s.failures++;
  s.next_attempt = Clock::now() + Backoff(s.failures);
  s.last_error = Scrub(message, *secrets_);
}

void SectionRunner::WarnOnce(const std::string& key, const std::string& message) {
  if (warned_->insert(key).second) {
    spdlog::warn("postgres target {}: {}", target_, Scrub(message, *secrets_));
  }
}

Status SectionRunner::Query(Session& s, const std::string& sql, Clock::time_point deadline,
                            QueryResult* out, std::string* sqlstate, double cap_seconds) {
  const long ms = TimeoutMs(deadline, cap_seconds);
  if (ms == 0) {
    if (sqlstate != nullptr) sqlstate->clear();
    return Status::Error("no time left before the scrape deadline");
  }
  Status st = s.conn->Query(SetTimeout(ms) + "; " + sql, deadline, out, sqlstate);
  if (!st.ok() && !s.conn->connected()) Lost(s, st.message());
  return st;
}

Status SectionRunner::Pipelined(Session& s, std::vector<Section>& sections, Run& run,
                                std::vector<Reply>* replies) {
  // The plain statements first under the scrape's timeout, then the refreshes under theirs.
  std::vector<Statement> statements;
  std::vector<size_t> where(sections.size(), 0);  // index of each section's reply
  for (int pass = 0; pass < 2; ++pass) {
    bool timeout_set = false;
    for (size_t i = 0; i < sections.size(); ++i) {
      const Section& sec = sections[i];
      if (sec.sql.empty() || sec.refresh != (pass == 1)) continue;
      if (!timeout_set) {
        const double left = Seconds(run.deadline - Clock::now());
        const double cap =
            pass == 0
                ? 0
                : (sec.budget_seconds > 0 ? std::min(left / 2, sec.budget_seconds) : left / 2);
        const long ms = TimeoutMs(run.deadline, cap);
        if (ms == 0) return Status::Ok();  // no replies: one by one says "no time left"
        statements.push_back({SetTimeout(ms), false});
        timeout_set = true;
      }
      where[i] = statements.size();
      statements.push_back({sec.sql, true});
    }
  }
  std::vector<Reply> all;
  Status st = s.conn->Pipeline(statements, run.deadline, &all);
  if (!st.ok()) {
    if (!s.conn->connected()) Lost(s, st.message());
    return st;
  }
  if (all.size() != statements.size()) return Status::Error("unexpected number of replies");
  replies->assign(sections.size(), Reply{});
  for (size_t i = 0; i < sections.size(); ++i) {
    if (!sections[i].sql.empty()) (*replies)[i] = std::move(all[where[i]]);
  }
  return Status::Ok();
}

void SectionRunner::OneByOne(Session& s, std::vector<Section>& sections, Run& run,
                             std::vector<Reply>* replies) {
  replies->assign(sections.size(), Reply{});
  for (size_t i = 0; i < sections.size(); ++i) {
    const Section& sec = sections[i];
    if (sec.sql.empty()) continue;
    Reply& r = (*replies)[i];
    if (!s.conn->connected()) {
      r.status = Status::Error("connection lost");
      continue;
    }
    double cap = 0;
    if (sec.refresh) {
      const double half = Seconds(run.deadline - Clock::now()) / 2;
      cap = sec.budget_seconds > 0 ? std::min(half, sec.budget_seconds) : half;
    }
    const auto start = Clock::now();
    r.status = Query(s, sec.sql, run.deadline, &r.rows, &r.sqlstate, cap);
    r.seconds = Seconds(Clock::now() - start);
  }
}

bool SectionRunner::Finish(Session& s, Section& section, Reply& reply, Run& run) {
  if (reply.status.ok()) {
    if (section.seconds != nullptr) *section.seconds = reply.seconds;
    if (section.ok) section.ok(reply.rows);
    return true;
  }
  const std::string message = Scrub(reply.status.message(), *secrets_);
  if (!s.conn->connected()) {
    run.errors.push_back(section.name + ": " + message);
    return false;
  }
  if (section.refresh &&
      (reply.sqlstate == kQueryCanceled || reply.sqlstate == kLockNotAvailable)) {
    WarnOnce("pending:" + section.name, section.name +
                                            " not refreshed within its time budget; the cached "
                                            "figures are served until a refresh completes: " +
                                            message);
    return true;
  }
  if (section.failed && section.failed(message)) return true;
  if (reply.sqlstate == kInsufficientPrivilege) {
    WarnOnce("denied:" + section.name, section.name + " not collected: " + message +
                                           " (grant the role pg_monitor; the rest is reported)");
    return true;
  }
  run.errors.push_back(section.name + ": " + message);
  return true;
}

bool SectionRunner::Execute(Session& s, const std::string& what, std::vector<Section>& sections,
                            Run& run) {
  const bool due = std::any_of(sections.begin(), sections.end(),
                               [](const Section& sec) { return !sec.sql.empty(); });
  if (!due) return true;
  std::vector<Reply> replies;
  if (s.pipeline) {
    Status st = Pipelined(s, sections, run, &replies);
    if (!s.conn->connected()) {
      run.errors.push_back(what + ": " + Scrub(st.message(), *secrets_));
      return false;
    }
    if (!st.ok()) {
      spdlog::debug("postgres target {}: sending statements one at a time: {}", target_,
                    Scrub(st.message(), *secrets_));
      s.pipeline = false;
    }
  }
  if (replies.size() != sections.size()) OneByOne(s, sections, run, &replies);
  for (size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].sql.empty()) continue;
    if (!Finish(s, sections[i], replies[i], run)) return false;
    replies[i] = Reply{};  // its rows are taken: free them before the next reply's grow
  }
  return true;
}

}  // namespace thoth::postgres
