#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectors/redis/config.h"
#include "exporter/status.h"

namespace thoth::redis {

// A Redis reply, owned (copied out of hiredis so that it outlives the connection).
struct Reply {
  enum class Type { kNil, kStatus, kError, kInteger, kString, kArray };
  Type type = Type::kNil;
  std::string str;  // status, error or bulk string
  long long integer = 0;
  std::vector<Reply> elements;

  bool IsError() const { return type == Type::kError; }
  static Reply Error(std::string message) { return {Type::kError, std::move(message), 0, {}}; }
  static Reply String(std::string s) { return {Type::kString, std::move(s), 0, {}}; }
  static Reply Status(std::string s) { return {Type::kStatus, std::move(s), 0, {}}; }
  static Reply Integer(long long v) { return {Type::kInteger, "", v, {}}; }
  static Reply Array(std::vector<Reply> e) { return {Type::kArray, "", 0, std::move(e)}; }
};

// One connection to one Redis server. Not thread-safe; one owner.
class Connection {
 public:
  virtual ~Connection() = default;
  // Sends one command and reads its reply, each socket operation bounded by timeout_seconds.
  // An error is a transport failure (refused, reset, timed out, protocol error): the
  // connection is then unusable. A Redis error reply (-ERR, -NOPERM) is a successful round
  // trip with a reply of type kError.
  virtual StatusOr<Reply> Command(const std::vector<std::string>& argv, double timeout_seconds) = 0;
};

// Opens a connection within timeout_seconds (never a null one). Errors name the endpoint's
// Display() at most, never credentials.
using Connector = std::function<StatusOr<std::unique_ptr<Connection>>(const Endpoint& endpoint,
                                                                      double timeout_seconds)>;

// The real connector: hiredis (redisConnectWithTimeout / redisConnectUnixWithTimeout, then
// redisSetTimeout before every command). Host names are resolved with getaddrinfo, which has no
// timeout of its own: prefer addresses or names resolved by /etc/hosts.
StatusOr<std::unique_ptr<Connection>> ConnectHiredis(const Endpoint& endpoint,
                                                     double timeout_seconds);

}  // namespace thoth::redis
