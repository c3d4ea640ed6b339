#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "operator/code_references.h"
#include "operator/events.h"
#include "operator/runtime.h"
#include "operator/work_queue.h"
#include "store/store.h"

// The Dataflow controller: watches Dataflows (and the code they reference), and for each key
// makes the runtime match the spec and writes what it sees back into the status. It is
// level-triggered: a reconcile reads the whole current state, so missed events do no harm.
namespace wax::operator_ {

// Set on every Dataflow so that a delete waits until processes and files are gone.
inline constexpr const char* kCleanupFinalizer = "bytewax.io/wax-cleanup";
// On a code object: the dataflow it was made for, which deletes it when it goes.
inline constexpr const char* kOwnerLabel = "bytewax.io/dataflow";

// How long a new dataflow's finalizer may wait while the controller is busy, and how long after
// the last status write it counts as busy.
inline constexpr std::chrono::seconds kFinalizerPatience{10};
inline constexpr std::chrono::milliseconds kBusyWindow{500};
struct ControllerOptions {
  int workers = 2;
  std::chrono::milliseconds resyncPeriod{30000};
  BackoffOptions backoff;
  EventRecorder* events = nullptr;  // none: no events are recorded
  // Code labelled for a dataflow that does not exist is removed, at a resync, once this old.
  std::chrono::seconds orphanedCodeAge{120};
};

class Controller {
 public:
  Controller(store::Store& store, Runtime& runtime, ControllerOptions options = {});
  ~Controller();

  void start();
  void stop();
  void enqueue(const std::string& key);
  // Whether a status was written a moment ago: bookkeeping (finalizers, events) waits while
  // it is, so that a burst of new dataflows starts first.
  bool busy() const;

  // Reconciles one "namespace/name" key. Throws on failures that should be retried.
  void reconcile(const std::string& key);

 private:
  void watchLoop(const std::string& kind);
  void resyncLoop();
  void workerLoop();
  static std::string codeKeyOf(const nlohmann::json& dataflow);
  bool isOwnStatusEcho(const store::WatchEvent& event);
  void noteCodeReference(const store::WatchEvent& event);
  void enqueueReferrers(const nlohmann::json& configMap);
  void enqueueAll();
  void finalize(const core::Dataflow& dataflow);
  nlohmann::json addFinalizer(nlohmann::json object);
  void deleteOwnedCode(const core::Dataflow& dataflow);
  void deleteOwnedCode(const std::string& ns, const std::string& codeName,
                       const std::string& dataflowName);
  void removeOrphanedCode();
  bool postponeFinalizer(const std::string& key);
  void releasePostponedFinalizers();
  void writeStatus(const core::Dataflow& dataflow, const RunState& state, bool suspended);
  void writeFailure(const std::string& key, const std::string& message);
  std::string redacted(const std::string& key, const std::string& message);

  store::Store& store_;
  Runtime& runtime_;
  ControllerOptions options_;
  WorkQueue queue_;
  CodeReferences codeReferences_;
  std::mutex finalizerMutex_;
  // Keys whose finalizer waits for a quieter queue, since when; guarded by finalizerMutex_.
  std::map<std::string, std::chrono::steady_clock::time_point> finalizerPostponedSince_;
  std::atomic<std::chrono::steady_clock::rep> lastStatusWrite_{0};  // since the clock's epoch
  std::mutex echoesMutex_;
  // Per dataflow key, the resourceVersion of this controller's last status write, whose watch
  // event needs no reconcile; guarded by echoesMutex_.
  std::map<std::string, std::string> statusEchoes_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  std::vector<store::WatchPtr> watches_;  // guarded by watchesMutex_
  std::mutex watchesMutex_;
};

}  // namespace wax::operator_
