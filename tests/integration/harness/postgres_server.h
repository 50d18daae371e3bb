#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

struct pg_conn;

namespace thoth::testing {

// A real PostgreSQL 15 cluster in a temporary directory, on a free port of 127.0.0.1, with
// pg_stat_statements preloaded. PostgreSQL refuses to run as root, so as root every server
// command runs as the `postgres` user (runuser), and the directory is theirs.
//
// Two roles: the bootstrap superuser `postgres` (trusted on the Unix socket, for the tests'
// own SQL) and `thoth_monitor`, a login role that is only a member of pg_monitor, reached over
// TCP with a SCRAM password: what the exporter is meant to run as.
//
// Start/Stop/Restart/Freeze/Thaw act on the postmaster and its children; the destructor stops
// the server (by PID, immediate mode) and removes the directory.
class PostgresServer {
 public:
  static constexpr const char* kMonitorUser = "thoth_monitor";
  static constexpr const char* kMonitorPassword = "m0n-itor'pw";

  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // initdb (first call only), configure, start and wait until it accepts connections; the first
  // start also creates the monitor role and the pg_stat_statements extension in `postgres`.
  // Returns false (with the server log on stderr) on failure.
  bool Start();
  // Fast shutdown (pg_ctl stop -m fast), waiting for it.
  bool Stop();
  bool Restart() { return Stop() && Start(); }
  // SIGSTOP / SIGCONT to the postmaster and every child: the server keeps its sockets open and
  // answers nothing, like a hung host.
  void Freeze();
  void Thaw();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  pid_t postmaster_pid() const;
  std::string Log() const;

  // postgresql://thoth_monitor@127.0.0.1:PORT/db (no password: it goes in a password_file).
  std::string MonitorDsn(const std::string& db = "postgres") const;
  // Writes the monitor password into a file (for password_file) and returns its path.
  std::string MonitorPasswordFile() const;

  // Runs SQL as the superuser over the Unix socket; returns the rows as text (NULL as "\N").
  // Throws std::runtime_error on any error.
  std::vector<std::vector<std::string>> Query(const std::string& sql,
                                              const std::string& db = "postgres") const;
  // The first column of the first row.
  std::string Scalar(const std::string& sql, const std::string& db = "postgres") const;
  void Exec(const std::string& sql, const std::string& db = "postgres") const {
    (void)Query(sql, db);
  }

  // A superuser session held open (Unix socket) until the returned handle is destroyed.
  struct ConnDeleter {
    void operator()(pg_conn* c) const;
  };
  using Conn = std::unique_ptr<pg_conn, ConnDeleter>;
  Conn Connect(const std::string& db = "postgres",
               const std::string& application_name = "thoth-test") const;
  // Sends sql on c without waiting for the answer (e.g. pg_sleep that should stay running).
  static bool SendAsync(pg_conn* c, const std::string& sql);

  // Backends whose application_name is `name`, per pg_stat_activity (all databases).
  int CountBackends(const std::string& application_name) const;

 private:
  std::vector<std::string> AsPostgres(std::vector<std::string> argv) const;
  std::string SuperuserConninfo(const std::string& db) const;

  std::string dir_;
  std::string data_;
  int port_ = 0;
  bool initialized_ = false;
  bool running_ = false;
};

// Client-side view of the exporter's PostgreSQL sessions: established TCP connections of
// process `pid` to 127.0.0.1:port, read from /proc (no server-side settling time involved).
int CountTcpConnections(pid_t pid, int port);

}  // namespace thoth::testing
