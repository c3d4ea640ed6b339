#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "store/store.h"

namespace wax::store {

// Opens (creating if needed) the SQLite store at `path`. Writes are durable when the call
// returns (WAL, synchronous=FULL): a kill -9 at any point loses no acknowledged write.
// `historyLimit` bounds the change log kept for watches; older history answers Gone.
//
// Where the Store contract leaves room, this store decides:
//  - update()/updateStatus() without metadata.resourceVersion is last-write-wins (the API server
//    would ask for one); with a metadata.uid that differs from the stored one it is a Conflict;
//  - a write that changes nothing keeps the resourceVersion and emits no event, as on the API
//    server, so a controller that rewrites an unchanged status does not trigger itself;
//  - watch() from a version newer than the store's is Gone (the client saw another store), and
//    next() throws Gone when compaction overtakes a watch that fell behind;
//  - writes by another process on the same file reach this process's watches within a second
//    (they poll); writes in this process wake them at once.
StorePtr openSqliteStore(const std::string& path, int64_t historyLimit = 10000);

struct SqliteStoreOptions {
  // Changes kept for watches; at least 1.
  int64_t historyLimit = 10000;
  // How long a write waits for another process that holds the database before it fails with
  // Unavailable.
  std::chrono::milliseconds busyTimeout{5000};
  // Source of creationTimestamp and deletionTimestamp; tests inject a fixed clock.
  std::function<std::chrono::system_clock::time_point()> clock = std::chrono::system_clock::now;
};

// As above, with every knob. Throws Invalid for a historyLimit below 1.
StorePtr openSqliteStore(const std::string& path, const SqliteStoreOptions& options);

}  // namespace wax::store
