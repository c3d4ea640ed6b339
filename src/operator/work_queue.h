#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

// A work queue of object keys with the guarantees of client-go's: a key waits in the queue at
// most once however often it is added, a key is never handed to two workers at once (a key
// added while being processed is handed out again after done()), and failed keys come back
// after a per-key exponential back-off.
namespace wax::operator_ {

struct BackoffOptions {
  std::chrono::milliseconds base{50};
  std::chrono::milliseconds max{60000};
};

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(BackoffOptions options = {});

  void add(const std::string& key);
  void addAfter(const std::string& key, std::chrono::milliseconds delay);
  // Adds after the key's next back-off delay (base, 2*base, 4*base, ... up to max).
  void addRateLimited(const std::string& key);
  // Resets the key's back-off after a success.
  void forget(const std::string& key);
  int64_t failures(const std::string& key) const;

  // Blocks until a key is due or the queue shuts down (then returns nullopt).
  std::optional<std::string> get();
  void done(const std::string& key);
  void shutdown();
  size_t depth() const;

 private:
  void addLocked(const std::string& key);
  void promoteDueLocked(Clock::time_point now);

  BackoffOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;     // guarded by mutex_
  std::set<std::string> dirty_;       // waiting in queue_ or re-added while busy
  std::set<std::string> processing_;  // handed out, not yet done()
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, int64_t> failures_;
  bool shuttingDown_ = false;
};

}  // namespace wax::operator_
