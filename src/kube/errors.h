#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

// How the API server's answers become wax::Error: the HTTP status picks the code, the Status
// object's reason refines it (409 is AlreadyExists or Conflict), and its message, which names
// the offending field for 422, is kept for the user.
namespace wax::kube {

// An error for a failed response. `what` says what was attempted ("create configmaps ns/name");
// `body` is the response body, a Status object when the server sent one.
Error errorFromResponse(std::string_view what, long httpStatus, std::string_view body);

// An error for a Status object carried by a watch ERROR event.
Error errorFromStatus(std::string_view what, const nlohmann::json& status);

// The HTTP code of a watch ERROR event's Status (0 if it carries none).
long statusCode(const nlohmann::json& status);

}  // namespace wax::kube
