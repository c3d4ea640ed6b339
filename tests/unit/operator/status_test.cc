#include "operator/status.h"

#include <gtest/gtest.h>

namespace wax::operator_ {
namespace {

core::Dataflow dataflowAtGeneration(int64_t generation) {
  core::Dataflow dataflow;
  dataflow.metadata.name = "flow";
  dataflow.metadata.namespace_ = "default";
  dataflow.metadata.generation = generation;
  return dataflow;
}

const core::Condition& find(const core::DataflowStatus& status, const std::string& type) {
  for (const auto& condition : status.conditions) {
    if (condition.type == type) {
      return condition;
    }
  }
  throw std::runtime_error("no condition " + type);
}

RunState state(RunPhase phase, int64_t ready, int64_t desired) {
  RunState result;
  result.phase = phase;
  result.runId = "run-1";
  result.processesReady = ready;
  result.processesDesired = desired;
  return result;
}

TEST(StatusTest, AllProcessesReadyIsRunningAndReady) {
  const auto status = computeStatus(dataflowAtGeneration(3), state(RunPhase::Running, 2, 2), false,
                                    "2026-01-01T00:00:00Z");
  EXPECT_EQ(status.phase, "Running");
  EXPECT_EQ(status.observedGeneration, 3);
  EXPECT_EQ(find(status, kReady).status, "True");
  EXPECT_EQ(find(status, kReady).observedGeneration, 3);
  EXPECT_EQ(find(status, kDegraded).status, "False");
  EXPECT_EQ(status.processesReady, 2);
}

TEST(StatusTest, StartingIsProgressingNotReady) {
  const auto status =
      computeStatus(dataflowAtGeneration(1), state(RunPhase::Starting, 1, 2), false, "t");
  EXPECT_EQ(status.phase, "Starting");
  EXPECT_EQ(find(status, kReady).status, "False");
  EXPECT_EQ(find(status, kProgressing).status, "True");
  EXPECT_EQ(find(status, kReady).message, "1/2 processes ready");
}

TEST(StatusTest, BackOffIsCrashLoopAndDegradedWithLastError) {
  RunState failing = state(RunPhase::BackOff, 0, 2);
  failing.message = "process 1 exited with code 1";
  failing.restarts = 3;
  const auto status = computeStatus(dataflowAtGeneration(1), failing, false, "t");
  EXPECT_EQ(status.phase, "CrashLoopBackOff");
  EXPECT_EQ(find(status, kDegraded).status, "True");
  EXPECT_EQ(find(status, kDegraded).reason, "CrashLoopBackOff");
  ASSERT_TRUE(status.lastError.has_value());
  EXPECT_NE(status.lastError->find("process 1 exited with code 1"), std::string::npos);
  EXPECT_EQ(status.restarts, 3);
}

TEST(StatusTest, CompletedRecordsTheRunAndStaysCompletedOnceStopped) {
  auto dataflow = dataflowAtGeneration(2);
  const auto done = computeStatus(dataflow, state(RunPhase::Completed, 0, 2), false, "t");
  EXPECT_EQ(done.phase, "Completed");
  EXPECT_EQ(done.completedRun, "run-1");
  EXPECT_EQ(find(done, kCompleted).status, "True");

  dataflow.status = done;
  const auto later = computeStatus(dataflow, state(RunPhase::Stopped, 0, 2), false, "t2");
  EXPECT_EQ(later.phase, "Completed");
  EXPECT_EQ(later.processesDesired, 0);
  EXPECT_EQ(later.completedRun, "run-1");
  EXPECT_EQ(find(later, kCompleted).status, "True");
}

TEST(StatusTest, ANewRunIsNotCompletedByAnOldCompletion) {
  auto dataflow = dataflowAtGeneration(2);
  dataflow.status = computeStatus(dataflow, state(RunPhase::Completed, 0, 1), false, "t");
  RunState next = state(RunPhase::Stopped, 0, 1);
  next.runId = "run-2";
  const auto status = computeStatus(dataflow, next, false, "t2");
  EXPECT_EQ(status.phase, "Pending");
  EXPECT_EQ(find(status, kCompleted).status, "False");
}

TEST(StatusTest, SuspendedWins) {
  const auto status =
      computeStatus(dataflowAtGeneration(1), state(RunPhase::Stopped, 0, 2), true, "t");
  EXPECT_EQ(status.phase, "Suspended");
  EXPECT_EQ(find(status, kSuspended).status, "True");
  EXPECT_EQ(find(status, kReady).status, "False");
  EXPECT_EQ(status.processesDesired, 0);
}

TEST(StatusTest, UnchangedConditionKeepsItsTransitionTime) {
  auto dataflow = dataflowAtGeneration(1);
  dataflow.status = computeStatus(dataflow, state(RunPhase::Running, 1, 1), false, "early");
  const auto again = computeStatus(dataflow, state(RunPhase::Running, 1, 1), false, "late");
  EXPECT_EQ(find(again, kReady).lastTransitionTime, "early");
  EXPECT_FALSE(statusChanged(*dataflow.status, again));

  const auto failing = computeStatus(dataflow, state(RunPhase::BackOff, 0, 1), false, "late");
  EXPECT_EQ(find(failing, kReady).lastTransitionTime, "late");
  EXPECT_TRUE(statusChanged(*dataflow.status, failing));
}

TEST(StatusTest, LastErrorStaysVisibleWhileRestarting) {
  auto dataflow = dataflowAtGeneration(1);
  RunState failing = state(RunPhase::BackOff, 0, 1);
  failing.message = "process 0 exited with code 2";
  dataflow.status = computeStatus(dataflow, failing, false, "t");
  const auto starting = computeStatus(dataflow, state(RunPhase::Starting, 0, 1), false, "t");
  EXPECT_EQ(starting.lastError, dataflow.status->lastError);
  dataflow.status = starting;
  const auto healthy = computeStatus(dataflow, state(RunPhase::Running, 1, 1), false, "t");
  EXPECT_FALSE(healthy.lastError.has_value());
}

TEST(StatusTest, TerminatingWhenMarkedForDeletion) {
  auto dataflow = dataflowAtGeneration(1);
  dataflow.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  const auto status = computeStatus(dataflow, state(RunPhase::Running, 1, 1), false, "t");
  EXPECT_EQ(status.phase, "Terminating");
}

}  // namespace
}  // namespace wax::operator_
