#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"
#include "render/render.h"

// Cron allows 7 for Sunday in the day-of-week field (core::isCronExpression accepts it), but the
// parser Kubernetes uses for CronJobs reads 0-6 only. The field is small, so when it mentions 7
// it is expanded into the explicit list of days it means, with 7 folded into 0.
namespace wax::render {
namespace {

constexpr std::string_view kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

std::optional<int> number(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<int> day(std::string_view text) {
  for (int i = 0; i < 7; ++i) {
    bool same = text.size() == 3;
    for (size_t c = 0; same && c < 3; ++c) {
      same = (text[c] & ~0x20) == kDays[i][c];
    }
    if (same) {
      return i;
    }
  }
  std::optional<int> value = number(text);
  return value && *value >= 0 && *value <= 7 ? value : std::nullopt;
}

// Adds the days of one list entry ("*", "5", "1-7", "MON-SUN", each with an optional "/step").
bool addDays(std::string_view entry, std::set<int>& days) {
  size_t slash = entry.find('/');
  int step = 1;
  if (slash != std::string_view::npos) {
    std::optional<int> parsed = number(entry.substr(slash + 1));
    if (!parsed || *parsed < 1) {
      return false;
    }
    step = *parsed;
  }
  std::string_view base = entry.substr(0, slash);
  int first = 0;
  int last = 6;
  if (base != "*") {
    size_t dash = base.find('-');
    std::optional<int> low = day(base.substr(0, dash));
    // "5/2" means from 5 to the end of the range, as Kubernetes reads it.
    std::optional<int> high = dash != std::string_view::npos    ? day(base.substr(dash + 1))
                              : slash != std::string_view::npos ? std::optional<int>(6)
                                                                : low;
    if (!low || !high || *low > *high) {
      return false;
    }
    first = *low;
    last = *high;
  }
  for (int value = first; value <= last; value += step) {
    days.insert(value % 7);
  }
  return true;
}

}  // namespace

std::string kubernetesSchedule(const std::string& schedule) {
  const std::vector<std::string_view> fields = core::splitWords(schedule);
  if (fields.size() != 5 || fields[4].find('7') == std::string::npos) {
    return schedule;
  }
  std::set<int> days;
  for (std::string_view entry : core::splitOn(fields[4], ',')) {
    // Validation refuses what cannot be read; pass it on unchanged for the server to report.
    if (!addDays(entry, days)) {
      return schedule;
    }
  }
  std::string dayList;
  for (int value : days) {
    dayList += (dayList.empty() ? "" : ",") + std::to_string(value);
  }
  return std::string(fields[0]) + " " + std::string(fields[1]) + " " + std::string(fields[2]) +
         " " + std::string(fields[3]) + " " + dayList;
}

}  // namespace wax::render
