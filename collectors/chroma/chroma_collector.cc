#include "collectors/chroma/chroma_collector.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "collectors/chroma/chroma_api.h"
#include "collectors/chroma/chroma_json.h"
#include "collectors/chroma/config.h"
#include "exporter/http_client.h"
#include "exporter/memory_errors.h"
#include "exporter/ttl_cache.h"
#include "spdlog/spdlog.h"

namespace thoth::chroma {

namespace {

const std::string kKind = "chroma";

constexpr char kUpHelp[] = "1 if the Chroma server answered its heartbeat, 0 otherwise.";
constexpr char kHeartbeatHelp[] = "Round trip of the Chroma heartbeat request, in seconds.";
constexpr char kInfoHelp[] = "Chroma server version and the HTTP API spoken (v1 or v2); always 1.";
constexpr char kCollectionsHelp[] = "Collections in a Chroma tenant/database.";
constexpr char kRecordsHelp[] =
    "Records (vectors) in a Chroma collection. Cached for the target's cache_ttl; see "
    "thoth_exporter_collector_cache_age_seconds.";
constexpr char kDimensionHelp[] =
    "Embedding dimension of a Chroma collection (absent while the collection is empty).";
constexpr char kMismatchHelp[] =
    "1 when a Chroma collection's dimension differs from the configured expected_dimension "
    "(MEM-005 Vector dimension mismatch), else 0.";

// A request in flight must leave the scrape some room to write its metrics.
constexpr double kMinSecondsForRequest = 0.05;
// Answers that are not collection listings are small; a listing page may be large (1.x sends
// ~1.4 KB per collection): 64 MiB, or 4 KiB per collection of a larger page_size.
constexpr std::size_t kMaxSmallBody = 1 << 20;
constexpr std::size_t kMaxListBody = 64 << 20;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// One HTTP exchange, judged.
struct Answer {
  bool ok = false;  // a 2xx with the whole body
  int status = 0;   // 0 when nothing came back
  std::string body;
  double seconds = 0;
  std::string what;  // why it is not ok, for a log line or an error message
};

// What a scrape shares between its threads.
struct Scrape {
  const ScrapeContext& ctx;
  std::atomic<bool> auth_failed{false};
  Clock::time_point started = Clock::now();
};

// A per-collection request of a scrape (a record count or an embedding probe).
struct Job {
  std::size_t db = 0;          // index into the scrape's databases
  std::size_t collection = 0;  // index into that database's collections
  Answer answer;
};

// A collection as this scrape reports it.
struct CollectionState {
  const CollectionInfo* info = nullptr;
  std::string key;  // "tenant/database\nid": cache key
  std::optional<std::int64_t> records;
  std::optional<std::int64_t> dimension;
};

struct DatabaseState {
  const Database* db = nullptr;
  bool listed = false;
  std::int64_t collections = 0;
  std::vector<CollectionState> states;
};

// What one scrape learns besides the metrics.
struct Findings {
  std::vector<std::string> errors;
  CacheAge age;
  std::size_t fetched = 0;  // record counts asked for
  std::size_t probes = 0;   // dimension probes
};

class ChromaCollector final : public Collector {
 public:
  ChromaCollector(TargetConfig cfg, const CollectorEnv& env)
      : Collector(CollectorId::Labelled(kKind, cfg.name, cfg.fingerprint)),
        cfg_(std::move(cfg)),
        memory_errors_(env.memory_errors) {
    for (const auto& h : {"Authorization: Bearer ", "X-Chroma-Token: "}) {
      if (cfg_.token) auth_headers_.push_back(h + *cfg_.token);
    }
  }

  void TimedOut(MetricSink& sink) const override { sink.Gauge("chroma_up", kUpHelp, {}, 0); }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    Scrape scrape{ctx};
    Status status = CollectOrFail(scrape, sink);
    // One MEM-007 per scrape that was refused, however many of its requests were.
    if (scrape.auth_failed && memory_errors_ != nullptr)
      memory_errors_->Add(MemCode::kAuthFailed, "chroma");
    return status;
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override;

 private:
  struct Listing {
    std::vector<CollectionInfo> collections;
    std::int64_t server_count = 0;  // what collections_count said (else the listing's size)
  };
  using ListCache = TtlCache<Listing>;
  using CountCache = TtlCache<std::int64_t>;

  Status CollectOrFail(Scrape& scrape, MetricSink& sink);
  // Heartbeat and version: chroma_up, chroma_heartbeat_duration_seconds, chroma_info. The API
  // the server speaks, or an error when it does not answer.
  StatusOr<Api> Identify(Scrape& scrape, MetricSink& sink);
  // A heartbeat that answered: the API that did, and its round trip.
  struct Beat {
    Api api = Api::kV2;
    double seconds = 0;
  };
  // Tries the configured API, or both (the last one that answered first); an error when none
  // answered.
  StatusOr<Beat> Heartbeat(Scrape& scrape);
  std::vector<DatabaseState> ListDatabases(Scrape& scrape, Api api, Findings& found,
                                           MetricSink& sink);
  // Fills *state from the cached or a fresh listing; counts a cached one in *age.
  Status ListDatabase(Scrape& scrape, Api api, const Database& db, DatabaseState* state,
                      CacheAge* age);
  // The listing of one database, every page of it.
  StatusOr<Listing> FetchListing(Scrape& scrape, Api api, const Database& db);
  void CountRecords(Scrape& scrape, Api api, std::vector<DatabaseState>& dbs, Findings& found);
  void ProbeDimensions(Scrape& scrape, Api api, std::vector<DatabaseState>& dbs, Findings& found);
  // chroma_collection_*; MEM-005 once per collection that turns mismatching.
  void EmitCollections(const std::vector<DatabaseState>& dbs, MetricSink& sink);
  // Forgets collections and databases that are gone, so that churn cannot grow the caches.
  void ForgetGone(const std::set<std::string>& listed, const std::set<std::string>& unlisted_dbs);
  // Runs fetch for every job on up to `parallelism` threads, each with its own client (kept
  // between scrapes for its connection). Returns when all are done; each request is bounded by
  // the scrape deadline, so this is too.
  void RunJobs(std::vector<Job>& jobs, const std::function<Answer(HttpClient&, const Job&)>& fetch);
  Answer Call(HttpClient& client, Scrape& scrape, const std::string& method,
              const std::string& path, const std::string& body = "",
              std::size_t max_body = kMaxSmallBody) const;
  HttpClient& Client(std::size_t i);

  const TargetConfig cfg_;
  MemoryErrors* memory_errors_;
  std::vector<std::string> auth_headers_;

  // State kept between scrapes (Collect is never concurrent for one instance).
  std::vector<std::unique_ptr<HttpClient>> clients_;      // [0] the scrape's own, then workers
  std::optional<Api> api_;                                // as last detected
  std::map<std::string, ListCache> lists_;                // by Database::Key()
  std::unordered_map<std::string, CountCache> counts_;    // by CollectionState::key
  std::unordered_map<std::string, std::int64_t> probed_;  // dimensions learnt from a record
  std::set<std::string> mismatching_;                     // keys whose MEM-005 has been counted
};

HttpClient& ChromaCollector::Client(std::size_t i) {
  // Made on first use, not in the constructor: construction has no side effects.
  while (clients_.size() <= i) clients_.push_back(std::make_unique<HttpClient>());
  return *clients_[i];
}

Answer ChromaCollector::Call(HttpClient& client, Scrape& scrape, const std::string& method,
                             const std::string& path, const std::string& body,
                             std::size_t max_body) const {
  Answer a;
  const double left = scrape.ctx.SecondsLeft();
  if (left < kMinSecondsForRequest) {
    a.what = "scrape deadline reached";
    return a;
  }
  HttpRequest req;
  req.method = method;
  req.url = cfg_.url + path;
  req.headers = auth_headers_;
  if (method == "POST") req.headers.push_back("Content-Type: application/json");
  req.body = body;
  req.timeout_seconds = std::min(cfg_.timeout_seconds, left);
  req.connect_timeout_seconds = std::max(0.001, std::min(cfg_.connect_timeout_seconds, left));
  req.verify_tls = !cfg_.insecure_skip_verify;
  req.ca_file = cfg_.ca_file;
  req.max_body_bytes = max_body;

  HttpResponse resp = client.Fetch(req);
  a.status = resp.status;
  a.seconds = resp.timings.total;
  if (resp.status == 401 || resp.status == 403) scrape.auth_failed = true;
  if (!resp.transport_ok) {
    if (resp.status > 0) {
      // Headers came, the body did not: a server that stalls or drops mid-answer.
      a.what = "HTTP " + std::to_string(resp.status) + " then the transfer failed after " +
               std::to_string(resp.body.size()) + " bytes: " + resp.error;
    } else {
      a.what = "no answer: " + resp.error;
    }
    return a;
  }
  if (resp.body_truncated) {
    a.what = "answer larger than " + std::to_string(max_body) + " bytes";
    return a;
  }
  if (resp.status < 200 || resp.status > 299) {
    a.what = DescribeAnswer(resp.status, resp.content_type, resp.body);
    return a;
  }
  a.ok = true;
  a.body = std::move(resp.body);
  return a;
}

StatusOr<ChromaCollector::Beat> ChromaCollector::Heartbeat(Scrape& scrape) {
  std::vector<Api> order;
  switch (cfg_.api) {
    case ApiChoice::kV1:
      order = {Api::kV1};
      break;
    case ApiChoice::kV2:
      order = {Api::kV2};
      break;
    case ApiChoice::kAuto:
      // v2 first (or whatever answered last time), the other when this one is unknown.
      order = {api_.value_or(Api::kV2)};
      order.push_back(order[0] == Api::kV2 ? Api::kV1 : Api::kV2);
      break;
  }
  Answer answer;
  for (std::size_t i = 0; i < order.size(); ++i) {
    answer = Call(Client(0), scrape, "GET", HeartbeatPath(order[i]));
    const int s = answer.status;
    const bool unknown_api = s == 404 || s == 405 || s == 410;
    if (!answer.ok && unknown_api && i + 1 < order.size()) continue;
    if (!answer.ok) {
      return Status::Error(std::string(ApiName(order[i])) + " heartbeat: " + answer.what);
    }
    if (Status parsed = ParseHeartbeat(answer.body); !parsed.ok()) {
      return Status::Error(std::string(ApiName(order[i])) + " heartbeat: HTTP " +
                           std::to_string(s) + " with " + parsed.message());
    }
    if (api_ != order[i]) {
      spdlog::debug("chroma target {}: speaking API {}", cfg_.name, ApiName(order[i]));
    }
    api_ = order[i];
    return Beat{order[i], answer.seconds};
  }
  return Status::Error(answer.what);  // not reached: the last API tried returns above
}

Status ChromaCollector::ListDatabase(Scrape& scrape, Api api, const Database& db,
                                     DatabaseState* state, CacheAge* age) {
  // The listing is cached like the counts: on Chroma 1.x even collections_count costs as much
  // as a listing (~0.1 s for 1,000 collections), so a cached scrape asks for neither, and a
  // collection created or deleted shows within cache_ttl.
  ListCache& cache = lists_[db.Key()];
  if (cache.Fresh(cfg_.cache_ttl_seconds)) {
    age->Served(cache);
  } else {
    cache.Invalidate();
    StatusOr<Listing> listing = FetchListing(scrape, api, db);
    if (!listing.ok()) return listing.status();
    cache.Set(std::move(*listing));
  }
  const Listing& listing = cache.value();
  state->listed = true;
  state->collections = listing.server_count;
  state->states.reserve(listing.collections.size());
  for (const auto& c : listing.collections) {
    CollectionState cs;
    cs.info = &c;
    cs.key = db.Key() + "\n" + c.id;
    state->states.push_back(std::move(cs));
  }
  return Status::Ok();
}

StatusOr<ChromaCollector::Listing> ChromaCollector::FetchListing(Scrape& scrape, Api api,
                                                                 const Database& db) {
  const std::string where = db.Key() + ": ";
  Answer a;
  if (api == Api::kV2) {
    // Chroma 1.x lists an unknown database as empty: a typo would look like "no collections".
    a = Call(Client(0), scrape, "GET", DatabasePath(db));
    if (!a.ok) return Status::Error(where + "database: " + a.what);
  }
  std::optional<std::int64_t> server_count;
  a = Call(Client(0), scrape, "GET", CountCollectionsPath(api, db));
  if (a.ok) {
    StatusOr<std::int64_t> count = ParseCount(a.body);
    if (!count.ok()) return Status::Error(where + "collection count: " + count.status().message());
    server_count = *count;
  } else if (!(api == Api::kV1 && a.status == 404)) {
    // (0.4 servers have no count_collections; the listing alone then serves.)
    return Status::Error(where + "collection count: " + a.what);
  }
  Listing listing;
  std::vector<CollectionInfo>& all = listing.collections;
  std::unordered_set<std::string> seen;
  std::int64_t offset = 0;
  for (;;) {
    a = Call(Client(0), scrape, "GET", ListCollectionsPath(api, db, cfg_.page_size, offset), "",
             std::max<std::size_t>(kMaxListBody, static_cast<std::size_t>(cfg_.page_size) * 4096));
    std::vector<CollectionInfo> page;
    Status parsed = a.ok ? ParseCollectionsPage(a.body, &page) : Status::Error(a.what);
    if (!parsed.ok()) {
      return Status::Error(where + "collections at offset " + std::to_string(offset) + ": " +
                           parsed.message());
    }
    std::size_t added = 0;
    for (auto& c : page) {
      if (seen.insert(c.id).second) {
        all.push_back(std::move(c));
        ++added;
      }
    }
    offset += static_cast<std::int64_t>(page.size());
    // A server that ignores offset repeats itself: stop when a page adds nothing new.
    if (page.empty() || added == 0) break;
    // A server may cap the page below the limit asked for; the count, when known, decides.
    if (server_count ? static_cast<std::int64_t>(all.size()) >= *server_count
                     : static_cast<std::int64_t>(page.size()) < cfg_.page_size) {
      break;
    }
  }
  listing.server_count = server_count.value_or(static_cast<std::int64_t>(all.size()));
  return listing;
}

void ChromaCollector::RunJobs(std::vector<Job>& jobs,
                              const std::function<Answer(HttpClient&, const Job&)>& fetch) {
  if (jobs.empty()) return;
  const std::size_t workers =
      std::min<std::size_t>(static_cast<std::size_t>(cfg_.parallelism), jobs.size());
  for (std::size_t i = 0; i < workers; ++i) Client(i);  // before any thread runs
  std::atomic<std::size_t> next{0};
  auto work = [&](std::size_t worker) {
    HttpClient& client = *clients_[worker];
    for (std::size_t k = next++; k < jobs.size(); k = next++) {
      try {
        jobs[k].answer = fetch(client, jobs[k]);
      } catch (const std::exception& e) {
        jobs[k].answer.what = std::string("internal error: ") + e.what();
      } catch (...) {
        jobs[k].answer.what = "internal error";
      }
    }
  };
  if (workers == 1) {
    work(0);
    return;
  }
  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  for (std::size_t i = 1; i < workers; ++i) threads.emplace_back(work, i);
  work(0);
  for (auto& t : threads) t.join();
}

Status ChromaCollector::CollectOrFail(Scrape& scrape, MetricSink& sink) {
  StatusOr<Api> identified = Identify(scrape, sink);
  if (!identified.ok()) return identified.status();
  const Api api = *identified;
  Findings found;
  std::vector<DatabaseState> dbs = ListDatabases(scrape, api, found, sink);
  CountRecords(scrape, api, dbs, found);
  ProbeDimensions(scrape, api, dbs, found);
  EmitCollections(dbs, sink);

  std::set<std::string> listed, unlisted_dbs;
  for (const auto& ds : dbs) {
    if (!ds.listed) unlisted_dbs.insert(ds.db->Key());
    for (const auto& cs : ds.states) listed.insert(cs.key);
  }
  ForgetGone(listed, unlisted_dbs);

  sink.SetCacheAge(found.age.seconds());
  spdlog::debug(
      "chroma target {}: {} record counts fetched, {} from the cache, {} dimension probes, "
      "{:.3f} s",
      cfg_.name, found.fetched, listed.size() - found.fetched, found.probes,
      SecondsSince(scrape.started));
  const auto& errors = found.errors;
  if (errors.empty()) return Status::Ok();
  std::string message = errors[0];
  for (std::size_t i = 1; i < errors.size() && i < 3; ++i) message += "; " + errors[i];
  if (errors.size() > 3) message += "; and " + std::to_string(errors.size() - 3) + " more";
  return Status::Error(message);
}

StatusOr<Api> ChromaCollector::Identify(Scrape& scrape, MetricSink& sink) {
  StatusOr<Beat> beat = Heartbeat(scrape);
  if (!beat.ok()) {
    sink.Gauge("chroma_up", kUpHelp, {}, 0);
    return beat.status();
  }
  const Api api = beat->api;
  sink.Gauge("chroma_up", kUpHelp, {}, 1);
  sink.Gauge("chroma_heartbeat_duration_seconds", kHeartbeatHelp, {}, beat->seconds);

  std::string version = "unknown";
  Answer v = Call(Client(0), scrape, "GET", VersionPath(api));
  std::string verror = v.what;
  if (v.ok) {
    StatusOr<std::string> parsed = ParseVersion(v.body);
    if (parsed.ok()) {
      version = *parsed;
    } else {
      verror = parsed.status().message();
    }
  }
  if (version == "unknown") spdlog::debug("chroma target {}: version: {}", cfg_.name, verror);
  sink.Gauge("chroma_info", kInfoHelp, {{"version", version}, {"api", ApiName(api)}}, 1);
  return api;
}

std::vector<DatabaseState> ChromaCollector::ListDatabases(Scrape& scrape, Api api, Findings& found,
                                                          MetricSink& sink) {
  std::vector<DatabaseState> dbs(cfg_.databases.size());
  for (std::size_t i = 0; i < cfg_.databases.size(); ++i) {
    const Database& db = cfg_.databases[i];
    dbs[i].db = &db;
    if (Status listed = ListDatabase(scrape, api, db, &dbs[i], &found.age); !listed.ok()) {
      found.errors.push_back(listed.message());
      continue;
    }
    sink.Gauge("chroma_collections", kCollectionsHelp,
               {{"tenant", db.tenant}, {"database", db.database}},
               static_cast<double>(dbs[i].collections));
  }
  return dbs;
}

// Record counts: from the cache while fresh, else fetched, a few at a time.
void ChromaCollector::CountRecords(Scrape& scrape, Api api, std::vector<DatabaseState>& dbs,
                                   Findings& found) {
  std::vector<Job> jobs;
  for (std::size_t d = 0; d < dbs.size(); ++d) {
    for (std::size_t c = 0; c < dbs[d].states.size(); ++c) {
      CollectionState& cs = dbs[d].states[c];
      auto it = counts_.find(cs.key);
      if (it != counts_.end() && it->second.Fresh(cfg_.cache_ttl_seconds)) {
        cs.records = it->second.value();
        found.age.Served(it->second);
      } else {
        jobs.push_back({d, c, {}});
      }
    }
  }
  RunJobs(jobs, [&](HttpClient& client, const Job& job) {
    return Call(
        client, scrape, "GET",
        CountRecordsPath(api, *dbs[job.db].db, dbs[job.db].states[job.collection].info->id));
  });
  found.fetched = jobs.size();
  std::size_t failed = 0;
  std::string first_failure;
  for (const Job& job : jobs) {
    CollectionState& cs = dbs[job.db].states[job.collection];
    std::string e = job.answer.what;
    if (job.answer.ok) {
      StatusOr<std::int64_t> n = ParseCount(job.answer.body);
      if (n.ok()) {
        cs.records = *n;
        counts_[cs.key].Set(*n);
        continue;
      }
      e = n.status().message();
    } else if (job.answer.status == 404) {
      // Deleted since the listing: not an error; the next scrape lists afresh.
      lists_[dbs[job.db].db->Key()].Invalidate();
      counts_.erase(cs.key);
      continue;
    }
    if (failed++ == 0) first_failure = cs.info->name + ": " + e;
  }
  if (failed > 0) {
    found.errors.push_back("record counts of " + std::to_string(failed) + " of " +
                           std::to_string(jobs.size()) + " collections failed, first " +
                           first_failure);
  }
}

// Dimensions: the collection's own field, else one record's embedding (0.4.x has no field).
void ChromaCollector::ProbeDimensions(Scrape& scrape, Api api, std::vector<DatabaseState>& dbs,
                                      Findings& found) {
  std::vector<Job> probes;
  for (std::size_t d = 0; d < dbs.size(); ++d) {
    for (std::size_t c = 0; c < dbs[d].states.size(); ++c) {
      CollectionState& cs = dbs[d].states[c];
      if (!cs.records) continue;
      if (cs.info->dimension) {
        cs.dimension = cs.info->dimension;
      } else if (*cs.records == 0) {
        probed_.erase(cs.key);  // emptied: a later refill may bring another dimension
      } else if (auto it = probed_.find(cs.key); it != probed_.end()) {
        cs.dimension = it->second;
      } else {
        probes.push_back({d, c, {}});
      }
    }
  }
  RunJobs(probes, [&](HttpClient& client, const Job& job) {
    return Call(client, scrape, "POST",
                GetRecordsPath(api, *dbs[job.db].db, dbs[job.db].states[job.collection].info->id),
                EmbeddingProbeBody());
  });
  found.probes = probes.size();
  std::size_t failed = 0;
  std::string first_failure;
  for (const Job& job : probes) {
    CollectionState& cs = dbs[job.db].states[job.collection];
    std::string e = job.answer.what;
    if (job.answer.ok) {
      StatusOr<EmbeddingProbe> p = ParseEmbeddingProbe(job.answer.body);
      if (p.ok()) {
        if (p->found) {
          cs.dimension = p->dimension;
          probed_[cs.key] = p->dimension;
        }
        continue;
      }
      e = p.status().message();
    } else if (job.answer.status == 404) {
      continue;
    }
    if (failed++ == 0) first_failure = cs.info->name + ": " + e;
  }
  if (failed > 0) {
    found.errors.push_back("dimension probes of " + std::to_string(failed) + " of " +
                           std::to_string(probes.size()) + " collections failed, first " +
                           first_failure);
  }
}

void ChromaCollector::EmitCollections(const std::vector<DatabaseState>& dbs, MetricSink& sink) {
  std::set<std::string> mismatching, observed, listed, unlisted_dbs;
  for (const auto& ds : dbs) {
    if (!ds.listed) {
      unlisted_dbs.insert(ds.db->Key());
      continue;
    }
    for (const auto& cs : ds.states) {
      listed.insert(cs.key);
      if (!cs.records) continue;
      const Labels labels = {
          {"tenant", ds.db->tenant}, {"database", ds.db->database}, {"collection", cs.info->name}};
      sink.Gauge("chroma_collection_records", kRecordsHelp, labels,
                 static_cast<double>(*cs.records));
      if (!cs.dimension) continue;
      observed.insert(cs.key);
      sink.Gauge("chroma_collection_dimension", kDimensionHelp, labels,
                 static_cast<double>(*cs.dimension));
      if (cfg_.expected_dimension <= 0) continue;
      const bool mismatch = *cs.dimension != cfg_.expected_dimension;
      sink.Gauge("chroma_collection_dimension_mismatch", kMismatchHelp, labels, mismatch ? 1 : 0);
      if (!mismatch) continue;
      mismatching.insert(cs.key);
      if (!mismatching_.count(cs.key)) {
        spdlog::warn(
            "chroma target {}: collection {} of {} has dimension {}, expected {} (MEM-005)",
            cfg_.name, cs.info->name, ds.db->Key(), *cs.dimension, cfg_.expected_dimension);
        if (memory_errors_ != nullptr) memory_errors_->Add(MemCode::kDimensionMismatch, "chroma");
      }
    }
  }
  auto db_of = [](const std::string& key) { return key.substr(0, key.find('\n')); };
  // A collection not seen this time (its database or its count failed) keeps its state, so
  // that a flapping request does not count the same mismatch again.
  for (const auto& key : mismatching_) {
    if (observed.count(key)) continue;
    if (listed.count(key) || unlisted_dbs.count(db_of(key))) mismatching.insert(key);
  }
  mismatching_ = std::move(mismatching);
}

void ChromaCollector::ForgetGone(const std::set<std::string>& listed,
                                 const std::set<std::string>& unlisted_dbs) {
  auto db_of = [](const std::string& key) { return key.substr(0, key.find('\n')); };
  auto gone = [&](const std::string& key) {
    return !listed.count(key) && !unlisted_dbs.count(db_of(key));
  };
  std::erase_if(counts_, [&](const auto& kv) { return gone(kv.first); });
  std::erase_if(probed_, [&](const auto& kv) { return gone(kv.first); });
  std::erase_if(lists_, [&](const auto& kv) {
    return std::none_of(cfg_.databases.begin(), cfg_.databases.end(),
                        [&](const Database& db) { return db.Key() == kv.first; });
  });
}

// Past this many collections the --once report lists only those over a threshold.
constexpr std::size_t kMaxCollectionRows = 50;

// "tenant/database/collection" of row i.
std::string CollectionWhere(const Family& f, std::size_t i) {
  return f.LabelValue(i, "tenant") + "/" + f.LabelValue(i, "database") + "/" +
         f.LabelValue(i, "collection");
}

// One "records" row per collection; past kMaxCollectionRows, the collections within the
// thresholds share one row.
void RecordChecks(const Family& records, const Level& level, const std::string& kind,
                  const std::string& target, std::vector<HealthCheck>& out) {
  const std::string threshold =
      "> " + FormatNumber(level.warning) + " warn, > " + FormatNumber(level.critical) + " crit";
  std::size_t quiet = 0;
  double largest_quiet = -1;
  std::string largest_quiet_name;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const double v = records.Value(i);
    const Severity s = Grade(v, level);
    if (records.size() > kMaxCollectionRows && s == Severity::kOk) {
      ++quiet;
      if (v > largest_quiet) {
        largest_quiet = v;
        largest_quiet_name = CollectionWhere(records, i);
      }
      continue;
    }
    out.push_back(
        {kind, target, "records " + CollectionWhere(records, i), FormatNumber(v), threshold, s});
  }
  if (quiet > 0) {
    out.push_back({kind, target, "records of " + std::to_string(quiet) + " more collections",
                   "largest " + FormatNumber(largest_quiet) + " (" + largest_quiet_name + ")",
                   threshold, Severity::kOk});
  }
}

void ChromaCollector::Checks(const Families& families, bool success, const Thresholds& thresholds,
                             std::vector<HealthCheck>& out) const {
  double up = 0;
  const bool reachable = FindSample(families, "chroma_up", {}, &up) && up == 1;
  out.push_back({Kind(), cfg_.name, "reachable", reachable ? "yes" : "no", "",
                 reachable ? Severity::kOk : Severity::kCritical});
  if (!reachable) return;
  if (!success) {
    out.push_back({Kind(), cfg_.name, "collected", "no (see the log)", "", Severity::kCritical});
  }

  static const Family kNoFamily;
  const Family* found = families.Find("chroma_collection_records");
  std::vector<std::string> mismatches;
  if (const Family* f = families.Find("chroma_collection_dimension_mismatch")) {
    for (std::size_t i = 0; i < f->size(); ++i) {
      if (f->Value(i) == 1) mismatches.push_back(CollectionWhere(*f, i));
    }
  }
  RecordChecks(found != nullptr ? *found : kNoFamily, thresholds.chroma_collection_vectors, Kind(),
               cfg_.name, out);

  if (cfg_.expected_dimension > 0) {
    std::string value = std::to_string(mismatches.size());
    for (std::size_t i = 0; i < mismatches.size() && i < 5; ++i) {
      value += (i == 0 ? ": " : ", ") + mismatches[i];
    }
    if (mismatches.size() > 5) value += ", ...";
    out.push_back({Kind(), cfg_.name, "dimension mismatches (MEM-005)", value,
                   "expected " + std::to_string(cfg_.expected_dimension),
                   mismatches.empty() ? Severity::kOk : Severity::kCritical});
  }
}

}  // namespace

std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<TargetConfig> targets,
                                                       const CollectorEnv& env) {
  std::vector<std::shared_ptr<Collector>> out;
  out.reserve(targets.size());
  for (auto& cfg : targets) {
    out.push_back(std::make_shared<ChromaCollector>(std::move(cfg), env));
  }
  return out;
}

}  // namespace thoth::chroma
