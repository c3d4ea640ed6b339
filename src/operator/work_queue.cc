#include "operator/work_queue.h"

#include <algorithm>

namespace wax::operator_ {

WorkQueue::WorkQueue(BackoffOptions options) : options_(options) {}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mutex_);
  addLocked(key);
}

void WorkQueue::addLocked(const std::string& key) {
  if (shuttingDown_ || dirty_.contains(key)) {
    return;
  }
  dirty_.insert(key);
  if (!processing_.contains(key)) {
    queue_.push_back(key);
    wake_.notify_one();
  }
}

void WorkQueue::addAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) {
    add(key);
    return;
  }
  std::lock_guard lock(mutex_);
  if (shuttingDown_) {
    return;
  }
  delayed_.emplace(Clock::now() + delay, key);
  wake_.notify_one();
}

void WorkQueue::addRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    const int64_t exponent = std::min<int64_t>(failures_[key]++, 30);
    const auto scaled = options_.base.count() * (int64_t{1} << exponent);
    delay = std::chrono::milliseconds(std::min<int64_t>(scaled, options_.max.count()));
  }
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

int64_t WorkQueue::failures(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    addLocked(key);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mutex_);
  while (true) {
    promoteDueLocked(Clock::now());
    if (shuttingDown_) {
      return std::nullopt;
    }
    if (!queue_.empty()) {
      std::string key = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (delayed_.empty()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, delayed_.begin()->first);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mutex_);
  processing_.erase(key);
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    wake_.notify_one();
  }
}

void WorkQueue::shutdown() {
  std::lock_guard lock(mutex_);
  shuttingDown_ = true;
  wake_.notify_all();
}

size_t WorkQueue::depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace wax::operator_
