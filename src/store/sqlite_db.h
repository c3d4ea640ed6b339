#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Thin RAII ownership of the SQLite C API: a connection, a prepared statement and a transaction.
// Every failure becomes a wax::Error, so callers never look at SQLite result codes.
namespace wax::store::sqlite {

class Connection {
 public:
  // Opens (creating if needed) the database file. Throws wax::Error(Internal) on failure.
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs statements that return no rows we need (schema, pragmas, BEGIN/COMMIT).
  void exec(const std::string& sql);
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

  // Throws the wax::Error for a failed call; `what` names the operation for the message.
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. Parameters are bound by 1-based index; step() advances one row.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, int64_t value);

  // True while a row is available; false once the statement is done.
  bool step();
  // Runs a statement that returns no rows.
  void run();

  std::string text(int column) const;
  int64_t integer(int column) const;
  bool isNull(int column) const;

 private:
  Connection& connection_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A transaction rolled back on destruction unless commit() was called. Writers begin IMMEDIATE
// so that the write lock is taken up front and a busy database fails fast instead of deadlocking
// on a lock upgrade.
class Transaction {
 public:
  enum class Mode { Read, Write };
  Transaction(Connection& connection, Mode mode);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

// Runs a query expected to return at most one integer; nullopt when no row or NULL.
std::optional<int64_t> queryInteger(Connection& connection, std::string_view sql);

}  // namespace wax::store::sqlite
