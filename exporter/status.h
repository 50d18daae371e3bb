#pragma once

#include <string>
#include <utility>

namespace thoth {

// The result of an operation that can fail: ok, or an error with a message for a person.
// Errors travel as values; exceptions from libraries are caught at the edge and become a Status.
class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace thoth
