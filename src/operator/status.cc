#include "operator/status.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "common/time.h"
#include "operator/events.h"

namespace wax::operator_ {

std::string_view toString(RunPhase phase) {
  switch (phase) {
    case RunPhase::Stopped:
      return "Stopped";
    case RunPhase::Preparing:
      return "Preparing";
    case RunPhase::Starting:
      return "Starting";
    case RunPhase::Running:
      return "Running";
    case RunPhase::BackOff:
      return "BackOff";
    case RunPhase::Completed:
      return "Completed";
    case RunPhase::Failed:
      return "Failed";
  }
  return "Unknown";
}

std::string nowRfc3339() {
  return formatRfc3339(std::chrono::system_clock::now());
}

namespace {

struct Verdict {
  std::string phase;
  std::string reason;
  std::string message;
  bool ready = false;
  bool progressing = false;
  bool degraded = false;
  bool completed = false;
};

Verdict judgeRunning(const RunState& state) {
  const auto counts =
      fmt::format("{}/{} processes ready", state.processesReady, state.processesDesired);
  switch (state.phase) {
    case RunPhase::Preparing:
      return {"Pending", "Preparing",
              state.message.empty() ? "preparing code, dependencies "
                                      "and recovery state"
                                    : state.message,
              false, true};
    case RunPhase::Starting:
      return {"Starting", "ProcessesStarting", counts, false, true};
    case RunPhase::Running:
      return {"Running", "ProcessesReady", counts, true};
    case RunPhase::BackOff:
      return {
          "CrashLoopBackOff",
          "CrashLoopBackOff",
          fmt::format("{}; restarting with back-off (restarts: {})", state.message, state.restarts),
          false,
          false,
          true};
    case RunPhase::Completed:
      return {"Completed", "Completed", "every process exited 0", false, false, false, true};
    case RunPhase::Failed:
      return {"Failed", "StartFailed", state.message, false, false, true};
    case RunPhase::Stopped:
      return {"Pending", "Pending", "waiting to start", false, true};
  }
  return {"Unknown", "Unknown", "", false};
}

Verdict judge(const core::Dataflow& dataflow, const RunState& state, bool suspended) {
  if (dataflow.metadata.deletionTimestamp) {
    return {"Terminating", "Terminating", "stopping processes and cleaning up"};
  }
  if (suspended) {
    return {"Suspended", "Suspended", "spec.suspend is true; no process runs"};
  }
  const bool alreadyCompleted = dataflow.status && dataflow.status->completedRun &&
                                *dataflow.status->completedRun == state.runId;
  if (alreadyCompleted && state.phase == RunPhase::Stopped) {
    return {"Completed", "Completed", "every process exited 0", false, false, false, true};
  }
  return judgeRunning(state);
}

void setCondition(core::DataflowStatus& status, const core::DataflowStatus* before,
                  core::Condition condition) {
  if (before != nullptr) {
    for (const auto& old : before->conditions) {
      if (old.type == condition.type && old.status == condition.status) {
        condition.lastTransitionTime = old.lastTransitionTime;
      }
    }
  }
  status.conditions.push_back(std::move(condition));
}

const char* boolStatus(bool value) {
  return value ? "True" : "False";
}

}  // namespace

core::DataflowStatus computeStatus(const core::Dataflow& dataflow, const RunState& state,
                                   bool suspended, const std::string& now) {
  const core::DataflowStatus* before = dataflow.status ? &*dataflow.status : nullptr;
  Verdict verdict = judge(dataflow, state, suspended);
  // Runtime messages may quote what a process printed; the spec's secrets must not reach status.
  verdict.message = sanitizeEventMessage(dataflow, verdict.message);
  const int64_t generation = dataflow.metadata.generation.value_or(0);

  core::DataflowStatus status;
  status.observedGeneration = generation;
  status.phase = verdict.phase;
  status.processesDesired = suspended || verdict.completed ? 0 : state.processesDesired;
  status.processesReady = state.processesReady;
  status.restarts = state.restarts;
  status.completedRun = before ? before->completedRun : std::nullopt;
  if (state.phase == RunPhase::Completed) {
    status.completedRun = state.runId;
  }
  if (verdict.degraded) {
    status.lastError = verdict.message;
  } else if (before && before->lastError && !verdict.ready && !verdict.completed) {
    status.lastError = before->lastError;  // keep the cause visible while it starts again
  }
  if (before) {
    status.lastSnapshot = before->lastSnapshot;
  }

  auto condition = [&](const char* type, bool value) {
    setCondition(
        status, before,
        core::Condition{type, boolStatus(value), verdict.reason, verdict.message, now, generation});
  };
  condition(kReady, verdict.ready);
  condition(kProgressing, verdict.progressing);
  condition(kDegraded, verdict.degraded);
  condition(kSuspended, suspended);
  condition(kCompleted, verdict.completed);
  return status;
}

bool statusChanged(const core::DataflowStatus& before, const core::DataflowStatus& after) {
  auto comparable = [](core::DataflowStatus status) {
    for (auto& condition : status.conditions) {
      condition.lastTransitionTime.clear();
    }
    return status;
  };
  const auto a = comparable(before);
  const auto b = comparable(after);
  if (a.conditions.size() != b.conditions.size()) {
    return true;
  }
  for (size_t i = 0; i < a.conditions.size(); ++i) {
    const auto& x = a.conditions[i];
    const auto& y = b.conditions[i];
    if (x.type != y.type || x.status != y.status || x.reason != y.reason ||
        x.message != y.message || x.observedGeneration != y.observedGeneration) {
      return true;
    }
  }
  return a.observedGeneration != b.observedGeneration || a.phase != b.phase ||
         a.processesDesired != b.processesDesired || a.processesReady != b.processesReady ||
         a.restarts != b.restarts || a.lastError != b.lastError ||
         a.lastSnapshot != b.lastSnapshot || a.completedRun != b.completedRun;
}

}  // namespace wax::operator_
