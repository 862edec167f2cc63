// Errors of the core API: every entry point returns a Status instead of throwing or aborting, so an app (or the
// torch adapter) decides how to report bad input. The message names the argument and the offending values.
#pragma once

#include <string>
#include <utility>

namespace ppms {

enum class Code : int {
  ok = 0,
  invalid_argument = 1,  // a shape, size or option the operator does not accept
  unsupported = 2,       // a kernel this build or CPU cannot run, a model file of another version
  io_error = 3,          // a file that cannot be opened, read or written
};

class Status {
 public:
  Status() = default;
  static Status invalid(std::string message) { return Status(Code::invalid_argument, std::move(message)); }
  static Status unsupported(std::string message) { return Status(Code::unsupported, std::move(message)); }
  static Status io(std::string message) { return Status(Code::io_error, std::move(message)); }
  // The same error with `context` before its message (ok stays ok).
  Status prefixed(const std::string& context) const { return ok() ? *this : Status(code_, context + message_); }

  bool ok() const { return code_ == Code::ok; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::ok;
  std::string message_;
};

}  // namespace ppms
