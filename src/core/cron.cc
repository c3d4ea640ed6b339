#include <charconv>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.h"
#include "core/validation.h"

// Cron syntax as Kubernetes CronJobs accept it (five fields or a macro), checked here so that a
// bad schedule is refused when the Dataflow is stored rather than when the operator builds the
// CronJob.
namespace wax::core {
namespace {

constexpr std::string_view kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                            "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::string_view kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
constexpr std::string_view kMacros[] = {"@yearly", "@annually", "@monthly", "@weekly",
                                        "@daily",  "@midnight", "@hourly"};

struct CronField {
  const char* name;
  int min;
  int max;
  std::span<const std::string_view> names;  // names[i] stands for firstNamed + i
  int firstNamed;
};

// Weekday 7 is Sunday, as in Vixie cron. Kubernetes' parser reads 0-6 only, so the operator
// rewrites a 7 before it writes a CronJob (render::kubernetesSchedule).
constexpr CronField kFields[] = {
    {"minute", 0, 59, {}, 0},
    {"hour", 0, 23, {}, 0},
    {"day-of-month", 1, 31, {}, 0},
    {"month", 1, 12, kMonthNames, 1},
    {"day-of-week", 0, 7, kWeekdayNames, 0},
};

bool parseNumber(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char lower = a[i] >= 'a' && a[i] <= 'z' ? static_cast<char>(a[i] - 'a' + 'A') : a[i];
    if (lower != b[i]) {
      return false;
    }
  }
  return true;
}

bool parseValue(std::string_view text, const CronField& field, int& out, std::string& why) {
  for (size_t i = 0; i < field.names.size(); ++i) {
    if (equalsIgnoreCase(text, field.names[i])) {
      out = field.firstNamed + static_cast<int>(i);
      return true;
    }
  }
  if (!parseNumber(text, out)) {
    why = "\"" + std::string(text) + "\" is not a number" +
          (field.names.empty() ? "" : " or a name such as " + std::string(field.names[0]));
    return false;
  }
  if (out < field.min || out > field.max) {
    why = std::to_string(out) + " is out of range " + std::to_string(field.min) + "-" +
          std::to_string(field.max);
    return false;
  }
  return true;
}

// One list entry: "*", "5", "1-5" or "MON-FRI", each optionally followed by "/step".
bool parseEntry(std::string_view entry, const CronField& field, std::string& why) {
  if (entry.empty()) {
    why = "empty list entry";
    return false;
  }
  size_t slash = entry.find('/');
  std::string_view base = entry.substr(0, slash);
  if (slash != std::string_view::npos) {
    int step = 0;
    if (!parseNumber(entry.substr(slash + 1), step) || step < 1) {
      why = "step \"" + std::string(entry.substr(slash + 1)) + "\" must be a positive number";
      return false;
    }
  }
  if (base == "*") {
    return true;
  }

  size_t dash = base.find('-');
  int first = 0;
  if (!parseValue(base.substr(0, dash), field, first, why)) {
    return false;
  }
  if (dash == std::string_view::npos) {
    return true;
  }
  int last = 0;
  if (!parseValue(base.substr(dash + 1), field, last, why)) {
    return false;
  }
  if (first > last) {
    why = "range " + std::string(base) + " runs backwards";
    return false;
  }
  return true;
}

bool parseField(std::string_view text, const CronField& field, std::string& why) {
  for (std::string_view entry : splitOn(text, ',')) {
    if (!parseEntry(entry, field, why)) {
      why = std::string(field.name) + " field: " + why;
      return false;
    }
  }
  return true;
}

}  // namespace

bool isCronExpression(const std::string& value, std::string& why) {
  std::vector<std::string_view> fields = splitWords(value);
  if (fields.empty()) {
    why = "the expression is empty";
    return false;
  }
  if (fields[0].starts_with("@")) {
    for (std::string_view macro : kMacros) {
      if (fields.size() == 1 && fields[0] == macro) {
        return true;
      }
    }
    why = "unknown macro " + std::string(fields[0]) +
          "; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly";
    return false;
  }
  if (fields.size() != std::size(kFields)) {
    why = "expected 5 fields (minute hour day-of-month month day-of-week), got " +
          std::to_string(fields.size());
    if (fields.size() == 6) {
      why += "; a seconds field is not supported";
    }
    return false;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!parseField(fields[i], kFields[i], why)) {
      return false;
    }
  }
  return true;
}

}  // namespace wax::core
