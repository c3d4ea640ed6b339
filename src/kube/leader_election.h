#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "kube/client.h"
#include "kube/lease.h"

// Leader election on a Lease, with client-go's rules: a candidate takes the lease when it is
// free (released, or not renewed for leaseDuration as measured on the candidate's own clock, so
// clock skew between machines does not matter), the leader renews it every retryPeriod, and a
// leader that cannot renew within renewDeadline stops leading. Only one candidate can win a
// race: writes carry the resourceVersion they read.
namespace wax::kube {

struct LeaderElectionOptions {
  std::string ns;
  std::string name;
  std::string identity;  // unique per candidate, e.g. the pod name
  std::chrono::seconds leaseDuration{15};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};
  bool releaseOnCancel = true;  // hand over at once on a clean stop
  std::function<void()> onStartedLeading;
  std::function<void()> onStoppedLeading;
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
};

class LeaderElector {
 public:
  LeaderElector(Client& client, LeaderElectionOptions options);

  // One attempt to take or renew the lease; true if this candidate now holds it. Errors from the
  // server count as "not now" and are logged.
  bool tryAcquireOrRenew();
  // Gives the lease up if held, so another candidate can take it without waiting.
  bool release();
  bool isLeader() const;
  // The holder last observed ("" if none).
  std::string observedLeader() const;

  // Campaigns until leading, leads until the lease is lost or `stop` is requested, then
  // returns (releasing the lease on stop if releaseOnCancel). Calls the callbacks on this thread.
  void run(std::stop_token stop);

 private:
  bool attempt();
  bool waitOrStop(std::stop_token& stop, std::chrono::milliseconds delay);

  Client& client_;
  LeaderElectionOptions options_;
  mutable std::mutex mutex_;
  std::optional<nlohmann::json> observed_;            // guarded by mutex_: the lease as last read
  LeaseRecord observedRecord_;                        // guarded by mutex_
  std::chrono::steady_clock::time_point observedAt_;  // guarded by mutex_: when it last changed
  std::chrono::steady_clock::time_point renewedAt_;   // guarded by mutex_: our last renewal
  bool leader_ = false;                               // guarded by mutex_
};

}  // namespace wax::kube
