// CPU, page faults and bytes of writing one large scrape: 1,000 tables x 20 per-table families
// (20,000 samples with target, datname, schemaname and relname labels, about 1.4 MB of text, the
// size of the 500-table `postgres +tables` case), written into a MetricSink as the PostgreSQL
// collector writes them (one sample of each family per row), then rendered by SerializeResults
// with the self metrics, and the freed memory trimmed as the HTTP server does after a response.
//
//   build/bin/sink_bench [scrapes]     (SINK_BENCH_TEXT=FILE writes the last scrape's text)
//
// The source uses only what the sink API had before and after the direct text writer, so the
// same file measures both (compile it against the older exporter/metric_sink.cc and
// exporter/scrape_engine.cc for the "before" numbers; bench/results/2026-12-07-sink.md).

#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "exporter/metric_sink.h"
#include "exporter/scrape_engine.h"

namespace {

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long MinorFaults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

const char* const kColumns[20] = {"seq_scan",          "seq_tup_read",        "idx_scan",
                                  "idx_tup_fetch",     "n_tup_ins",           "n_tup_upd",
                                  "n_tup_del",         "n_tup_hot_upd",       "n_live_tup",
                                  "n_dead_tup",        "n_mod_since_analyze", "n_ins_since_vacuum",
                                  "vacuum_count",      "autovacuum_count",    "analyze_count",
                                  "autoanalyze_count", "last_vacuum",         "last_autovacuum",
                                  "table_size_bytes",  "index_size_bytes"};

void Emit(thoth::MetricSink& sink, int tables) {
  std::vector<std::string> names, helps;
  for (const char* c : kColumns) {
    names.push_back(std::string("pg_stat_user_tables_") + c);
    helps.push_back(std::string("Column ") + c + " of pg_stat_user_tables, per table.");
  }
  for (int t = 0; t < tables; ++t) {
    char relname[32];
    std::snprintf(relname, sizeof relname, "table_%04d", t);
    const thoth::Labels labels = {
        {"datname", "memory"}, {"schemaname", "public"}, {"relname", relname}};
    for (int c = 0; c < 20; ++c) {
      // Counters are whole numbers; timestamps and a few ratios are not.
      const double v = c == 16 || c == 17 ? 1.7654e9 + t * 0.123456 : t * 1000.0 + c;
      if (c < 8) {
        sink.Counter(names[c], helps[c], labels, v);
      } else {
        sink.Gauge(names[c], helps[c], labels, v);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int scrapes = argc > 1 ? std::atoi(argv[1]) : 100;
  const int tables = 1000;
  using Taken = std::remove_cvref_t<decltype(std::declval<thoth::MetricSink&>().Take())>;
  std::shared_ptr<Taken> previous;
  double emit_cpu = 0, render_cpu = 0;
  long faults = 0;
  std::size_t bytes = 0;
  for (int i = 0; i <= scrapes; ++i) {
    const long faults0 = MinorFaults();
    const double t0 = CpuSeconds();
    thoth::TargetResult r;
    {
#ifdef THOTH_SINK_REUSE
      // As the scrape engine does: the last collection's buffers, once nobody reads them.
      thoth::MetricSink sink("memory-db", previous ? std::move(*previous) : Taken());
#else
      thoth::MetricSink sink("memory-db");
#endif
      Emit(sink, tables);
      previous = std::make_shared<Taken>(sink.Take());
      r.families = previous;
    }
    const double t1 = CpuSeconds();
    thoth::MetricSink self;
    self.Gauge("thoth_exporter_scrape_duration_seconds", "How long this scrape took.", {}, 0.1);
    std::string text = thoth::SerializeResults({r}, self.Take());
    r.families.reset();
    const double t2 = CpuSeconds();
    bytes = text.size();
    if (i == scrapes && std::getenv("SINK_BENCH_TEXT") != nullptr) {
      std::FILE* f = std::fopen(std::getenv("SINK_BENCH_TEXT"), "w");
      if (f != nullptr) {
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
      }
    }
    text = std::string();
    if (mallinfo2().fordblks > (1 << 20)) malloc_trim(0);
    const long faults1 = MinorFaults();
    if (i == 0) continue;  // warm-up
    emit_cpu += t1 - t0;
    render_cpu += t2 - t1;
    faults += faults1 - faults0;
  }
  std::printf(
      "%d scrapes of %d samples, %zu bytes each: CPU per scrape %.2f ms (writing samples %.2f ms, "
      "rendering %.2f ms), %.0f minor page faults per scrape\n",
      scrapes, tables * 20, bytes, (emit_cpu + render_cpu) * 1e3 / scrapes,
      emit_cpu * 1e3 / scrapes, render_cpu * 1e3 / scrapes, static_cast<double>(faults) / scrapes);
  return 0;
}
