// Errors of the core API: every entry point returns a Status instead of throwing or aborting, so an app (or the
// torch adapter) decides how to report bad input. The message names the argument and the offending values.
#pragma once

#include <string>
#include <utility>

namespace ppms {

enum class Code : int {
  ok = 0,
  invalid_argument = 1,  // a shape, size or option the operator does not accept
  unsupported = 2,       // a kernel this build or CPU cannot run
};

class Status {
 public:
  Status() = default;
  static Status invalid(std::string message) { return Status(Code::invalid_argument, std::move(message)); }
  static Status unsupported(std::string message) { return Status(Code::unsupported, std::move(message)); }

  bool ok() const { return code_ == Code::ok; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::ok;
  std::string message_;
};

}  // namespace ppms
