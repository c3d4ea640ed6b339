#include "store/sqlite_watch.h"

#include <algorithm>
#include <utility>

namespace wax::store {
namespace {

// Bounds the memory a watch that is far behind uses for one read.
constexpr int kBatchSize = 256;

// Writes by another process on the same file do not reach this process's notifier; re-reading
// the log this often bounds how late such a write is seen.
constexpr std::chrono::milliseconds kPollInterval{1000};

}  // namespace

SqliteWatch::SqliteWatch(std::shared_ptr<StoreState> state, ChangeFilter filter,
                         int64_t afterVersion, std::deque<WatchEvent> initial)
    : state_(std::move(state)),
      filter_(std::move(filter)),
      readThrough_(afterVersion),
      pending_(std::move(initial)) {}

std::optional<WatchEvent> SqliteWatch::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stopped_) {
    if (!pending_.empty()) {
      WatchEvent event = std::move(pending_.front());
      pending_.pop_front();
      return event;
    }

    // Read the notifier before the log: a write that commits after the read bumps it past
    // `seen`, so the wait below cannot sleep through it.
    const int64_t seen = state_->notifier.latest();
    if (readMore()) {
      continue;
    }

    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      break;
    }
    state_->notifier.waitForChange(seen, stopped_, std::min(deadline, now + kPollInterval));
  }
  return std::nullopt;
}

void SqliteWatch::stop() {
  stopped_ = true;
  state_->notifier.wakeAll();
}

bool SqliteWatch::readMore() {
  ChangeBatch batch;
  {
    std::lock_guard lock(state_->mutex);
    batch = readChanges(state_->db, filter_, readThrough_, kBatchSize);
  }
  readThrough_ = batch.readThrough;
  for (WatchEvent& event : batch.events) {
    pending_.push_back(std::move(event));
  }
  return !pending_.empty();
}

}  // namespace wax::store
