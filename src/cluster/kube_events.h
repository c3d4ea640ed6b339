#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "kube/events.h"
#include "operator/events.h"

// The controller's events as Kubernetes Events (events.k8s.io/v1) about the Dataflow, so that
// `kubectl describe dataflow` and `kubectl events` show them.
//
// Events are sent by a thread of their own, as client-go's broadcaster sends them: a reconcile
// does not wait for one, and an API server too slow for them costs events, not reconciles.
// While `busy` says the controller is (a burst of new dataflows), events wait, up to
// kPatience each, so that the API server serves the reconciles first. At most kMaxPending
// wait; past that they are dropped and counted in the log.
namespace wax::cluster {

class KubeEventRecorder : public operator_::EventRecorder {
 public:
  static constexpr size_t kMaxPending = 1000;
  static constexpr std::chrono::seconds kPatience{10};

  KubeEventRecorder(kube::Client& client, std::string instance,
                    std::function<bool()> busy = nullptr);
  // Sends what is pending for up to two seconds, then drops the rest.
  ~KubeEventRecorder() override;

  void record(const core::Dataflow& dataflow, const operator_::Event& event) noexcept override;

 private:
  struct Pending {
    nlohmann::json regarding;
    kube::EventRecord record;
    std::chrono::steady_clock::time_point since;
  };
  void sendLoop();
  void send(const Pending& pending) noexcept;

  kube::EventRecorder recorder_;
  std::function<bool()> busy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;  // guarded by mutex_
  bool stopping_ = false;        // guarded by mutex_
  size_t dropped_ = 0;           // guarded by mutex_
  std::thread sender_;
};

}  // namespace wax::cluster
