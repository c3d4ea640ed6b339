#pragma once

#include <mutex>
#include <string>

#include "store/change_notifier.h"
#include "store/sqlite_db.h"

// What a SQLite store shares with its watches. Watches hold it by shared_ptr, so a watch that
// outlives its store stays valid (it just sees no more local writes).
namespace wax::store {

struct StoreState {
  explicit StoreState(const std::string& path) : db(path) {}

  // One connection serves every thread; SQLite work is short, so a lock costs less than a
  // connection per thread. Guards db.
  std::mutex mutex;
  sqlite::Connection db;
  ChangeNotifier notifier;
};

}  // namespace wax::store
