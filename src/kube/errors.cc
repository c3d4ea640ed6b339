#include "kube/errors.h"

#include <fmt/format.h>

namespace wax::kube {
namespace {

// Bodies that are not a Status (a proxy's HTML page, say) are cut short: the status code says
// enough, and a long page would bury it.
constexpr size_t kMaxRawBody = 200;

std::string messageOf(const nlohmann::json& status) {
  if (status.is_object() && status.contains("message") && status["message"].is_string()) {
    return status["message"].get<std::string>();
  }
  return {};
}

std::string reasonOf(const nlohmann::json& status) {
  if (status.is_object() && status.contains("reason") && status["reason"].is_string()) {
    return status["reason"].get<std::string>();
  }
  return {};
}

}  // namespace

Error errorFromResponse(std::string_view what, long httpStatus, std::string_view body) {
  auto status = nlohmann::json::parse(body, nullptr, false);
  std::string reason = reasonOf(status);
  std::string message = messageOf(status);
  if (message.empty()) {
    message = std::string(body.substr(0, kMaxRawBody));
  }
  ErrorCode code = codeForStatus(httpStatus, reason);
  return Error(
      code, fmt::format("kube: {} failed: HTTP {}{}{}", what, httpStatus,
                        reason.empty() ? "" : " " + reason, message.empty() ? "" : ": " + message));
}

long statusCode(const nlohmann::json& status) {
  if (status.is_object() && status.contains("code") && status["code"].is_number_integer()) {
    return status["code"].get<long>();
  }
  return 0;
}

Error errorFromStatus(std::string_view what, const nlohmann::json& status) {
  return errorFromResponse(what, statusCode(status), status.dump());
}

}  // namespace wax::kube
