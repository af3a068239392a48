#include "sqlite_db.h"

namespace skiff::store::internal {

Statement::~Statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement& Statement::bind(int index, const std::string& text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::next() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    Code code = rc == SQLITE_CONSTRAINT ? Code::kAlreadyExists : Code::kInternal;
    status_ = Status(code, std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  return false;
}

Status Statement::run() {
  while (next()) {
  }
  // Ready to be bound and run again.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  Status status = status_;
  status_ = Status::ok();
  return status;
}

std::string Statement::text(int column) const {
  const unsigned char* data = sqlite3_column_text(stmt_, column);
  if (!data) return {};
  return std::string(reinterpret_cast<const char*>(data), sqlite3_column_bytes(stmt_, column));
}

std::string_view Statement::bytes(int column) const {
  // sqlite3_column_blob returns a TEXT value's bytes unconverted.
  const void* data = sqlite3_column_blob(stmt_, column);
  if (!data) return {};
  return std::string_view(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, column));
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return internal_error(path + ": cannot open the store: " + message);
  }
  // Another process (a second server on the same home) waits instead of failing.
  sqlite3_busy_timeout(db, 10000);
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<std::unique_ptr<Statement>> Database::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK) {
      return error("prepare");
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return std::make_unique<Statement>(db_, it->second);
}

Status Database::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return internal_error("sqlite: " + text);
  }
  return Status::ok();
}

Status Database::error(const std::string& context) const {
  return internal_error("sqlite: " + context + ": " + sqlite3_errmsg(db_));
}

Transaction::Transaction(Database& db) : db_(db) { begun_ = db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (begun_.is_ok() && !done_) (void)db_.exec("ROLLBACK");
}

Status Transaction::commit() {
  done_ = true;
  Status status = db_.exec("COMMIT");
  if (!status.is_ok()) (void)db_.exec("ROLLBACK");
  return status;
}

}  // namespace skiff::store::internal
