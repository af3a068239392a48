// How a node's JSON body is kept in its row of the nodes table.
//
// A workflow of 100,000 nodes has 100,000 rows, and their bodies repeat the
// same keys and values ("displayName", "templateScope":"local/…",
// "phase":"Succeeded", timestamps of the same day…): plain JSON is ~450 B a
// node. Each row is deflated on its own (a row must be readable and
// rewritable alone) against a preset dictionary of that shared text, which
// brings a loop iteration's node to ~100–200 B.
//
// A row is either
//   - plain JSON text, as every row was written before compression: its
//     first byte is a JSON character ('{', '"', 'n'…), or
//   - kDeflatedV1 (0x01, never the first byte of JSON text) followed by a
//     raw deflate stream (no zlib header or checksum: six bytes a row saved)
//     made against dictionary 1.
// So a database written before still reads, and a row rewritten is written
// compressed. Dictionary 1 must never change once rows use it: a better
// dictionary is a new format byte beside it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace skiff::store {

inline constexpr char kDeflatedV1 = '\x01';

// The text the rows of format kDeflatedV1 are deflated against.
std::string_view node_body_dictionary_v1();

// Reuses its zlib state from row to row (a fresh deflate state is ~270 KB
// of allocations). Not thread-safe: one per connection, under its lock.
class NodeBodyCodec {
 public:
  NodeBodyCodec();
  ~NodeBodyCodec();
  NodeBodyCodec(const NodeBodyCodec&) = delete;
  NodeBodyCodec& operator=(const NodeBodyCodec&) = delete;

  // The row for a body's JSON text (kDeflatedV1).
  Result<std::string> encode(std::string_view json);
  // The JSON text of a row: a compressed row inflated, a plain one as is.
  // A compressed row that does not inflate completely is an error saying
  // why; it never yields part of a body.
  Result<std::string> decode(std::string_view row);

  static bool is_compressed(std::string_view row) { return !row.empty() && row.front() == kDeflatedV1; }

 private:
  struct Streams;
  std::unique_ptr<Streams> streams_;
};

}  // namespace skiff::store
