#include "collectors/backup/backup_collector.h"

#include <chrono>
#include <cmath>
#include <set>

#include "collectors/backup/backup_scan.h"

namespace thoth::backup {
namespace {

const std::string kKind = "backup";

class BackupCollector : public Collector {
 public:
  BackupCollector(std::string name, std::string pattern, std::string fingerprint)
      : name_(std::move(name)),
        pattern_(std::move(pattern)),
        fingerprint_(std::move(fingerprint)) {}

  const std::string& Name() const override { return kKind; }
  const std::string& Target() const override { return name_; }
  std::string TargetLabel() const override { return ""; }
  const std::string& Fingerprint() const override { return fingerprint_; }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
    (void)ctx;
    try {
      std::vector<BackupFile> files;
      Status status = ScanBackupGlob(pattern_, &files);
      // The scrape engine logs the failure (with this message) once, on the transition.
      if (!status.ok()) return status;
      Labels labels = {{"backup", name_}};
      sink.Gauge("thoth_backup_files", "Number of files matching the backup's glob.", labels,
                 static_cast<double>(files.size()));
      if (auto newest = NewestBackup(files)) {
        sink.Gauge("thoth_backup_last_timestamp_seconds",
                   "Modification time of the newest backup file, in unix seconds (absent while "
                   "there is none).",
                   labels, newest->mtime_seconds);
        sink.Gauge("thoth_backup_last_size_bytes", "Size of the newest backup file in bytes.",
                   labels, newest->size_bytes);
      }
      return Status::Ok();
    } catch (const std::exception& e) {
      return Status::Error(std::string("backup: ") + e.what());
    }
  }

  void Checks(const std::vector<prometheus::MetricFamily>& families, bool success,
              const Thresholds& thresholds, std::vector<HealthCheck>& out) const override {
    if (!success) {
      Collector::Checks(families, success, thresholds, out);
      return;
    }
    std::string threshold = "> " + FormatNumber(thresholds.backup_max_age_seconds) + " s crit";
    double mtime = 0;
    if (!FindSample(families, "thoth_backup_last_timestamp_seconds", {{"backup", name_}}, &mtime)) {
      out.push_back(
          {kKind, name_, "newest backup age", "no backup file", threshold, Severity::kCritical});
      return;
    }
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    double age = now - mtime;
    out.push_back({kKind, name_, "newest backup age", FormatNumber(std::round(age)) + " s",
                   threshold,
                   age > thresholds.backup_max_age_seconds ? Severity::kCritical : Severity::kOk});
  }

 private:
  const std::string name_;
  const std::string pattern_;
  const std::string fingerprint_;
};

}  // namespace

std::vector<std::shared_ptr<Collector>> MakeCollectors(const ConfigNode& root,
                                                       const CollectorEnv& env) {
  (void)env;
  std::vector<std::shared_ptr<Collector>> out;
  std::set<std::string> names;
  for (const auto& item : root.Child("backup").Items()) {
    item.ExpectKeys({"name", "glob"});
    std::string name = item.RequiredString("name");
    std::string pattern = item.RequiredString("glob");
    if (name.empty()) item.FailKey("name", "must not be empty");
    if (!names.insert(name).second) item.FailKey("name", "repeats an earlier backup");
    if (pattern.empty() || pattern[0] != '/') item.FailKey("glob", "must be an absolute path");
    out.push_back(std::make_shared<BackupCollector>(name, pattern, item.Fingerprint()));
  }
  return out;
}

}  // namespace thoth::backup
