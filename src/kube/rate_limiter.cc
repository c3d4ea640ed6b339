#include "kube/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace wax::kube {

RateLimiter::RateLimiter(RateLimit limit) : limit_(limit), tokens_(std::max(1, limit.burst)) {}

std::chrono::nanoseconds RateLimiter::reserve(Clock::time_point now) {
  if (limit_.qps <= 0) {
    return std::chrono::nanoseconds{0};
  }
  std::lock_guard lock(mutex_);
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min<double>(std::max(1, limit_.burst), tokens_ + elapsed * limit_.qps);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) {
    return std::chrono::nanoseconds{0};
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(-tokens_ / limit_.qps));
}

void RateLimiter::acquire() {
  auto wait = reserve(Clock::now());
  if (wait.count() > 0) {
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace wax::kube
