#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "store/change_log.h"
#include "store/store.h"
#include "store/store_state.h"

// A watch over the SQLite store's change log. It reads the log in batches after the last version
// it delivered and sleeps on the store's notifier in between. next() is meant for one consumer
// thread; stop() may come from any thread.
namespace wax::store {

class SqliteWatch : public Watch {
 public:
  // `initial` are events delivered before any change after `afterVersion` (the synthetic Added
  // events of a list+watch).
  SqliteWatch(std::shared_ptr<StoreState> state, ChangeFilter filter, int64_t afterVersion,
              std::deque<WatchEvent> initial);

  std::optional<WatchEvent> next(std::chrono::milliseconds timeout) override;
  void stop() override;

 private:
  // Reads the next batch from the log; false when there was nothing new for this watch.
  bool readMore();

  std::shared_ptr<StoreState> state_;
  const ChangeFilter filter_;
  int64_t readThrough_;
  std::deque<WatchEvent> pending_;
  std::atomic<bool> stopped_{false};
};

}  // namespace wax::store
