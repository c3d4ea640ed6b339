#include "cluster/workload_state.h"

#include <gtest/gtest.h>

namespace wax::cluster {
namespace {

using nlohmann::json;
using operator_::RunPhase;

json pod(int index, const json& containerStatus, bool isReady, const std::string& revision = "r2") {
  return {{"metadata",
           {{"name", "flow-" + std::to_string(index)},
            {"labels", {{"controller-revision-hash", revision}}}}},
          {"status",
           {{"phase", "Running"},
            {"conditions", {{{"type", "Ready"}, {"status", isReady ? "True" : "False"}}}},
            {"containerStatuses", {containerStatus}}}}};
}

json running(int restarts = 0) {
  return {
      {"name", "process"}, {"restartCount", restarts}, {"state", {{"running", json::object()}}}};
}

json waiting(const std::string& reason, const json& lastState = json::object()) {
  return {{"name", "process"},
          {"restartCount", 2},
          {"state", {{"waiting", {{"reason", reason}, {"message", "details"}}}}},
          {"lastState", lastState}};
}

json exited(int code) {
  return {{"terminated", {{"exitCode", code}, {"reason", code == 0 ? "Completed" : "Error"}}}};
}

const json kStatefulSet = {{"kind", "StatefulSet"}, {"status", {{"updateRevision", "r2"}}}};

WorkloadView view(std::vector<json> pods, int64_t count = 2) {
  WorkloadView result;
  result.workload = &kStatefulSet;
  result.pods = std::move(pods);
  result.processesCount = count;
  result.runId = "run-9";
  return result;
}

TEST(WorkloadStateTest, EveryPodReadyIsRunning) {
  const auto state = judgeWorkload(view({pod(0, running(), true), pod(1, running(1), true)}));
  EXPECT_EQ(state.phase, RunPhase::Running);
  EXPECT_EQ(state.processesReady, 2);
  EXPECT_EQ(state.processesDesired, 2);
  EXPECT_EQ(state.restarts, 1);
  EXPECT_EQ(state.runId, "run-9");
}

TEST(WorkloadStateTest, MissingOrUnreadyPodsAreStarting) {
  EXPECT_EQ(judgeWorkload(view({pod(0, running(), true)})).phase, RunPhase::Starting);
  EXPECT_EQ(judgeWorkload(view({pod(0, running(), true), pod(1, running(), false)})).phase,
            RunPhase::Starting);
  WorkloadView noWorkload = view({});
  noWorkload.workload = nullptr;
  EXPECT_EQ(judgeWorkload(noWorkload).phase, RunPhase::Starting);
}

TEST(WorkloadStateTest, ACrashLoopIsBackOffWithTheExitCode) {
  const auto state = judgeWorkload(
      view({pod(0, running(), true), pod(1, waiting("CrashLoopBackOff", exited(1)), false)}));
  EXPECT_EQ(state.phase, RunPhase::BackOff);
  EXPECT_EQ(state.message, "process 1 exited with code 1 (Error)");
}

TEST(WorkloadStateTest, ImagePullErrorsAreFailedWithTheReason) {
  const auto state = judgeWorkload(view({pod(0, waiting("ImagePullBackOff"), false)}, 1));
  EXPECT_EQ(state.phase, RunPhase::Failed);
  EXPECT_EQ(state.message, "process 0: ImagePullBackOff: details");
}

TEST(WorkloadStateTest, UnschedulablePodsAreFailedWithTheSchedulersMessage) {
  json unscheduled = pod(0, running(), false);
  unscheduled["status"]["conditions"] = {{{"type", "PodScheduled"},
                                          {"status", "False"},
                                          {"reason", "Unschedulable"},
                                          {"message", "0/1 nodes are available"}}};
  const auto state = judgeWorkload(view({unscheduled}, 1));
  EXPECT_EQ(state.phase, RunPhase::Failed);
  EXPECT_EQ(state.message, "process 0 cannot be scheduled: 0/1 nodes are available");
}

TEST(WorkloadStateTest, EveryProcessExitingZeroIsCompleted) {
  const auto state =
      judgeWorkload(view({pod(0, waiting("CrashLoopBackOff", exited(0)), false),
                          pod(1, {{"name", "process"}, {"state", exited(0)}}, false)}));
  EXPECT_EQ(state.phase, RunPhase::Completed);
}

TEST(WorkloadStateTest, OneProcessDoneIsNotCompleted) {
  const auto state = judgeWorkload(
      view({pod(0, waiting("CrashLoopBackOff", exited(0)), false), pod(1, running(), true)}));
  EXPECT_EQ(state.phase, RunPhase::Starting);
}

TEST(WorkloadStateTest, NotRunningIsStopped) {
  WorkloadView stopped = view({pod(0, running(), true)});
  stopped.run = false;
  const auto state = judgeWorkload(stopped);
  EXPECT_EQ(state.phase, RunPhase::Stopped);
  EXPECT_EQ(state.processesDesired, 0);
  EXPECT_EQ(state.processesReady, 1) << "pods still shutting down are reported";
}

TEST(WorkloadStateTest, JobConditionsDecideInJobMode) {
  const json complete = {
      {"kind", "Job"}, {"status", {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}}}};
  WorkloadView done = view({});
  done.workload = &complete;
  done.jobMode = true;
  EXPECT_EQ(judgeWorkload(done).phase, RunPhase::Completed);

  const json failed = {{"kind", "Job"},
                       {"status",
                        {{"conditions",
                          {{{"type", "Failed"},
                            {"status", "True"},
                            {"message", "Job has reached the specified backoff limit"}}}}}}};
  done.workload = &failed;
  const auto state = judgeWorkload(done);
  EXPECT_EQ(state.phase, RunPhase::Failed);
  EXPECT_EQ(state.message, "the Job failed: Job has reached the specified backoff limit");
}

TEST(WorkloadStateTest, AScheduleIsRunningBetweenRunsWithNoProcessDesired) {
  const json idle = {{"kind", "CronJob"}, {"status", json::object()}};
  WorkloadView scheduled = view({});
  scheduled.workload = &idle;
  const auto state = judgeCronJob(scheduled);
  EXPECT_EQ(state.phase, RunPhase::Running);
  EXPECT_EQ(state.processesDesired, 0);
  scheduled.run = false;
  EXPECT_EQ(judgeCronJob(scheduled).phase, RunPhase::Stopped);
}

TEST(WorkloadStateTest, AScheduledRunIsJudgedByItsPods) {
  const json active = {{"kind", "CronJob"},
                       {"status", {{"active", {{{"kind", "Job"}, {"name", "flow-2967"}}}}}}};
  WorkloadView run = view({pod(0, running(), true)});
  run.workload = &active;
  EXPECT_EQ(judgeCronJob(run).phase, RunPhase::Starting);
  run.pods.push_back(pod(1, running(), true));
  const auto state = judgeCronJob(run);
  EXPECT_EQ(state.phase, RunPhase::Running);
  EXPECT_EQ(state.processesReady, 2);
  run.pods = {pod(0, waiting("CrashLoopBackOff", exited(2)), false)};
  EXPECT_EQ(judgeCronJob(run).phase, RunPhase::BackOff);
}

TEST(WorkloadStateTest, OutdatedPodsAreThoseOfAnotherRevision) {
  json leaving = pod(2, running(), true, "r1");
  leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  const auto names = outdatedPods(
      kStatefulSet, {pod(0, running(), true, "r1"), pod(1, running(), true, "r2"), leaving});
  EXPECT_EQ(names, std::vector<std::string>{"flow-0"});
}

TEST(WorkloadStateTest, ProcessIndexFromOrdinalOrCompletionIndex) {
  EXPECT_EQ(processIndex(pod(7, running(), true)), 7);
  json jobPod = {{"metadata",
                  {{"name", "flow-3-abcde"},
                   {"annotations", {{"batch.kubernetes.io/job-completion-index", "3"}}}}}};
  EXPECT_EQ(processIndex(jobPod), 3);
  EXPECT_EQ(processIndex(json{{"metadata", {{"name", "odd-name"}}}}), -1);
}

}  // namespace
}  // namespace wax::cluster
