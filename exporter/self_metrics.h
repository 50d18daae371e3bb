#pragma once

#include <string>

#include "exporter/metric_sink.h"

namespace thoth {

// The exporter's own process, as every Prometheus client library reports it.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // unix time
  double open_fds = 0;
  double max_fds = 0;
};

// Parses /proc/<pid>/stat text with procfs's ParseProcStat (the process collector's parser)
// and converts it: ticks_per_second is sysconf(_SC_CLK_TCK); boot_time_seconds comes from
// /proc/stat btime. False when the text is cut before `rss` or a field is not a number.
bool ParseProcSelfStat(const std::string& stat, double ticks_per_second, double page_size,
                       double boot_time_seconds, ProcessStats* out);

// Reads /proc/self and writes process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds.
void EmitProcessMetrics(MetricSink& sink);

}  // namespace thoth
