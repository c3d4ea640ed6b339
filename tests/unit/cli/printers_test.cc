#include "cli/printers.h"

#include <sstream>

#include <gtest/gtest.h>

#include "common/error.h"

namespace wax::cli {
namespace {

TEST(PrintersTest, TableColumnsAreAligned) {
  std::ostringstream out;
  printTable(out, {"NAME", "PHASE"}, {{"a-long-name", "Running"}, {"b", "Completed"}});
  EXPECT_EQ(out.str(),
            "NAME          PHASE\n"
            "a-long-name   Running\n"
            "b             Completed\n");
}

TEST(PrintersTest, DataflowRowShowsReadyOverDesired) {
  const nlohmann::json dataflow = {
      {"metadata", {{"name", "flow"}, {"namespace", "ns"}, {"creationTimestamp", ""}}},
      {"spec", {{"processesCount", 3}}},
      {"status",
       {{"phase", "Starting"}, {"processesReady", 1}, {"processesDesired", 3}, {"restarts", 2}}}};
  EXPECT_EQ(dataflowRow(dataflow, true), (Row{"ns", "flow", "Starting", "1/3", "2", "<unknown>"}));
}

const std::vector<std::string> kCrdColumns = {"Name",      "Processes", "Ready",   "Phase",
                                              "Suspended", "Image",     "Desired", "Restarts",
                                              "Namespace", "Age"};

TEST(PrintersTest, TableRowsOfTheCrdColumnsAreTheObjectsRows) {
  const std::vector<nlohmann::json> rows = {
      {"flow", 3, 1, "Starting", false, "0.21.1", 3, 2, "ns", "5m"},
      // A dataflow the operator has not seen yet: no status, so null cells.
      {"new", 2, nullptr, nullptr, nullptr, "0.21.1", nullptr, nullptr, "ns", "1s"}};
  EXPECT_EQ(dataflowRowsOfTable(kCrdColumns, rows, true),
            (std::vector<Row>{{"ns", "flow", "Starting", "1/3", "2", "5m"},
                              {"ns", "new", "Pending", "0/2", "0", "1s"}}));
  EXPECT_EQ(dataflowRowsOfTable(kCrdColumns, rows, false)->at(0),
            (Row{"flow", "Starting", "1/3", "2", "5m"}));
}

TEST(PrintersTest, AnOlderCrdsTableIsNotUsed) {
  const std::vector<std::string> older = {"Name", "Processes", "Ready", "Phase", "Age"};
  EXPECT_EQ(dataflowRowsOfTable(older, {{"flow", 1, 1, "Running", "5m"}}, false), std::nullopt);
}

TEST(PrintersTest, AShortTableRowIsAnErrorNotACrash) {
  EXPECT_THROW(dataflowRowsOfTable(kCrdColumns, {{"flow", 3}}, false), Error);
}

TEST(PrintersTest, AgeLooksLikeKubectls) {
  EXPECT_EQ(age("not a time"), "<unknown>");
  EXPECT_EQ(age("2000-01-01T00:00:00Z").back(), 'd');
}

}  // namespace
}  // namespace wax::cli
