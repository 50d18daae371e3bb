#include "collectors/postgres/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace thoth::postgres {
namespace {

TEST(PgClassifyConnectError, RecognisesTheCasesThatMatter) {
  EXPECT_EQ(ClassifyConnectError("connection to server at \"127.0.0.1\", port 5432 failed: "
                                 "Connection refused Is the server running on that host and "
                                 "accepting TCP/IP connections?"),
            ConnectFailure::kUnreachable);
  EXPECT_EQ(ClassifyConnectError("connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: "
                                 "No such file or directory"),
            ConnectFailure::kUnreachable);
  EXPECT_EQ(ClassifyConnectError("connection to server at \"db\" failed: FATAL: the database "
                                 "system is starting up"),
            ConnectFailure::kUnreachable);
  EXPECT_EQ(ClassifyConnectError("FATAL: sorry, too many clients already"),
            ConnectFailure::kUnreachable);
  EXPECT_EQ(ClassifyConnectError("could not translate host name \"nope\" to address"),
            ConnectFailure::kUnreachable);
  EXPECT_EQ(ClassifyConnectError("connection to server at \"127.0.0.1\", port 5432 failed: "
                                 "FATAL: password authentication failed for user \"exporter\""),
            ConnectFailure::kAuth);
  EXPECT_EQ(ClassifyConnectError("fe_sendauth: no password supplied"), ConnectFailure::kAuth);
  EXPECT_EQ(ClassifyConnectError("FATAL: role \"nobody\" does not exist"), ConnectFailure::kAuth);
  EXPECT_EQ(ClassifyConnectError("FATAL: no pg_hba.conf entry for host \"10.0.0.1\""),
            ConnectFailure::kAuth);
  EXPECT_EQ(ClassifyConnectError("timeout expired"), ConnectFailure::kTimeout);
  EXPECT_EQ(ClassifyConnectError("FATAL: database \"nope\" does not exist"),
            ConnectFailure::kOther);
  EXPECT_EQ(ClassifyConnectError(""), ConnectFailure::kNone);
}

TEST(PgOneLine, CollapsesLibpqLayout) {
  EXPECT_EQ(OneLine("connection to server failed: FATAL:  password authentication failed\n"
                    "\tDETAIL: x\n"),
            "connection to server failed: FATAL: password authentication failed DETAIL: x");
  EXPECT_EQ(OneLine("\n\n"), "");
}

// A listener that accepts TCP connections and never says a word: what a frozen (SIGSTOPped)
// server looks like from the client once the kernel has completed the handshake.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 8);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(PgConnection, ConnectToASilentServerEndsAtTheDeadline) {
  SilentListener server;
  PgConnection conn;
  auto params = ParseDsn("host=127.0.0.1 port=" + std::to_string(server.port()) +
                         " user=u dbname=d sslmode=disable");
  ASSERT_TRUE(params.ok()) << params.status().message();
  ConnectFailure why = ConnectFailure::kNone;
  const auto start = Clock::now();
  Status st = conn.Connect(*params, start + std::chrono::milliseconds(300), &why);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(why, ConnectFailure::kTimeout);
  EXPECT_TRUE(conn.timed_out());
  EXPECT_FALSE(conn.connected());
  EXPECT_GE(took, 0.28);
  EXPECT_LT(took, 1.5);
}

TEST(PgConnection, QueryWithoutASessionFails) {
  PgConnection conn;
  QueryResult rows;
  EXPECT_FALSE(conn.Query("SELECT 1", Clock::now() + std::chrono::seconds(1), &rows).ok());
}

}  // namespace
}  // namespace thoth::postgres
