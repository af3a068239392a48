// The scale bench's storage figure: a finished workflow's nodes written
// through the server's real SQLite store, and the database's size.
#pragma once

#include <cstddef>
#include <string>

namespace skiff::bench {

struct StoredSize {
  size_t nodes = 0;          // node rows written
  long long db_bytes = 0;    // skiff.db after the last connection closed (WAL checkpointed into it)
  std::string error;         // empty when it worked
};

// Reads workflow_json (status.nodes one node at a time, never the whole
// document at once) and writes its nodes into a fresh store under dir.
StoredSize store_nodes(const std::string& workflow_json, const std::string& dir);

}  // namespace skiff::bench
