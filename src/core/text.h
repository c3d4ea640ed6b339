#pragma once

#include <string_view>
#include <vector>

// Splitting of the small texts the model parses (cron fields, lists in them). The views point
// into `text`, which must outlive them.
namespace wax::core {

// "a,,b" -> {"a", "", "b"}: every part, empty ones included.
std::vector<std::string_view> splitOn(std::string_view text, char separator);
// " a \t b " -> {"a", "b"}: the words between spaces and tabs.
std::vector<std::string_view> splitWords(std::string_view text);

}  // namespace wax::core
