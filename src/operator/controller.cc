#include "operator/controller.h"

#include <algorithm>

#include "common/error.h"
#include "common/logging.h"
#include "common/time.h"
#include "core/codec.h"
#include "core/validation.h"
#include "operator/status.h"

namespace wax::operator_ {

namespace {

const std::string kDataflows = "dataflows";
const std::string kConfigMaps = "configmaps";

std::shared_ptr<spdlog::logger> log() {
  return logger("controller");
}

std::pair<std::string, std::string> splitKey(const std::string& key) {
  const auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::string keyOf(const nlohmann::json& object) {
  const auto& metadata = object.at("metadata");
  return metadata.value("namespace", "") + "/" + metadata.value("name", "");
}

core::Dataflow decode(const nlohmann::json& object) {
  std::vector<core::FieldError> errors;
  core::Dataflow dataflow = core::dataflowFromJson(object, errors);
  if (!errors.empty()) {
    throw Error(ErrorCode::Invalid, core::describeErrors(dataflow, errors));
  }
  return dataflow;
}

}  // namespace

Controller::Controller(store::Store& store, Runtime& runtime, ControllerOptions options)
    : store_(store), runtime_(runtime), options_(options), queue_(options.backoff) {}

Controller::~Controller() {
  stop();
}

void Controller::start() {
  threads_.emplace_back([this] { watchLoop(kDataflows); });
  threads_.emplace_back([this] { watchLoop(kConfigMaps); });
  threads_.emplace_back([this] { resyncLoop(); });
  for (int i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this] { workerLoop(); });
  }
}

void Controller::stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  queue_.shutdown();
  {
    std::lock_guard lock(watchesMutex_);
    for (auto& watch : watches_) {
      watch->stop();
    }
  }
  for (auto& thread : threads_) {
    thread.join();
  }
  threads_.clear();
}

void Controller::enqueue(const std::string& key) {
  queue_.add(key);
}

void Controller::watchLoop(const std::string& kind) {
  while (!stopping_) {
    store::Watch* watch = nullptr;
    try {
      std::lock_guard lock(watchesMutex_);
      if (stopping_) {
        return;
      }
      watches_.push_back(store_.watch(kind, "", ""));
      watch = watches_.back().get();
    } catch (const std::exception& error) {
      log()->warn("watch failed kind={} error={}", kind, error.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    while (!stopping_) {
      auto event = watch->next(std::chrono::milliseconds(1000));
      if (!event) {
        continue;
      }
      if (kind == kDataflows) {
        noteCodeReference(*event);
        if (!isOwnStatusEcho(*event)) {
          queue_.add(keyOf(event->object));
        }
        continue;
      }
      try {
        enqueueReferrers(event->object);
      } catch (const std::exception& error) {
        // The resync reconciles the referrers later; the watch goes on.
        log()->warn("cannot find the dataflows of a code object error={}", error.what());
      }
    }
  }
}

// The watch event of this controller's own status write: nothing in it that the reconcile
// which wrote it did not already act on.
bool Controller::isOwnStatusEcho(const store::WatchEvent& event) {
  if (event.type != store::EventType::Modified) {
    return false;
  }
  const std::string key = keyOf(event.object);
  std::lock_guard lock(echoesMutex_);
  auto echo = statusEchoes_.find(key);
  if (echo == statusEchoes_.end()) {
    return false;
  }
  const bool own = echo->second == event.object["metadata"].value("resourceVersion", "");
  statusEchoes_.erase(echo);
  return own;
}

std::string Controller::codeKeyOf(const nlohmann::json& dataflow) {
  const auto& metadata = dataflow.at("metadata");
  const auto spec = dataflow.value("spec", nlohmann::json::object());
  return metadata.value("namespace", "") + "/" +
         spec.value("configMapName", metadata.value("name", ""));
}

void Controller::noteCodeReference(const store::WatchEvent& event) {
  if (event.type == store::EventType::Deleted) {
    codeReferences_.remove(keyOf(event.object));
  } else {
    codeReferences_.set(keyOf(event.object), codeKeyOf(event.object));
  }
}

// A watch that was broken may have missed a delete or a change of configMapName: what the
// index says is checked against the store before the dataflow is reconciled.
void Controller::enqueueReferrers(const nlohmann::json& configMap) {
  const std::string code = keyOf(configMap);
  for (const auto& key : codeReferences_.referrers(code)) {
    const auto [ns, name] = splitKey(key);
    try {
      const std::string current = codeKeyOf(store_.get(kDataflows, ns, name));
      if (current == code) {
        queue_.add(key);
      } else {
        codeReferences_.set(key, current);
      }
    } catch (const Error& error) {
      if (error.code() != ErrorCode::NotFound) {
        throw;
      }
      codeReferences_.remove(key);
    }
  }
}

void Controller::enqueueAll() {
  for (const auto& item : store_.list(kDataflows, "").items) {
    queue_.add(keyOf(item));
  }
}

void Controller::resyncLoop() {
  auto next = std::chrono::steady_clock::now() + options_.resyncPeriod;
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    releasePostponedFinalizers();
    if (std::chrono::steady_clock::now() < next) {
      continue;
    }
    next = std::chrono::steady_clock::now() + options_.resyncPeriod;
    try {
      enqueueAll();
      removeOrphanedCode();
    } catch (const std::exception& error) {
      log()->warn("resync failed error={}", error.what());
    }
  }
}

void Controller::workerLoop() {
  while (auto key = queue_.get()) {
    try {
      reconcile(*key);
      queue_.forget(*key);
    } catch (const Error& error) {
      log()->warn("reconcile failed dataflow={} error={}", *key, redacted(*key, error.what()));
      if (error.code() != ErrorCode::Conflict) {
        writeFailure(*key, error.what());
      }
      queue_.addRateLimited(*key);
    } catch (const std::exception& error) {
      log()->error("reconcile failed dataflow={} error={}", *key, redacted(*key, error.what()));
      writeFailure(*key, error.what());
      queue_.addRateLimited(*key);
    }
    queue_.done(*key);
  }
}

// An error may quote the spec (a schedule, a URL), and so a secret value in it; the log gets
// the message as status and events do, secrets replaced.
std::string Controller::redacted(const std::string& key, const std::string& message) {
  try {
    const auto [ns, name] = splitKey(key);
    std::vector<core::FieldError> errors;
    return sanitizeEventMessage(core::dataflowFromJson(store_.get(kDataflows, ns, name), errors),
                                message);
  } catch (const std::exception&) {
    return message;  // the dataflow is gone, and with it its secrets
  }
}

void Controller::reconcile(const std::string& key) {
  const auto [ns, name] = splitKey(key);
  nlohmann::json object;
  try {
    object = store_.get(kDataflows, ns, name);
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;
    }
    runtime_.cleanup(ns, name);
    deleteOwnedCode(ns, name, name);  // what waxctl makes is named after the dataflow
    return;
  }
  core::Dataflow dataflow = decode(object);
  if (dataflow.metadata.deletionTimestamp) {
    finalize(dataflow);
    return;
  }

  core::Dataflow effective = dataflow;
  core::applyDefaults(effective);
  // A spec that reached the store past admission (kubectl against a CRD, whose schema cannot
  // say everything validation does) changes nothing that runs: the status says what to fix.
  if (const auto errors = core::validate(effective); !errors.empty()) {
    throw Error(ErrorCode::Invalid, core::describeErrors(effective, errors));
  }
  const bool suspended = effective.spec.suspend.value_or(false);
  const std::string runId = runtime_.runId(effective);
  const bool completed = dataflow.status && dataflow.status->completedRun == runId;
  const RunState state = runtime_.sync(effective, !suspended && !completed);
  log()->debug("reconciled dataflow={} phase={} ready={}/{}", key, toString(state.phase),
               state.processesReady, state.processesDesired);

  // The finalizer is added after the processes start, and while the controller is busy it
  // waits (up to kFinalizerPatience): it matters only for a delete, and a burst of new
  // dataflows should start first. A delete that comes first finds no finalizer and
  // removes the object at once; the reconcile that follows finds it gone and cleans up all the
  // same, and a resync removes code that a delete in the operator's absence left behind.
  const auto& finalizers = dataflow.metadata.finalizers;
  if (std::find(finalizers.begin(), finalizers.end(), kCleanupFinalizer) == finalizers.end()) {
    if (!postponeFinalizer(key)) {
      dataflow = decode(addFinalizer(object));
    }
  }
  writeStatus(dataflow, state, suspended);
}

bool Controller::busy() const {
  const auto sinceWrite = std::chrono::steady_clock::now().time_since_epoch() -
                          std::chrono::steady_clock::duration(lastStatusWrite_.load());
  // Not the queue's depth: the postponed keys come back to it together, and would keep each
  // other waiting.
  return sinceWrite < kBusyWindow;
}

// A postponed finalizer is added by a reconcile that releasePostponedFinalizers() asks for.
bool Controller::postponeFinalizer(const std::string& key) {
  const auto now = std::chrono::steady_clock::now();
  const bool wait = busy();
  std::lock_guard lock(finalizerMutex_);
  if (wait) {
    auto [since, first] = finalizerPostponedSince_.try_emplace(key, now);
    if (now - since->second < kFinalizerPatience) {
      return true;
    }
  }
  finalizerPostponedSince_.erase(key);
  return false;
}

void Controller::releasePostponedFinalizers() {
  const auto now = std::chrono::steady_clock::now();
  const bool wait = busy();
  std::lock_guard lock(finalizerMutex_);
  for (const auto& [key, since] : finalizerPostponedSince_) {
    if (!wait || now - since >= kFinalizerPatience) {
      queue_.add(key);
    }
  }
}

void Controller::finalize(const core::Dataflow& dataflow) {
  const auto& ns = dataflow.metadata.namespace_;
  const auto& name = dataflow.metadata.name;
  log()->info("cleaning up dataflow={}/{}", ns, name);
  try {
    writeStatus(dataflow, RunState{}, dataflow.spec.suspend.value_or(false));  // Terminating
  } catch (const Error& error) {
    log()->debug("cannot mark as terminating dataflow={}/{} error={}", ns, name, error.what());
  }
  runtime_.cleanup(ns, name);
  deleteOwnedCode(dataflow);
  nlohmann::json updated = store_.get(kDataflows, ns, name);
  auto& finalizers = updated["metadata"]["finalizers"];
  finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), kCleanupFinalizer),
                   finalizers.end());
  store_.update(kDataflows, updated);
}

// Code objects made for this dataflow (by waxctl or the API) carry its name in a label and go
// with it; a code object shared by several dataflows is left alone.
void Controller::deleteOwnedCode(const core::Dataflow& dataflow) {
  deleteOwnedCode(dataflow.metadata.namespace_,
                  dataflow.spec.configMapName.value_or(dataflow.metadata.name),
                  dataflow.metadata.name);
}

void Controller::deleteOwnedCode(const std::string& ns, const std::string& codeName,
                                 const std::string& dataflowName) {
  try {
    const auto code = store_.get(kConfigMaps, ns, codeName);
    const auto labels = code["metadata"].value("labels", nlohmann::json::object());
    if (labels.value(kOwnerLabel, "") == dataflowName) {
      store_.remove(kConfigMaps, ns, codeName);
    }
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;
    }
  }
}

// A dataflow deleted while no operator ran, before its finalizer was added, leaves the code
// made for it: a code object labelled for a dataflow that does not exist goes once it is old
// enough not to be one that waxctl has just made, for the dataflow it is about to create.
void Controller::removeOrphanedCode() {
  const auto cutoff = std::chrono::system_clock::now() - options_.orphanedCodeAge;
  for (const auto& code : store_.list(kConfigMaps, "").items) {
    const auto& metadata = code.at("metadata");
    const auto labels = metadata.value("labels", nlohmann::json::object());
    const std::string owner = labels.value(kOwnerLabel, "");
    const auto created = parseRfc3339(metadata.value("creationTimestamp", ""));
    if (owner.empty() || !created || *created > cutoff) {
      continue;
    }
    const std::string ns = metadata.value("namespace", "");
    try {
      store_.get(kDataflows, ns, owner);
    } catch (const Error& error) {
      if (error.code() != ErrorCode::NotFound) {
        throw;
      }
      log()->info("removing code left by a deleted dataflow={}/{} configmap={}", ns, owner,
                  metadata.value("name", ""));
      deleteOwnedCode(ns, metadata.value("name", ""), owner);
    }
  }
}

nlohmann::json Controller::addFinalizer(nlohmann::json object) {
  auto& metadata = object["metadata"];
  if (!metadata.contains("finalizers")) {
    metadata["finalizers"] = nlohmann::json::array();
  }
  metadata["finalizers"].push_back(kCleanupFinalizer);
  return store_.update(kDataflows, object);
}

void Controller::writeStatus(const core::Dataflow& dataflow, const RunState& state,
                             bool suspended) {
  const core::DataflowStatus status = computeStatus(dataflow, state, suspended, nowRfc3339());
  if (dataflow.status && !statusChanged(*dataflow.status, status)) {
    return;
  }
  core::Dataflow updated = dataflow;
  updated.status = status;
  const auto written = store_.updateStatus(kDataflows, core::toJson(updated));
  lastStatusWrite_ = std::chrono::steady_clock::now().time_since_epoch().count();
  // The reconcile acts on completedRun (a completed run is not started again), so a status
  // that changes it must come back as a change; any other is only what this reconcile saw.
  const auto completedRun = [](const std::optional<core::DataflowStatus>& status) {
    return status ? status->completedRun : std::nullopt;
  };
  if (completedRun(dataflow.status) == completedRun(updated.status)) {
    std::lock_guard lock(echoesMutex_);
    statusEchoes_[keyOf(written)] = written["metadata"].value("resourceVersion", "");
  }
  if (options_.events != nullptr) {
    if (auto event = eventForTransition(dataflow, dataflow.status, status)) {
      options_.events->record(updated, *event);
    }
  }
}

// Records a reconcile failure in the status so that `waxctl dataflow get` says what is wrong.
void Controller::writeFailure(const std::string& key, const std::string& message) {
  try {
    const auto [ns, name] = splitKey(key);
    core::Dataflow dataflow = decode(store_.get(kDataflows, ns, name));
    RunState failed;
    failed.phase = RunPhase::Failed;
    failed.runId = runtime_.runId(dataflow);
    failed.message = message;
    writeStatus(dataflow, failed, dataflow.spec.suspend.value_or(false));
  } catch (const std::exception& error) {
    log()->debug("cannot record failure dataflow={} error={}", key, error.what());
  }
}

}  // namespace wax::operator_
