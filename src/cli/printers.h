#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// How waxctl shows objects: kubectl-like tables for people, JSON and YAML for scripts.
namespace wax::cli {

using Row = std::vector<std::string>;

// Columns padded to their widest cell, three spaces apart, headers in capitals.
void printTable(std::ostream& out, const Row& headers, const std::vector<Row>& rows);

// "json" (indented, stable key order) or "yaml".
void printObject(std::ostream& out, const nlohmann::json& object, const std::string& format);

// The age of an RFC 3339 timestamp as kubectl shows it: 45s, 12m, 3h, 5d.
std::string age(const std::string& timestamp);

// A Dataflow's table columns: NAME PHASE READY RESTARTS AGE (NAMESPACE first when asked).
Row dataflowHeaders(bool withNamespace);
Row dataflowRow(const nlohmann::json& dataflow, bool withNamespace);
// The same rows from a Table of the Dataflow CRD's printer columns (their names, and each
// row's cells), as the API server prints them; nullopt when a column is missing (an older CRD).
std::optional<std::vector<Row>> dataflowRowsOfTable(const std::vector<std::string>& columns,
                                                    const std::vector<nlohmann::json>& rows,
                                                    bool withNamespace);

}  // namespace wax::cli
