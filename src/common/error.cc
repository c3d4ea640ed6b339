#include "common/error.h"

namespace wax {

int httpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest:
      return 400;
    case ErrorCode::Unauthorized:
      return 401;
    case ErrorCode::Forbidden:
      return 403;
    case ErrorCode::NotFound:
      return 404;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
      return 409;
    case ErrorCode::Gone:
      return 410;
    case ErrorCode::Invalid:
      return 422;
    case ErrorCode::Unavailable:
      return 503;
    case ErrorCode::Internal:
      return 500;
  }
  return 500;
}

std::string_view reasonOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::BadRequest:
      return "BadRequest";
    case ErrorCode::Unauthorized:
      return "Unauthorized";
    case ErrorCode::Forbidden:
      return "Forbidden";
    case ErrorCode::NotFound:
      return "NotFound";
    case ErrorCode::AlreadyExists:
      return "AlreadyExists";
    case ErrorCode::Conflict:
      return "Conflict";
    case ErrorCode::Gone:
      return "Expired";
    case ErrorCode::Invalid:
      return "Invalid";
    case ErrorCode::Unavailable:
      return "ServiceUnavailable";
    case ErrorCode::Internal:
      return "InternalError";
  }
  return "InternalError";
}

ErrorCode codeForStatus(long httpStatus, std::string_view reason) {
  switch (httpStatus) {
    case 400:
      return ErrorCode::BadRequest;
    case 401:
      return ErrorCode::Unauthorized;
    case 403:
      return ErrorCode::Forbidden;
    case 404:
      return ErrorCode::NotFound;
    case 409:
      return reason == "AlreadyExists" ? ErrorCode::AlreadyExists : ErrorCode::Conflict;
    case 410:
      return ErrorCode::Gone;
    case 422:
      return ErrorCode::Invalid;
    case 429:
    case 502:
    case 503:
    case 504:
      return ErrorCode::Unavailable;
    default:
      return ErrorCode::Internal;
  }
}

}  // namespace wax
