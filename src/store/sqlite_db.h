// A thin RAII layer over the SQLite C API (internal): a connection with a
// cache of prepared statements, and statements with typed binds and reads.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::store::internal {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();  // resets the cached statement for its next use
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const std::string& text);
  // Bytes that are not text (a compressed node body): stored as a BLOB.
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind(int index, int64_t value);
  Statement& bind_null(int index);

  // Steps once: true while a row is available; errors land in status().
  bool next();
  // Runs to completion (INSERT/UPDATE/DELETE) and resets, so the statement
  // can be bound and run again.
  Status run();
  const Status& status() const { return status_; }

  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const;
  // A TEXT or BLOB column's bytes as stored, valid until the next step.
  std::string_view bytes(int column) const;
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status status_;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> open(const std::string& path);
  ~Database();

  // A statement for sql, prepared once and reused. One use at a time.
  Result<std::unique_ptr<Statement>> prepare(const std::string& sql);
  Status exec(const std::string& sql);  // one or more statements, no results
  int64_t changes() const { return sqlite3_changes64(db_); }
  Status error(const std::string& context) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE … COMMIT, rolled back unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  const Status& begun() const { return begun_; }
  Status commit();

 private:
  Database& db_;
  Status begun_;
  bool done_ = false;
};

}  // namespace skiff::store::internal
