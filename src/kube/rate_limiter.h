#pragma once

#include <chrono>
#include <functional>
#include <mutex>

// A token bucket that spaces requests to a steady rate with bursts, like client-go's default
// client-side limiter (QPS 5, burst 10). Callers reserve a slot and sleep outside the lock, so a
// queue of callers is served in order at `qps`.
namespace wax::kube {

struct RateLimit {
  double qps = 5;  // <= 0 disables the limiter
  int burst = 10;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit limit);

  // Takes a token at `now` and returns how long the caller must wait before using it.
  std::chrono::nanoseconds reserve(Clock::time_point now);
  // Blocks until a token is available.
  void acquire();

 private:
  RateLimit limit_;
  std::mutex mutex_;
  double tokens_;           // guarded by mutex_; negative when callers are queued
  Clock::time_point last_;  // guarded by mutex_; when tokens_ was last brought up to date
  bool started_ = false;    // guarded by mutex_
};

}  // namespace wax::kube
