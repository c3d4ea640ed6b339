#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// Delivers the supervisor's change notifications on a thread of their own, so a callback may
// take its time or call back into the supervisor (even ensure(), which waits for the supervisor
// thread) without stalling or deadlocking it. Pending keys are coalesced: callers re-read the
// status anyway.
namespace wax::local {

class ChangeNotifier {
 public:
  explicit ChangeNotifier(std::function<void(const std::string&)> callback);
  ~ChangeNotifier();
  ChangeNotifier(const ChangeNotifier&) = delete;
  ChangeNotifier& operator=(const ChangeNotifier&) = delete;

  void notify(const std::string& key);
  // Drops what is still pending and waits for a callback in progress to return. Must not be
  // called from the callback (which therefore must not destroy the supervisor).
  void close();

 private:
  void run();

  const std::function<void(const std::string&)> callback_;
  std::mutex mutex_;
  std::condition_variable wakeup_;
  std::vector<std::string> pending_;  // guarded by mutex_; without duplicates
  bool closed_ = false;               // guarded by mutex_
  std::thread thread_;
};

}  // namespace wax::local
