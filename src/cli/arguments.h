#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/url.h"

// Checks of waxctl arguments that the parser cannot express. Each throws UsageError naming the
// argument, the rule it breaks and what to give instead.
namespace wax::cli {

// A dataflow name or namespace: an RFC 1123 label. `argument` is how the user wrote it, e.g.
// "NAME" or "-n/--namespace".
void checkObjectName(const std::string& argument, const std::string& value);

// A duration such as 90s, 5m or 1h (plain digits are seconds), at most kMaxTimeout.
inline constexpr std::chrono::seconds kMaxTimeout{365LL * 24 * 3600};
std::chrono::seconds parseTimeout(const std::string& argument, const std::string& text);

// The Dataflow condition types `wait --for=condition=X` accepts.
inline constexpr const char* kConditionTypes[] = {"Ready", "Progressing", "Degraded", "Suspended",
                                                  "Completed"};
void checkConditionType(const std::string& type);

}  // namespace wax::cli
