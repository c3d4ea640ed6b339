#include "kube/leader_election.h"

#include <condition_variable>
#include <thread>

#include "common/logging.h"

namespace wax::kube {
namespace {

bool sameRecord(const LeaseRecord& a, const LeaseRecord& b) {
  return a.holderIdentity == b.holderIdentity && a.renewTime == b.renewTime &&
         a.leaseTransitions == b.leaseTransitions;
}

}  // namespace

LeaderElector::LeaderElector(Client& client, LeaderElectionOptions options)
    : client_(client), options_(std::move(options)) {}

bool LeaderElector::isLeader() const {
  std::lock_guard lock(mutex_);
  return leader_;
}

std::string LeaderElector::observedLeader() const {
  std::lock_guard lock(mutex_);
  return observedRecord_.holderIdentity;
}

bool LeaderElector::tryAcquireOrRenew() {
  try {
    return attempt();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::Conflict && e.code() != ErrorCode::AlreadyExists) {
      logger("kube")->warn("lease attempt failed lease={}/{} identity={} error={}", options_.ns,
                           options_.name, options_.identity, e.what());
    }
    // Holding on past a failed renewal is run()'s call (renewDeadline), not one attempt's.
    return false;
  }
}

bool LeaderElector::attempt() {
  auto wallNow = std::chrono::system_clock::now();
  auto now = options_.now();
  LeaseRecord mine;
  mine.holderIdentity = options_.identity;
  mine.leaseDurationSeconds = options_.leaseDuration.count();
  mine.acquireTime = wallNow;
  mine.renewTime = wallNow;

  auto current = getLease(client_, options_.ns, options_.name);
  if (!current) {
    auto created = createLease(client_, options_.ns, options_.name, mine);
    std::lock_guard lock(mutex_);
    observed_ = created;
    observedRecord_ = mine;
    observedAt_ = renewedAt_ = now;
    leader_ = true;
    return true;
  }

  LeaseRecord record = leaseRecordOf(*current);
  {
    std::lock_guard lock(mutex_);
    if (!observed_ || !sameRecord(record, observedRecord_)) {
      observed_ = *current;
      observedRecord_ = record;
      observedAt_ = now;
    }
    bool heldByOther = !record.holderIdentity.empty() && record.holderIdentity != options_.identity;
    auto duration = std::chrono::seconds(record.leaseDurationSeconds);
    if (heldByOther && observedAt_ + duration > now) {
      leader_ = false;
      return false;
    }
  }

  if (record.holderIdentity == options_.identity) {
    mine.acquireTime = record.acquireTime;
    mine.leaseTransitions = record.leaseTransitions;
  } else {
    mine.leaseTransitions = record.leaseTransitions + 1;
  }
  auto updated = updateLease(client_, *current, mine);
  std::lock_guard lock(mutex_);
  observed_ = updated;
  observedRecord_ = mine;
  observedAt_ = renewedAt_ = now;
  leader_ = true;
  return true;
}

bool LeaderElector::release() {
  std::optional<nlohmann::json> current;
  {
    std::lock_guard lock(mutex_);
    if (!leader_) {
      return false;
    }
    leader_ = false;
  }
  try {
    current = getLease(client_, options_.ns, options_.name);
    if (!current || leaseRecordOf(*current).holderIdentity != options_.identity) {
      return false;
    }
    // client-go's release: no holder and a 1 s duration, so a candidate takes it at once.
    LeaseRecord released = leaseRecordOf(*current);
    released.holderIdentity.clear();
    released.leaseDurationSeconds = 1;
    released.renewTime = std::chrono::system_clock::now();
    updateLease(client_, *current, released);
    return true;
  } catch (const Error& e) {
    logger("kube")->warn("lease release failed lease={}/{} identity={} error={}", options_.ns,
                         options_.name, options_.identity, e.what());
    return false;
  }
}

bool LeaderElector::waitOrStop(std::stop_token& stop, std::chrono::milliseconds delay) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

void LeaderElector::run(std::stop_token stop) {
  auto log = logger("kube");
  while (!tryAcquireOrRenew()) {
    if (!waitOrStop(stop, options_.retryPeriod)) {
      return;
    }
  }
  log->info("became leader lease={}/{} identity={}", options_.ns, options_.name, options_.identity);
  if (options_.onStartedLeading) {
    options_.onStartedLeading();
  }

  while (waitOrStop(stop, options_.retryPeriod)) {
    if (tryAcquireOrRenew()) {
      continue;
    }
    std::lock_guard lock(mutex_);
    // Another holder means the lease is gone now; a failed write may still be retried until
    // the renew deadline.
    if (!leader_ || options_.now() - renewedAt_ > options_.renewDeadline) {
      leader_ = false;
      break;
    }
  }

  bool stopped = stop.stop_requested();
  if (stopped && options_.releaseOnCancel) {
    release();
  } else {
    std::lock_guard lock(mutex_);
    leader_ = false;
  }
  log->info("stopped leading lease={}/{} identity={} reason={}", options_.ns, options_.name,
            options_.identity, stopped ? "stopped" : "lost the lease");
  if (options_.onStoppedLeading) {
    options_.onStoppedLeading();
  }
}

}  // namespace wax::kube
