#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace wax {

// A Kubernetes timestamp ("2024-01-02T03:04:05Z", with optional fractional seconds and a
// numeric offset); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(const std::string& text);
// The same form, in UTC to the second: "2024-01-02T03:04:05Z".
std::string formatRfc3339(std::chrono::system_clock::time_point time);

}  // namespace wax
