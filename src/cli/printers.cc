#include "cli/printers.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "core/codec.h"

namespace wax::cli {

void printTable(std::ostream& out, const Row& headers, const std::vector<Row>& rows) {
  std::vector<size_t> widths(headers.size(), 0);
  auto measure = [&widths](const Row& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(headers);
  std::for_each(rows.begin(), rows.end(), measure);
  auto print = [&](const Row& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}   ", row[i], widths[i]);
    }
    out << line << "\n";
  };
  print(headers);
  std::for_each(rows.begin(), rows.end(), print);
}

void printObject(std::ostream& out, const nlohmann::json& object, const std::string& format) {
  if (format == "yaml") {
    out << core::jsonToYaml(object);
  } else {
    out << object.dump(2) << "\n";
  }
}

std::string age(const std::string& timestamp) {
  std::tm parsed{};
  if (timestamp.empty() || strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parsed) == nullptr) {
    return "<unknown>";
  }
  const auto then = std::chrono::system_clock::from_time_t(timegm(&parsed));
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - then)
          .count();
  if (seconds < 120) {
    return fmt::format("{}s", std::max<int64_t>(seconds, 0));
  }
  if (seconds < 2 * 3600) {
    return fmt::format("{}m", seconds / 60);
  }
  if (seconds < 2 * 86400) {
    return fmt::format("{}h", seconds / 3600);
  }
  return fmt::format("{}d", seconds / 86400);
}

Row dataflowHeaders(bool withNamespace) {
  Row headers = {"NAME", "PHASE", "READY", "RESTARTS", "AGE"};
  if (withNamespace) {
    headers.insert(headers.begin(), "NAMESPACE");
  }
  return headers;
}

Row dataflowRow(const nlohmann::json& dataflow, bool withNamespace) {
  const auto& metadata = dataflow.at("metadata");
  const auto status = dataflow.value("status", nlohmann::json::object());
  const auto spec = dataflow.value("spec", nlohmann::json::object());
  const int64_t desired = status.value("processesDesired", spec.value("processesCount", 1));
  Row row = {metadata.value("name", ""), status.value("phase", "Pending"),
             fmt::format("{}/{}", status.value("processesReady", 0), desired),
             std::to_string(status.value("restarts", 0)),
             age(metadata.value("creationTimestamp", ""))};
  if (withNamespace) {
    row.insert(row.begin(), metadata.value("namespace", ""));
  }
  return row;
}

}  // namespace wax::cli
