#include "local/change_notifier.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "common/logging.h"

namespace wax::local {

ChangeNotifier::ChangeNotifier(std::function<void(const std::string&)> callback)
    : callback_(std::move(callback)) {
  if (callback_) {
    thread_ = std::thread([this] { run(); });
  }
}

ChangeNotifier::~ChangeNotifier() {
  close();
}

void ChangeNotifier::notify(const std::string& key) {
  if (!callback_) {
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (closed_ || std::find(pending_.begin(), pending_.end(), key) != pending_.end()) {
      return;
    }
    pending_.push_back(key);
  }
  wakeup_.notify_one();
}

void ChangeNotifier::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    pending_.clear();
  }
  wakeup_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ChangeNotifier::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wakeup_.wait(lock, [this] { return closed_ || !pending_.empty(); });
    if (closed_) {
      return;
    }
    std::vector<std::string> batch;
    batch.swap(pending_);

    lock.unlock();
    for (const auto& key : batch) {
      try {
        callback_(key);
      } catch (const std::exception& e) {
        wax::logger("supervisor")->error("change callback failed key={} error={}", key, e.what());
      }
    }
    lock.lock();
  }
}

}  // namespace wax::local
