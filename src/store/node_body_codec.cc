#include "store/node_body_codec.h"

#include <zlib.h>

#include <algorithm>

namespace skiff::store {

namespace {

// Raw deflate (negative window bits): no header, no trailer.
constexpr int kRawWindowBits = -15;

std::string zlib_message(const z_stream& z, int rc) {
  if (z.msg) return z.msg;
  return "zlib error " + std::to_string(rc);
}

const Bytef* bytes(std::string_view text) { return reinterpret_cast<const Bytef*>(text.data()); }

}  // namespace

struct NodeBodyCodec::Streams {
  z_stream deflate{};
  z_stream inflate{};
  bool deflate_ready = false;
  bool inflate_ready = false;

  ~Streams() {
    if (deflate_ready) deflateEnd(&deflate);
    if (inflate_ready) inflateEnd(&inflate);
  }
};

NodeBodyCodec::NodeBodyCodec() : streams_(std::make_unique<Streams>()) {}
NodeBodyCodec::~NodeBodyCodec() = default;

Result<std::string> NodeBodyCodec::encode(std::string_view json) {
  z_stream& z = streams_->deflate;
  int rc = Z_OK;
  if (!streams_->deflate_ready) {
    // Rows are small and written once per change: the best compression
    // costs microseconds, and every byte saved is kept for the row's life.
    rc = deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, kRawWindowBits, 9, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK) return internal_error("node body: cannot start deflate: " + zlib_message(z, rc));
    streams_->deflate_ready = true;
  } else {
    deflateReset(&z);
  }
  // A raw stream forgets its dictionary on reset: set it for every row.
  const std::string_view dictionary = node_body_dictionary_v1();
  rc = deflateSetDictionary(&z, bytes(dictionary), static_cast<uInt>(dictionary.size()));
  if (rc != Z_OK) return internal_error("node body: cannot set the dictionary: " + zlib_message(z, rc));

  std::string row(1 + deflateBound(&z, static_cast<uLong>(json.size())), '\0');
  row[0] = kDeflatedV1;
  z.next_in = const_cast<Bytef*>(bytes(json));
  z.avail_in = static_cast<uInt>(json.size());
  z.next_out = reinterpret_cast<Bytef*>(row.data() + 1);
  z.avail_out = static_cast<uInt>(row.size() - 1);
  rc = deflate(&z, Z_FINISH);
  if (rc != Z_STREAM_END) return internal_error("node body: deflate did not finish: " + zlib_message(z, rc));
  row.resize(row.size() - z.avail_out);
  return row;
}

Result<std::string> NodeBodyCodec::decode(std::string_view row) {
  if (!is_compressed(row)) return std::string(row);
  z_stream& z = streams_->inflate;
  int rc = Z_OK;
  if (!streams_->inflate_ready) {
    rc = inflateInit2(&z, kRawWindowBits);
    if (rc != Z_OK) return internal_error("node body: cannot start inflate: " + zlib_message(z, rc));
    streams_->inflate_ready = true;
  } else {
    inflateReset(&z);
  }
  const std::string_view dictionary = node_body_dictionary_v1();
  rc = inflateSetDictionary(&z, bytes(dictionary), static_cast<uInt>(dictionary.size()));
  if (rc != Z_OK) return internal_error("node body: cannot set the dictionary: " + zlib_message(z, rc));

  const std::string_view stream = row.substr(1);
  z.next_in = const_cast<Bytef*>(bytes(stream));
  z.avail_in = static_cast<uInt>(stream.size());
  // Bodies deflate about threefold; the buffer doubles when that is short.
  std::string json(std::max<size_t>(256, stream.size() * 4), '\0');
  size_t produced = 0;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(json.data() + produced);
    z.avail_out = static_cast<uInt>(json.size() - produced);
    rc = inflate(&z, Z_NO_FLUSH);
    produced = json.size() - z.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK && z.avail_out == 0) {
      json.resize(json.size() * 2);
      continue;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) {
      // Input ran out before the stream's last block.
      return internal_error("compressed row is cut short (" + std::to_string(stream.size()) + " bytes)");
    }
    return internal_error("compressed row is corrupt: " + zlib_message(z, rc));
  }
  if (z.avail_in != 0) {
    return internal_error("compressed row has " + std::to_string(z.avail_in) + " bytes after its end");
  }
  json.resize(produced);
  return json;
}

}  // namespace skiff::store
