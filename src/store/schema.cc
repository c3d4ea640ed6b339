#include "store/schema.h"

#include <array>
#include <string>

#include "common/error.h"

namespace wax::store {
namespace {

// Step i brings the schema from version i to i + 1. Steps are append-only: a released step never
// changes, because databases in the field have already run it.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 0 -> 1: objects, and the change log that orders and replays every write. AUTOINCREMENT
    // keeps the highest resourceVersion in sqlite_sequence, so a version is never handed out
    // twice even after compaction empties the log.
    R"sql(
      CREATE TABLE objects (
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL,
        resource_version INTEGER NOT NULL,
        generation INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, namespace, name)
      ) WITHOUT ROWID;
      CREATE TABLE changes (
        resource_version INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        event_type TEXT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX changes_by_kind ON changes (kind, resource_version);
    )sql",
};

}  // namespace

void migrateSchema(sqlite::Connection& db) {
  sqlite::Transaction transaction(db, sqlite::Transaction::Mode::Write);
  const int64_t version = sqlite::queryInteger(db, "PRAGMA user_version").value_or(0);
  if (version > kSchemaVersion) {
    throw Error(ErrorCode::Internal,
                "the store at " + db.path() + " has schema version " + std::to_string(version) +
                    ", newer than this wax understands (" + std::to_string(kSchemaVersion) +
                    "); upgrade wax or point it at another data directory");
  }
  if (version == kSchemaVersion) {
    return;
  }
  for (int64_t step = version; step < kSchemaVersion; ++step) {
    db.exec(kMigrations[static_cast<size_t>(step)]);
  }
  db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  transaction.commit();
}

}  // namespace wax::store
