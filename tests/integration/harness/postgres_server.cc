#include "tests/integration/harness/postgres_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "libpq-fe.h"
#include "tests/integration/harness/process.h"

namespace thoth::testing {

namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(it->path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // pid (comm) state ppid ...: comm may contain spaces, so read after the last ')'.
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// Runs argv to completion with its output in log_path. Unlike Run(), no descriptor of this process
// reaches the child: pg_ctl leaves a daemon behind, which must not keep a pipe of ours open.
int RunLogged(const std::vector<std::string>& argv, const std::string& log_path,
              std::chrono::seconds timeout) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int out = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    close_range(3, ~0U, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  const auto until = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

PostgresServer::PostgresServer() {
  dir_ = MakeTempDir("thoth-pg");
  data_ = dir_ + "/data";
  port_ = FreePort();
}

PostgresServer::~PostgresServer() {
  if (running_) {
    Thaw();
    RunLogged(
        AsPostgres({std::string(kBin) + "pg_ctl", "stop", "-D", data_, "-m", "immediate", "-w"}),
        dir_ + "/pg_ctl.log", std::chrono::seconds(30));
    // Whatever is left of it, by PID.
    const pid_t pid = postmaster_pid();
    if (pid > 0) kill(pid, SIGKILL);
  }
  RemoveTree(dir_);
}

std::vector<std::string> PostgresServer::AsPostgres(std::vector<std::string> argv) const {
  if (geteuid() != 0) return argv;
  std::vector<std::string> out = {"runuser", "-u", "postgres", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string PostgresServer::SuperuserConninfo(const std::string& db) const {
  return "host=" + dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=" + db +
         " connect_timeout=10";
}

bool PostgresServer::Start() {
  if (!initialized_) {
    if (geteuid() == 0) {
      Run({"chown", "postgres:postgres", dir_});
    }
    RunResult r = Run(AsPostgres({std::string(kBin) + "initdb", "-D", data_, "-U", "postgres", "-A",
                                  "trust", "--no-sync", "-E", "UTF8", "--locale=C"}),
                      std::chrono::seconds(120));
    if (r.exit_code != 0) {
      std::cerr << "initdb failed:\n" << r.output << "\n";
      return false;
    }
    std::ofstream conf(data_ + "/postgresql.conf", std::ios::app);
    conf << "\nport = " << port_ << "\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << dir_ << "'\n"
         << "shared_preload_libraries = 'pg_stat_statements'\n"
         << "max_connections = 40\n"
         << "shared_buffers = 16MB\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "log_min_messages = warning\n"
         << "autovacuum_naptime = 3600\n";  // dead tuples stay until the tests vacuum
    conf.close();
    std::ofstream hba(data_ + "/pg_hba.conf", std::ios::trunc);
    hba << "local all all trust\n"
        << "host all all 127.0.0.1/32 scram-sha-256\n";
    hba.close();
    if (geteuid() == 0) {
      Run({"chown", "postgres:postgres", data_ + "/postgresql.conf", data_ + "/pg_hba.conf"});
    }
  }
  const int rc = RunLogged(AsPostgres({std::string(kBin) + "pg_ctl", "start", "-D", data_, "-l",
                                       dir_ + "/postgres.log", "-w", "-t", "60"}),
                           dir_ + "/pg_ctl.log", std::chrono::seconds(90));
  if (rc != 0) {
    std::cerr << "pg_ctl start failed:\n"
              << ReadFile(dir_ + "/pg_ctl.log") << "\n"
              << Log() << "\n";
    return false;
  }
  running_ = true;
  if (!initialized_) {
    initialized_ = true;
    try {
      std::string password = kMonitorPassword;
      std::string quoted;
      for (char c : password) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      Exec(std::string("CREATE ROLE ") + kMonitorUser + " LOGIN PASSWORD '" + quoted +
           "' IN ROLE pg_monitor");
      Exec("CREATE EXTENSION pg_stat_statements");
    } catch (const std::exception& e) {
      std::cerr << "setting up roles failed: " << e.what() << "\n";
      return false;
    }
  }
  return true;
}

bool PostgresServer::Stop() {
  Thaw();
  const int rc = RunLogged(AsPostgres({std::string(kBin) + "pg_ctl", "stop", "-D", data_, "-m",
                                       "fast", "-w", "-t", "60"}),
                           dir_ + "/pg_ctl.log", std::chrono::seconds(90));
  running_ = rc != 0;
  if (running_) std::cerr << "pg_ctl stop failed:\n" << ReadFile(dir_ + "/pg_ctl.log") << "\n";
  return !running_;
}

pid_t PostgresServer::postmaster_pid() const {
  std::ifstream in(data_ + "/postmaster.pid");
  long pid = 0;
  if (!(in >> pid)) return -1;
  return static_cast<pid_t>(pid);
}

void PostgresServer::Freeze() {
  const pid_t pm = postmaster_pid();
  if (pm <= 0) return;
  // The postmaster first, so that it starts no new child while the others are stopped.
  kill(pm, SIGSTOP);
  for (pid_t child : ChildrenOf(pm)) kill(child, SIGSTOP);
}

void PostgresServer::Thaw() {
  const pid_t pm = postmaster_pid();
  if (pm <= 0) return;
  for (pid_t child : ChildrenOf(pm)) kill(child, SIGCONT);
  kill(pm, SIGCONT);
}

std::string PostgresServer::Log() const { return ReadFile(dir_ + "/postgres.log"); }

std::string PostgresServer::MonitorDsn(const std::string& db) const {
  return std::string("postgresql://") + kMonitorUser + "@127.0.0.1:" + std::to_string(port_) + "/" +
         db;
}

std::string PostgresServer::MonitorPasswordFile() const {
  const std::string path = dir_ + "/monitor_password";
  WriteFile(path, std::string(kMonitorPassword) + "\n");
  return path;
}

void PostgresServer::ConnDeleter::operator()(pg_conn* c) const {
  if (c != nullptr) PQfinish(c);
}

PostgresServer::Conn PostgresServer::Connect(const std::string& db,
                                             const std::string& application_name) const {
  Conn c(PQconnectdb((SuperuserConninfo(db) + " application_name=" + application_name).c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("connect: ") + (c ? PQerrorMessage(c.get()) : "oom"));
  }
  return c;
}

bool PostgresServer::SendAsync(pg_conn* c, const std::string& sql) {
  return PQsendQuery(c, sql.c_str()) == 1;
}

std::vector<std::vector<std::string>> PostgresServer::Query(const std::string& sql,
                                                            const std::string& db) const {
  Conn c = Connect(db, "thoth-test-admin");
  PGresult* res = PQexec(c.get(), sql.c_str());
  const auto status = PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    std::string message = PQresultErrorMessage(res);
    PQclear(res);
    throw std::runtime_error("SQL failed: " + sql + ": " + message);
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(res); ++r) {
    std::vector<std::string> row;
    for (int col = 0; col < PQnfields(res); ++col) {
      row.push_back(PQgetisnull(res, r, col) ? "\\N" : PQgetvalue(res, r, col));
    }
    rows.push_back(std::move(row));
  }
  PQclear(res);
  return rows;
}

std::string PostgresServer::Scalar(const std::string& sql, const std::string& db) const {
  auto rows = Query(sql, db);
  if (rows.empty() || rows[0].empty()) throw std::runtime_error("no rows: " + sql);
  return rows[0][0];
}

int PostgresServer::CountBackends(const std::string& application_name) const {
  std::string quoted;
  for (char c : application_name) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return std::stoi(
      Scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + quoted + "'"));
}

int CountTcpConnections(pid_t pid, int port) {
  // Socket inodes the process holds.
  std::set<std::string> inodes;
  std::error_code ec;
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  for (auto it = std::filesystem::directory_iterator(fd_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code lec;
    const std::string target = std::filesystem::read_symlink(it->path(), lec).string();
    if (!lec && target.rfind("socket:[", 0) == 0) {
      inodes.insert(target.substr(8, target.size() - 9));
    }
  }
  // Established (state 01) IPv4 connections to 127.0.0.1:port owned by those inodes.
  char remote[32];
  std::snprintf(remote, sizeof remote, "0100007F:%04X", port);
  std::ifstream in("/proc/" + std::to_string(pid) + "/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  int count = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string sl, local, rem, st, queues, timer, retr, uid, timeout, inode;
    fields >> sl >> local >> rem >> st >> queues >> timer >> retr >> uid >> timeout >> inode;
    if (rem == remote && st == "01" && inodes.count(inode) != 0) ++count;
  }
  return count;
}

}  // namespace thoth::testing
