#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/object_meta.h"
#include "store/sqlite_db.h"
#include "store/store.h"

// The change log: one row per write, keyed by the write's resourceVersion. It is what makes
// resourceVersions store-wide and what watches replay. Callers hold the store's lock and, for
// writes, a write transaction.
namespace wax::store {

struct ChangeFilter {
  Kind kind;
  std::string ns;  // empty: every namespace
};

struct ChangeBatch {
  std::vector<WatchEvent> events;  // oldest first
  // The log has been read through this version: the next read starts after it.
  int64_t readThrough = 0;
};

// The highest resourceVersion ever handed out; 0 for an empty store.
int64_t currentResourceVersion(sqlite::Connection& db);

// Records a write at `resourceVersion` (which must be currentResourceVersion() + 1) and drops the
// oldest entries so that at most `historyLimit` remain.
void appendChange(sqlite::Connection& db, int64_t resourceVersion, const Kind& kind,
                  const ObjectName& name, EventType type, const std::string& body,
                  int64_t historyLimit);

// Throws Gone when changes after `afterVersion` were compacted away, or when `afterVersion` is
// ahead of the store (the client saw another store, e.g. one that was deleted and recreated).
void requireHistorySince(sqlite::Connection& db, int64_t afterVersion);

// Up to `limit` changes after `afterVersion` that match `filter`. Throws Gone like
// requireHistorySince().
ChangeBatch readChanges(sqlite::Connection& db, const ChangeFilter& filter, int64_t afterVersion,
                        int limit);

}  // namespace wax::store
