#include "store/change_log.h"

#include <optional>

#include "common/error.h"

namespace wax::store {
namespace {

std::string_view eventName(EventType type) {
  switch (type) {
    case EventType::Added:
      return "ADDED";
    case EventType::Modified:
      return "MODIFIED";
    case EventType::Deleted:
      return "DELETED";
  }
  return "MODIFIED";
}

EventType eventFromName(const std::string& name) {
  if (name == "ADDED") {
    return EventType::Added;
  }
  if (name == "DELETED") {
    return EventType::Deleted;
  }
  if (name == "MODIFIED") {
    return EventType::Modified;
  }
  throw Error(ErrorCode::Internal, "the store's change log holds an unknown event type \"" + name +
                                       "\"; the database is damaged");
}

nlohmann::json parseBody(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::Internal,
                std::string("the store's change log holds an unreadable object: ") + e.what());
  }
}

std::optional<int64_t> oldestKept(sqlite::Connection& db) {
  return sqlite::queryInteger(db, "SELECT MIN(resource_version) FROM changes");
}

}  // namespace

int64_t currentResourceVersion(sqlite::Connection& db) {
  return sqlite::queryInteger(db, "SELECT seq FROM sqlite_sequence WHERE name = 'changes'")
      .value_or(0);
}

void appendChange(sqlite::Connection& db, int64_t resourceVersion, const Kind& kind,
                  const ObjectName& name, EventType type, const std::string& body,
                  int64_t historyLimit) {
  sqlite::Statement insert(db,
                           "INSERT INTO changes (resource_version, kind, namespace, name, "
                           "event_type, body) VALUES (?, ?, ?, ?, ?, ?)");
  insert.bind(1, resourceVersion).bind(2, kind).bind(3, name.ns).bind(4, name.name);
  insert.bind(5, eventName(type)).bind(6, body).run();

  // Versions are consecutive (one row per write), so this keeps exactly the newest entries.
  sqlite::Statement compact(db, "DELETE FROM changes WHERE resource_version <= ?");
  compact.bind(1, resourceVersion - historyLimit).run();
}

void requireHistorySince(sqlite::Connection& db, int64_t afterVersion) {
  const int64_t current = currentResourceVersion(db);
  if (afterVersion > current) {
    throw Error(ErrorCode::Gone, "too large resource version: " + std::to_string(afterVersion) +
                                     " (the store is at " + std::to_string(current) +
                                     "); list again and watch from the list's version");
  }
  if (afterVersion == current) {
    return;
  }
  // With no entries left at all, everything up to `current` has been compacted.
  const int64_t compactedThrough = oldestKept(db).value_or(current + 1) - 1;
  if (afterVersion < compactedThrough) {
    throw Error(ErrorCode::Gone, "too old resource version: " + std::to_string(afterVersion) +
                                     " (" + std::to_string(compactedThrough) +
                                     "); list again and watch from the list's version");
  }
}

ChangeBatch readChanges(sqlite::Connection& db, const ChangeFilter& filter, int64_t afterVersion,
                        int limit) {
  // One read transaction, so the history check, the rows and the version read through agree
  // even when another process writes to the same file.
  sqlite::Transaction transaction(db, sqlite::Transaction::Mode::Read);
  requireHistorySince(db, afterVersion);
  const int64_t current = currentResourceVersion(db);

  const bool allNamespaces = filter.ns.empty();
  sqlite::Statement query(db, allNamespaces
                                  ? "SELECT resource_version, event_type, body FROM changes "
                                    "WHERE kind = ? AND resource_version > ? "
                                    "ORDER BY resource_version LIMIT ?"
                                  : "SELECT resource_version, event_type, body FROM changes "
                                    "WHERE kind = ? AND resource_version > ? AND namespace = ? "
                                    "ORDER BY resource_version LIMIT ?");
  query.bind(1, filter.kind).bind(2, afterVersion);
  if (allNamespaces) {
    query.bind(3, static_cast<int64_t>(limit));
  } else {
    query.bind(3, filter.ns).bind(4, static_cast<int64_t>(limit));
  }

  ChangeBatch batch;
  batch.readThrough = current;
  int64_t lastRead = afterVersion;
  while (query.step()) {
    lastRead = query.integer(0);
    batch.events.push_back({eventFromName(query.text(1)), parseBody(query.text(2))});
  }
  // A full batch may have more behind it; continue right after its last row.
  if (static_cast<int>(batch.events.size()) == limit) {
    batch.readThrough = lastRead;
  }
  transaction.commit();
  return batch;
}

}  // namespace wax::store
