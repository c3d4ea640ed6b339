#include "cli/printers.h"

#include <sstream>

#include <gtest/gtest.h>

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

TEST(PrintersTest, AgeLooksLikeKubectls) {
  EXPECT_EQ(age("not a time"), "<unknown>");
  EXPECT_EQ(age("2000-01-01T00:00:00Z").back(), 'd');
}

}  // namespace
}  // namespace wax::cli
