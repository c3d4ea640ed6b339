#pragma once

#include "store/sqlite_db.h"

// The on-disk layout of the SQLite store, versioned by PRAGMA user_version.
namespace wax::store {

inline constexpr int kSchemaVersion = 1;

// Brings the database to kSchemaVersion in one transaction, so that a crash mid-way or two
// processes opening the same file at once never leave a half-migrated schema. Throws Internal for
// a database written by a newer version.
void migrateSchema(sqlite::Connection& db);

}  // namespace wax::store
