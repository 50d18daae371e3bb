#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

namespace thoth {

// A value read from a slow source (a catalog scan, an HTTP listing), kept for a time to live.
// The collectors that cache (postgres, chroma) all ask the same three questions of it: may the
// value be served without a refresh, how old is it, and forget it. Not thread-safe: owned by one
// collector whose Collect is never concurrent.
template <typename T>
class TtlCache {
 public:
  using Clock = std::chrono::steady_clock;

  // Whether the value may be served without a refresh: present, ttl > 0 and younger than ttl.
  // ttl 0 means "read at every scrape": never fresh.
  bool Fresh(double ttl_seconds, Clock::time_point now = Clock::now()) const {
    return value_.has_value() && ttl_seconds > 0 && Age(now) < ttl_seconds;
  }
  bool valid() const { return value_.has_value(); }
  // Seconds since the value was stored; 0 when empty.
  double Age(Clock::time_point now = Clock::now()) const {
    if (!value_) return 0;
    return std::chrono::duration<double>(now - at_).count();
  }
  Clock::time_point at() const { return at_; }

  // The value; only when valid().
  const T& value() const { return *value_; }
  T& value() { return *value_; }

  void Set(T value, Clock::time_point at = Clock::now()) {
    value_ = std::move(value);
    at_ = at;
  }
  void Invalidate() { value_.reset(); }

 private:
  std::optional<T> value_;
  Clock::time_point at_{};
};

// The age reported as thoth_exporter_collector_cache_age_seconds: the oldest cached value one
// collection served instead of a fresh read (0 when everything was fresh).
class CacheAge {
 public:
  template <typename T>
  void Served(const TtlCache<T>& cache) {
    if (cache.valid()) seconds_ = std::max(seconds_, cache.Age());
  }
  void Served(double age_seconds) { seconds_ = std::max(seconds_, age_seconds); }
  double seconds() const { return seconds_; }

 private:
  double seconds_ = 0;
};

}  // namespace thoth
