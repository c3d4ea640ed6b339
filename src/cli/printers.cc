#include "cli/printers.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "common/error.h"
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

namespace {

std::string cellText(const nlohmann::json& cell, const std::string& otherwise) {
  if (cell.is_string()) {
    return cell.get<std::string>();
  }
  return cell.is_null() ? otherwise : cell.dump();
}

// The cells of one Table row as the columns of dataflowRow(), null cells as it defaults them.
class DataflowColumns {
 public:
  static std::optional<DataflowColumns> of(const std::vector<std::string>& names) {
    DataflowColumns columns;
    for (auto [index, name] : {std::pair{&columns.name_, "Name"},
                               {&columns.namespace_, "Namespace"},
                               {&columns.phase_, "Phase"},
                               {&columns.ready_, "Ready"},
                               {&columns.desired_, "Desired"},
                               {&columns.processes_, "Processes"},
                               {&columns.restarts_, "Restarts"},
                               {&columns.age_, "Age"}}) {
      const auto found = std::find(names.begin(), names.end(), name);
      *index = found == names.end() ? -1 : static_cast<int>(found - names.begin());
      if (*index < 0) {
        return std::nullopt;
      }
    }
    return columns;
  }

  Row row(const nlohmann::json& cells, bool withNamespace) const {
    if (!cells.is_array() || cells.size() <= static_cast<size_t>(maxIndex())) {
      throw Error(ErrorCode::Internal, "the API server's table has a row with too few cells");
    }
    const std::string desired = cellText(cells.at(desired_), cellText(cells.at(processes_), "1"));
    Row row = {cellText(cells.at(name_), ""), cellText(cells.at(phase_), "Pending"),
               cellText(cells.at(ready_), "0") + "/" + desired, cellText(cells.at(restarts_), "0"),
               cellText(cells.at(age_), "<unknown>")};
    if (withNamespace) {
      row.insert(row.begin(), cellText(cells.at(namespace_), ""));
    }
    return row;
  }

 private:
  int maxIndex() const {
    return std::max({name_, namespace_, phase_, ready_, desired_, processes_, restarts_, age_});
  }

  int name_ = -1, namespace_ = -1, phase_ = -1, ready_ = -1, desired_ = -1, processes_ = -1,
      restarts_ = -1, age_ = -1;
};

}  // namespace

std::optional<std::vector<Row>> dataflowRowsOfTable(const std::vector<std::string>& columns,
                                                    const std::vector<nlohmann::json>& rows,
                                                    bool withNamespace) {
  const auto known = DataflowColumns::of(columns);
  if (!known) {
    return std::nullopt;
  }
  std::vector<Row> result;
  result.reserve(rows.size());
  for (const auto& cells : rows) {
    result.push_back(known->row(cells, withNamespace));
  }
  return result;
}

}  // namespace wax::cli
