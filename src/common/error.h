#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace wax {

// The kinds of failure a caller can act on. They map one to one onto HTTP status codes, so an
// error raised deep in the store reaches a waxctl user with the same meaning.
enum class ErrorCode {
  BadRequest,     // 400: the input is malformed; the message names the field and the fix.
  Unauthorized,   // 401
  Forbidden,      // 403
  NotFound,       // 404
  AlreadyExists,  // 409, on create
  Conflict,       // 409, on a stale resourceVersion
  Gone,           // 410: a watch asked for history that is no longer kept
  Invalid,        // 422: well-formed but fails validation
  Unavailable,    // 503
  Internal,       // 500: a bug or an environment failure we cannot explain better
};

int httpStatus(ErrorCode code);
// The Kubernetes Status "reason" for the code, e.g. "NotFound", "AlreadyExists".
std::string_view reasonOf(ErrorCode code);
// The inverse, for clients: the code of an HTTP status and an optional Status reason (409 is
// AlreadyExists or Conflict; throttling and gateway failures are Unavailable).
ErrorCode codeForStatus(long httpStatus, std::string_view reason = {});

// An error that carries its kind. Messages are written for the user: what failed, for which
// object, and what to do. They never carry secret values.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace wax
