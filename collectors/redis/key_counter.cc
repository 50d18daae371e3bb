#include "collectors/redis/key_counter.h"

#include <algorithm>

namespace thoth::redis {

KeyCountResult CountKeys(Connection& conn, const std::string& pattern, int batch,
                         Clock::time_point budget_end, Clock::time_point io_deadline,
                         double command_timeout) {
  KeyCountResult result;
  const std::string count = std::to_string(batch);
  std::string cursor = "0";
  while (true) {
    const auto now = Clock::now();
    if (now >= budget_end || now >= io_deadline) return result;
    const double left = std::chrono::duration<double>(io_deadline - now).count();
    StatusOr<Reply> answer = conn.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", count},
                                          std::min(left, command_timeout));
    if (!answer.ok()) {
      result.transport_failed = true;
      result.error = "SCAN: " + answer.status().message();
      return result;
    }
    Reply& reply = *answer;
    if (reply.IsError()) {
      result.error = "SCAN refused: " + reply.str;
      return result;
    }
    // [cursor, [key, ...]]
    if (reply.type != Reply::Type::kArray || reply.elements.size() != 2 ||
        reply.elements[0].type != Reply::Type::kString ||
        reply.elements[1].type != Reply::Type::kArray || reply.elements[0].str.empty()) {
      result.error = "SCAN: unexpected reply shape";
      return result;
    }
    result.count += static_cast<double>(reply.elements[1].elements.size());
    cursor = std::move(reply.elements[0].str);
    if (cursor == "0") {
      result.complete = true;
      return result;
    }
  }
}

}  // namespace thoth::redis
