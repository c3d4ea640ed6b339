#include "cli/arguments.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "cli/context.h"
#include "core/validation.h"

namespace wax::cli {

void checkObjectName(const std::string& argument, const std::string& value) {
  if (!core::isDns1123Label(value)) {
    throw UsageError(fmt::format(
        "{} \"{}\": use lowercase letters, digits and '-', at most 63 characters, starting and "
        "ending with a letter or digit (e.g. my-flow)",
        argument, value));
  }
}

std::chrono::seconds parseTimeout(const std::string& argument, const std::string& text) {
  static const std::regex pattern(R"(^(\d+)(s|m|h)?$)");
  std::smatch match;
  const std::string advice =
      fmt::format("give a duration such as 90s, 5m or 1h, at most {}h", kMaxTimeout.count() / 3600);
  if (!std::regex_match(text, match, pattern)) {
    throw UsageError(fmt::format("{} \"{}\": {}", argument, text, advice));
  }
  // More digits than a year of seconds has would overflow below; they are too long anyway.
  const std::string digits = match[1];
  const auto significant = digits.find_first_not_of('0');
  if (significant != std::string::npos && digits.size() - significant > 9) {
    throw UsageError(fmt::format("{} \"{}\": too long; {}", argument, text, advice));
  }
  const int64_t value = std::stoll(digits);
  const std::string unit = match[2];
  const std::chrono::seconds timeout(unit == "h" ? value * 3600 : unit == "m" ? value * 60 : value);
  if (timeout > kMaxTimeout) {
    throw UsageError(fmt::format("{} \"{}\": too long; {}", argument, text, advice));
  }
  return timeout;
}

void checkConditionType(const std::string& type) {
  const auto* end = std::end(kConditionTypes);
  if (std::find(std::begin(kConditionTypes), end, type) == end) {
    throw UsageError(fmt::format(
        "--for \"condition={}\": unknown condition; use one of condition=Ready, "
        "condition=Progressing, condition=Degraded, condition=Suspended, condition=Completed "
        "(case matters) or delete",
        type));
  }
}

}  // namespace wax::cli
