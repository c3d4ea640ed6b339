#include "cluster/workload_state.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace wax::cluster {

using operator_::RunPhase;
using operator_::RunState;

namespace {

// Waiting reasons that will not go away by waiting: the spec or the cluster must change.
constexpr std::string_view kStuckReasons[] = {"ErrImagePull",         "ImagePullBackOff",
                                              "InvalidImageName",     "CreateContainerConfigError",
                                              "CreateContainerError", "RunContainerError"};

const nlohmann::json& emptyObject() {
  static const nlohmann::json empty = nlohmann::json::object();
  return empty;
}

const nlohmann::json& at(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  return found == object.end() ? emptyObject() : *found;
}

bool hasCondition(const nlohmann::json& object, const std::string& type,
                  const std::string& status) {
  for (const auto& condition : at(at(object, "status"), "conditions")) {
    if (condition.value("type", "") == type && condition.value("status", "") == status) {
      return true;
    }
  }
  return false;
}

std::string conditionMessage(const nlohmann::json& object, const std::string& type) {
  for (const auto& condition : at(at(object, "status"), "conditions")) {
    if (condition.value("type", "") == type) {
      return condition.value("message", condition.value("reason", ""));
    }
  }
  return "";
}

const nlohmann::json& mainContainerStatus(const nlohmann::json& pod) {
  for (const auto& status : at(at(pod, "status"), "containerStatuses")) {
    if (status.value("name", "") == "process") {
      return status;
    }
  }
  return emptyObject();
}

int exitCodeOf(const nlohmann::json& state) {
  return at(state, "terminated").value("exitCode", -1);
}

// A process is done when its container ended with 0. Under a StatefulSet the kubelet starts
// it again, so the evidence may be in lastState by the time the operator looks.
bool completed(const nlohmann::json& pod) {
  if (at(pod, "status").value("phase", "") == "Succeeded") {
    return true;
  }
  const auto& container = mainContainerStatus(pod);
  return exitCodeOf(at(container, "state")) == 0 || exitCodeOf(at(container, "lastState")) == 0;
}

bool ready(const nlohmann::json& pod) {
  return !at(pod, "metadata").contains("deletionTimestamp") && hasCondition(pod, "Ready", "True");
}

struct Trouble {
  RunPhase phase;
  std::string message;
};

std::optional<Trouble> troubleOf(const nlohmann::json& pod) {
  const int64_t index = processIndex(pod);
  if (hasCondition(pod, "PodScheduled", "False")) {
    return Trouble{RunPhase::Failed, fmt::format("process {} cannot be scheduled: {}", index,
                                                 conditionMessage(pod, "PodScheduled"))};
  }
  const auto& container = mainContainerStatus(pod);
  const auto& waiting = at(at(container, "state"), "waiting");
  const std::string reason = waiting.value("reason", "");
  const bool stuck = std::find(std::begin(kStuckReasons), std::end(kStuckReasons), reason) !=
                     std::end(kStuckReasons);
  if (stuck) {
    return Trouble{RunPhase::Failed,
                   fmt::format("process {}: {}: {}", index, reason, waiting.value("message", ""))};
  }
  const auto& last = at(at(container, "lastState"), "terminated");
  const int lastExit = last.value("exitCode", 0);
  if (lastExit != 0) {
    return Trouble{RunPhase::BackOff, fmt::format("process {} exited with code {} ({})", index,
                                                  lastExit, last.value("reason", "Error"))};
  }
  const auto& terminated = at(at(container, "state"), "terminated");
  if (terminated.value("exitCode", 0) != 0) {
    return Trouble{RunPhase::BackOff,
                   fmt::format("process {} exited with code {} ({})", index,
                               terminated.value("exitCode", 0), terminated.value("reason", ""))};
  }
  return std::nullopt;
}

int64_t restartsOf(const std::vector<nlohmann::json>& pods) {
  int64_t restarts = 0;
  for (const auto& pod : pods) {
    restarts += mainContainerStatus(pod).value("restartCount", 0);
  }
  return restarts;
}

RunState judgeJob(const WorkloadView& view, RunState state) {
  const auto& job = *view.workload;
  if (hasCondition(job, "Complete", "True")) {
    state.phase = RunPhase::Completed;
    return state;
  }
  if (hasCondition(job, "Failed", "True")) {
    state.phase = RunPhase::Failed;
    state.message = "the Job failed: " + conditionMessage(job, "Failed");
    return state;
  }
  return state;
}

}  // namespace

int64_t processIndex(const nlohmann::json& pod) {
  const auto& metadata = at(pod, "metadata");
  const auto& annotations = at(metadata, "annotations");
  std::string text = annotations.value("batch.kubernetes.io/job-completion-index", "");
  if (text.empty()) {
    text = at(metadata, "labels").value("apps.kubernetes.io/pod-index", "");
  }
  if (text.empty()) {
    const std::string name = metadata.value("name", "");
    text = name.substr(name.rfind('-') + 1);
  }
  int64_t index = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
  return error == std::errc() && end == text.data() + text.size() ? index : -1;
}

std::vector<std::string> outdatedPods(const nlohmann::json& statefulSet,
                                      const std::vector<nlohmann::json>& pods) {
  const std::string revision = at(statefulSet, "status").value("updateRevision", "");
  std::vector<std::string> names;
  if (revision.empty()) {
    return names;
  }
  for (const auto& pod : pods) {
    const auto& metadata = at(pod, "metadata");
    const std::string podRevision = at(metadata, "labels").value("controller-revision-hash", "");
    if (podRevision != revision && !metadata.contains("deletionTimestamp")) {
      names.push_back(metadata.value("name", ""));
    }
  }
  return names;
}

RunState judgeWorkload(const WorkloadView& view) {
  RunState state;
  state.runId = view.runId;
  state.processesDesired = view.run ? view.processesCount : 0;
  state.restarts = restartsOf(view.pods);
  state.processesReady = std::count_if(view.pods.begin(), view.pods.end(), ready);
  if (!view.run) {
    state.phase = RunPhase::Stopped;
    return state;
  }
  state.phase = RunPhase::Starting;
  if (view.workload == nullptr) {
    return state;  // applied a moment ago; the informer has not seen it yet
  }
  if (view.jobMode) {
    state = judgeJob(view, state);
    if (state.phase != RunPhase::Starting) {
      return state;
    }
  }
  const bool allPods = static_cast<int64_t>(view.pods.size()) >= view.processesCount;
  if (!view.jobMode && allPods && !view.pods.empty() &&
      std::all_of(view.pods.begin(), view.pods.end(), completed)) {
    state.phase = RunPhase::Completed;
    return state;
  }
  for (const auto& pod : view.pods) {
    if (auto trouble = troubleOf(pod)) {
      state.phase = trouble->phase;
      state.message = trouble->message;
      return state;
    }
  }
  if (allPods && state.processesReady >= view.processesCount) {
    state.phase = RunPhase::Running;
  }
  return state;
}

RunState judgeCronJob(const WorkloadView& view) {
  RunState state;
  state.runId = view.runId;
  state.restarts = restartsOf(view.pods);
  if (!view.run) {
    state.phase = RunPhase::Stopped;
    return state;
  }
  state.phase = RunPhase::Running;
  const auto& active = at(at(*view.workload, "status"), "active");
  if (!active.is_array() || active.empty()) {
    return state;  // waiting for the next run
  }
  state.processesDesired = view.processesCount;
  state.processesReady = std::count_if(view.pods.begin(), view.pods.end(), ready);
  for (const auto& pod : view.pods) {
    if (auto trouble = troubleOf(pod)) {
      state.phase = trouble->phase;
      state.message = trouble->message;
      return state;
    }
  }
  if (state.processesReady < state.processesDesired) {
    state.phase = RunPhase::Starting;
  }
  return state;
}

}  // namespace wax::cluster
