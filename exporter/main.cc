// exporter: one Prometheus exporter for the Thoth stack. See --help and README.md.
#include <malloc.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX sigset_t, sigwait
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "exporter/app.h"
#include "exporter/cli.h"
#include "exporter/http_server.h"
#include "exporter/logging.h"
#include "spdlog/spdlog.h"

namespace {

// Collection threads may still be blocked on a hung target at shutdown; they own their state
// but exiting through static destructors under them is unsafe, so leave without them.
[[noreturn]] void Exit(int code) {
  spdlog::shutdown();
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(code);
}

// Every scrape collects each target on a new thread, and glibc gives threads their own malloc
// arenas (up to 8 per core) that keep what was freed in them: RSS grew past 150 MiB within 50
// scrapes of a 10,000-table database. Two arenas keep it near 30 MiB at the same CPU cost.
// Buffers of 128 KiB and more (a scrape's text, its gzip copy, large query results) are
// mapped and unmapped on their own rather than left in the heap. A fixed threshold also stops
// glibc from raising it after the first large free, which parked such buffers in the heap.
void TuneMalloc() {
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

// glibc also gives every thread a cache of the small blocks it freed (tcache: up to 7 per size
// class), which counts as memory in use. The exporter keeps about 70 threads for its whole life
// (64 HTTP workers, render and log threads), and each filled its cache a little more whenever it
// served something new: in the 20-minute fault soak the bytes in use grew from 2.9 to 3.9 MB
// while the live heap stayed flat, and resident memory grew 0.7 to 1.3 MiB after the first five
// minutes. Without the caches the bytes in use stay at 2.3-2.7 MB and resident memory grew
// 180 KiB over the same soak (docs/reliability.md). The cache size is a glibc tunable, read only
// from the environment when a process starts, so the exporter sets it and executes itself once
// more, before any thread exists (same pid, same arguments). A GLIBC_TUNABLES the operator set
// is left as it is.
void DisableThreadCaches(char** argv) {
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  if (setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not executable again (e.g. no /proc): run with the caches.
  unsetenv("GLIBC_TUNABLES");
}

// Signals are taken by one thread with sigwait; they are blocked before any thread exists.
sigset_t BlockSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

// --check-config: the verdict on the configuration, as the exit code.
[[noreturn]] void CheckConfig(thoth::App& app, const thoth::Status& loaded) {
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.message().c_str());
    Exit(3);
  }
  auto cfg = app.config();
  std::printf("%s: valid, %zu targets\n", cfg->source.c_str(), cfg->target_count);
  Exit(0);
}

// --once: one collection, the report, and the Nagios exit code.
[[noreturn]] void RunOnce(thoth::App& app, const thoth::Options& options,
                          const thoth::Status& loaded) {
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.message().c_str());
    std::printf("UNKNOWN: configuration error\n");
    Exit(3);
  }
  const bool color =
      options.once_format == "text" && isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
  int code = app.RunOnce(options.once_format, std::cout, color);
  std::cout.flush();
  Exit(code);
}

// Serves HTTP until SIGINT or SIGTERM; reloads the configuration on SIGHUP.
[[noreturn]] void Serve(thoth::App& app, const thoth::Options& options, const sigset_t& signals) {
  thoth::WebConfig web;
  if (!options.web_config_file.empty()) {
    thoth::Status s = thoth::LoadWebConfig(options.web_config_file, &web);
    if (!s.ok()) {
      spdlog::critical("cannot start: {}", s.message());
      Exit(1);
    }
  }
  const bool tls = web.tls.has_value();
  const std::string listen = options.listen_address.value_or(app.config()->exporter.listen_address);
  thoth::HttpServer server(app, listen, options.telemetry_path, std::move(web),
                           options.web_config_file);
  thoth::Status started = server.Start();
  if (!started.ok()) {
    spdlog::critical("cannot start: {}", started.message());
    Exit(1);
  }
  spdlog::info("{} listening on {} ({}, metrics at {})", thoth::VersionText(), listen,
               tls ? "https" : "http", options.telemetry_path);

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading the configuration");
      app.Reload();
      server.ReloadWebConfig();
      continue;
    }
    // Nothing is buffered that a client would miss: in-flight scrapes are cut off, as they
    // would be by a restart. civetweb's orderly stop takes seconds; exiting does not.
    spdlog::info("signal {}: shutting down", sig);
    app.Shutdown();
    Exit(0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  DisableThreadCaches(argv);
  TuneMalloc();
  thoth::Options options;
  thoth::Status parsed = thoth::ParseArgs(argc, argv, &options);
  if (!parsed.ok()) {
    std::fprintf(stderr, "exporter: %s\n", parsed.message().c_str());
    return 3;
  }
  if (options.help) {
    std::cout << thoth::HelpText();
    return 0;
  }
  if (options.version) {
    std::cout << thoth::VersionText() << "\n";
    return 0;
  }

  const sigset_t signals = BlockSignals();
  thoth::Status logging =
      thoth::SetupLogging(options.log_level.value_or("info"), options.log_format);
  if (!logging.ok()) {
    std::fprintf(stderr, "exporter: %s\n", logging.message().c_str());
    return 3;
  }

  thoth::App app(options);
  thoth::Status loaded = app.Load();
  if (options.check_config) CheckConfig(app, loaded);
  if (options.once) RunOnce(app, options, loaded);
  if (!loaded.ok()) {
    spdlog::critical("cannot start: {}", loaded.message());
    Exit(1);
  }
  Serve(app, options, signals);
}
