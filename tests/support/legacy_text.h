#pragma once

// The exporter's former text path, kept for tests only: samples built as prometheus-cpp
// MetricFamily objects (the MetricSink of before) and written by prometheus-cpp 1.0.1's
// TextSerializer, families merged across targets as MergeFamilies did.
//
// Linking legacy_text.cc into a test binary gives every MetricSink of that binary an observer
// that builds the same samples the old way; whenever the sink hands over or drops its samples,
// the old text and the text writer's must be equal byte for byte, or the running test fails.

#include <cstddef>
#include <string>
#include <vector>

#include "exporter/metric_sink.h"
#include "prometheus/metric_family.h"

namespace thoth::testing {

// TextSerializer's output for `families`.
std::string LegacyText(const std::vector<prometheus::MetricFamily>& families);

// One family per name (the first HELP and TYPE win), in first-seen order; families of a type
// that conflicts with the first are dropped. (The former MergeFamilies.)
std::vector<prometheus::MetricFamily> LegacyMerge(
    const std::vector<std::vector<prometheus::MetricFamily>>& parts);

// The old sink's families of the samples a sink handed over last (at Take or destruction).
const std::vector<prometheus::MetricFamily>& LegacyFamilies(const MetricSink& sink);

// How many times, in this process, a sink's text was compared with the old path's, and how many
// of those comparisons were skipped because a sample's type conflicted with its family's (the old
// sink wrote such a sample with a value of 0; the text writer drops it).
std::size_t LegacyComparisons();
std::size_t LegacySkippedComparisons();

}  // namespace thoth::testing
