#include "collectors/backup/backup_collector.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "collectors/backup/backup_scan.h"
#include "collectors/backup/backup_verify.h"

namespace thoth::backup {
namespace {

const std::string kKind = "backup";

// A backup file as scanned: a new path, size or mtime is a new file to verify.
struct FileKey {
  std::string path;
  double size = 0;
  double mtime = 0;
  bool operator==(const FileKey& o) const {
    return path == o.path && size == o.size && mtime == o.mtime;
  }
};

// One verification of one file, run on its own thread. The collector and the thread share it.
struct VerifyJob {
  FileKey key;
  BackupFormat format = BackupFormat::kAuto;
  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;    // guarded by mu
  VerifyResult result;  // guarded by mu; final once done
  double seconds = 0;   // guarded by mu
};

void RunJob(const std::shared_ptr<VerifyJob>& job) {
  auto start = std::chrono::steady_clock::now();
  VerifyResult r = VerifyBackupFile(job->key.path, job->format, &job->cancel);
  // A file still being written (or replaced) while it was read says nothing yet.
  struct stat st;
  if (r.reason != "cancelled" && r.reason != "io_error" &&
      (::stat(job->key.path.c_str(), &st) != 0 ||
       static_cast<double>(st.st_size) != job->key.size ||
       static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9 !=
           job->key.mtime)) {
    r.ok = false;
    r.reason = "changed_during_verification";
    r.detail = "the file changed while it was read";
  }
  std::lock_guard<std::mutex> lock(job->mu);
  job->result = std::move(r);
  job->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  job->done = true;
  job->cv.notify_all();
}

class BackupCollector : public Collector {
 public:
  // The base is built first, so config.name is still there when moved into name_.
  BackupCollector(BackupConfig config, std::string fingerprint)
      : Collector(CollectorId::Unlabelled(kKind, config.name, std::move(fingerprint))),
        name_(std::move(config.name)),
        pattern_(std::move(config.pattern)),
        verify_(config.verify),
        settle_seconds_(config.settle_seconds) {}

  ~BackupCollector() override {
    Stop();
    for (auto& t : threads_) t.join();
  }

  // May run beside a late Collect(): job_ is read under job_mu_, which Collect() holds when it
  // replaces job_.
  void Stop() override {
    std::lock_guard<std::mutex> lock(job_mu_);
    if (job_) job_->cancel = true;
  }

  Status Collect(const ScrapeContext& ctx, MetricSink& sink) override {
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
      sink.Gauge("thoth_backup_last_size_bytes", "Size of the newest backup file in bytes.", labels,
                 newest->size_bytes);
      if (auto previous = Previous(files, *newest)) {
        sink.Gauge("thoth_backup_previous_size_bytes",
                   "Size of the backup file before the newest, in bytes (absent with fewer than "
                   "two files).",
                   labels, previous->size_bytes);
      }
      Verify(ctx, *newest, labels, sink);
    }
    return Status::Ok();
  }

  void Checks(const Families& families, bool success, const Thresholds& thresholds,
              std::vector<HealthCheck>& out) const override {
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
    VerifyCheck(families, out);
  }

 private:
  // The file before `newest` in NewestBackup's order.
  static std::optional<BackupFile> Previous(const std::vector<BackupFile>& files,
                                            const BackupFile& newest) {
    std::vector<BackupFile> rest;
    for (const auto& f : files) {
      if (f.path != newest.path) rest.push_back(f);
    }
    return NewestBackup(rest);
  }

  // Verifies the newest file once per (path, size, mtime) on a thread of its own, waiting for
  // the verdict only until just before the scrape's deadline; a long verification goes on in
  // the background and is picked up by a later scrape.
  void Verify(const ScrapeContext& ctx, const BackupFile& newest, const Labels& labels,
              MetricSink& sink) {
    BackupFormat format = FormatForPath(newest.path, verify_);
    if (format == BackupFormat::kNone) return;
    FileKey key{newest.path, newest.size_bytes, newest.mtime_seconds};
    if (!(cached_key_ == key)) {
      double now =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      if (now - newest.mtime_seconds < settle_seconds_) {
        // Probably still being written: judge it once it has been left alone for a while.
        Pending(labels, sink);
        return;
      }
      if (!job_ || !(job_->key == key)) StartJob(key, format);
      std::unique_lock<std::mutex> lock(job_->mu);
      job_->cv.wait_until(lock, ctx.IoDeadline(), [&] { return job_->done; });
      if (!job_->done) {
        lock.unlock();
        Pending(labels, sink);
        return;
      }
      VerifyResult result = job_->result;
      double seconds = job_->seconds;
      lock.unlock();
      SetJob(nullptr);
      if (result.reason == "changed_during_verification" || result.reason == "cancelled") {
        Pending(labels, sink);
        return;
      }
      cached_key_ = key;
      cached_ = result;
      cached_seconds_ = seconds;
      if (!result.ok) {
        spdlog::warn("backup {}: newest file {} does not verify: {}: {}", name_, key.path,
                     result.reason, result.detail);
      } else {
        spdlog::debug("backup {}: {} verified ({} entries, {} bytes in {:.3f} s)", name_, key.path,
                      result.entries, result.bytes_read, seconds);
      }
    }
    WriteVerdict(labels, sink);
  }

  // The cached verdict of the newest file.
  void WriteVerdict(const Labels& labels, MetricSink& sink) const {
    sink.Gauge("thoth_backup_verification_pending",
               "1 while the newest backup file has not been verified yet.", labels, 0);
    sink.Gauge("thoth_backup_verified",
               "1 if the newest backup file verifies (pg_dump header and TOC, or gzip and tar "
               "read to the end), 0 if not.",
               labels, cached_.ok ? 1 : 0);
    sink.Gauge("thoth_backup_verify_duration_seconds",
               "Time the verification of the newest backup file took.", labels, cached_seconds_);
    if (cached_.ok && cached_.entries >= 0) {
      sink.Gauge("thoth_backup_entries",
                 "Entries of the newest backup: TOC entries of a pg_dump archive, members of a "
                 "tar.",
                 labels, static_cast<double>(cached_.entries));
    }
    if (!cached_.ok) {
      Labels reason = labels;
      reason.push_back({"reason", cached_.reason});
      sink.Gauge("thoth_backup_verify_failure_info",
                 "Why the newest backup file does not verify (the reason label); 1 while it "
                 "does not.",
                 reason, 1);
    }
  }

  void Pending(const Labels& labels, MetricSink& sink) const {
    sink.Gauge("thoth_backup_verification_pending",
               "1 while the newest backup file has not been verified yet.", labels, 1);
  }

  void StartJob(const FileKey& key, BackupFormat format) {
    if (job_) job_->cancel = true;  // an older file's verification: its verdict is moot
    ReapThreads();
    auto job = std::make_shared<VerifyJob>();
    job->key = key;
    job->format = format;
    SetJob(job);
    threads_.emplace_back([job] { RunJob(job); });
    thread_jobs_.push_back(job);
  }

  void SetJob(std::shared_ptr<VerifyJob> job) {
    std::lock_guard<std::mutex> lock(job_mu_);
    job_ = std::move(job);
  }

  // Joins the threads whose job is done (they have returned or are about to).
  void ReapThreads() {
    for (std::size_t i = 0; i < threads_.size();) {
      bool done = false;
      {
        std::lock_guard<std::mutex> lock(thread_jobs_[i]->mu);
        done = thread_jobs_[i]->done;
      }
      if (done) {
        threads_[i].join();
        threads_.erase(threads_.begin() + static_cast<long>(i));
        thread_jobs_.erase(thread_jobs_.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
  }

  void VerifyCheck(const Families& families, std::vector<HealthCheck>& out) const {
    Labels labels = {{"backup", name_}};
    double pending = 0;
    if (!FindSample(families, "thoth_backup_verification_pending", labels, &pending)) return;
    double verified = 0;
    if (pending != 0 || !FindSample(families, "thoth_backup_verified", labels, &verified)) {
      out.push_back({kKind, name_, "newest backup verifies", "not verified yet", "must verify",
                     Severity::kWarning});
      return;
    }
    if (verified == 1) {
      double entries = 0;
      std::string value = "yes";
      if (FindSample(families, "thoth_backup_entries", labels, &entries)) {
        value += " (" + FormatNumber(entries) + " entries)";
      }
      out.push_back({kKind, name_, "newest backup verifies", value, "must verify", Severity::kOk});
      return;
    }
    std::string reason = "unknown";
    for (const auto& family : families) {
      if (family.name != "thoth_backup_verify_failure_info") continue;
      for (std::size_t i = 0; i < family.size(); ++i) {
        if (family.LabelValue(i, "backup") == name_) reason = family.LabelValue(i, "reason");
      }
    }
    out.push_back({kKind, name_, "newest backup verifies", "no: " + reason, "must verify",
                   Severity::kCritical});
  }

  const std::string name_;
  const std::string pattern_;
  const BackupFormat verify_;
  const double settle_seconds_;
  // Touched only by Collect (never concurrent for one instance) and the destructor, except
  // job_, which Stop() reads too: written under job_mu_ (Collect() reads it without).
  FileKey cached_key_;
  VerifyResult cached_;
  double cached_seconds_ = 0;
  std::mutex job_mu_;
  std::shared_ptr<VerifyJob> job_;  // the newest file's verification, until its verdict is read
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<VerifyJob>> thread_jobs_;  // threads_[i] runs thread_jobs_[i]
};

}  // namespace

std::vector<std::shared_ptr<Collector>> MakeCollectors(std::vector<BackupConfig> backups,
                                                       const CollectorEnv& env) {
  (void)env;
  std::vector<std::shared_ptr<Collector>> out;
  for (auto& config : backups) {
    std::string fingerprint = config.fingerprint;
    out.push_back(std::make_shared<BackupCollector>(std::move(config), std::move(fingerprint)));
  }
  return out;
}

}  // namespace thoth::backup
