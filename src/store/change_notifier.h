#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

// Wakes the watches of one store when a write commits, so that a watch sleeps instead of polling
// the change log. Writers publish the resourceVersion they committed; a watch waits until the
// published version passes the one it has read through.
namespace wax::store {

class ChangeNotifier {
 public:
  void publish(int64_t resourceVersion) {
    {
      std::lock_guard lock(mutex_);
      latest_ = std::max(latest_, resourceVersion);
    }
    changed_.notify_all();
  }

  int64_t latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
  }

  // Returns when a version after `seen` is published, `stopped` is set (and wakeAll() called),
  // or at `until`, whichever comes first.
  void waitForChange(int64_t seen, const std::atomic<bool>& stopped,
                     std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, until, [&] { return latest_ > seen || stopped.load(); });
  }

  // Wakes every waiter so that each re-checks its stop flag. Taking the lock first makes sure a
  // waiter that has just tested its flag is already waiting and cannot miss this wake-up.
  void wakeAll() {
    { std::lock_guard lock(mutex_); }
    changed_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int64_t latest_ = 0;  // guarded by mutex_
};

}  // namespace wax::store
