#include "stored_nodes.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <utility>
#include <vector>

#include "store/store.h"

namespace skiff::bench {

namespace {

using store::Json;

struct Document {
  Json rest;  // the workflow without status.nodes
  std::vector<std::pair<std::string, Json>> nodes;
};

// nlohmann's callback parser: each node body is taken out as soon as it is
// parsed, so the document is never whole in memory beside the nodes.
Document read_document(const std::string& path) {
  Document doc;
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> keys(8);
  auto take_nodes = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key) {
      if (depth < static_cast<int>(keys.size())) keys[static_cast<size_t>(depth)] = parsed.get<std::string>();
      return true;
    }
    // Depth 0 is the Workflow, 1 its status, 2 status.nodes, 3 a node.
    if (event == Json::parse_event_t::object_end && depth == 3 && keys[1] == "status" && keys[2] == "nodes") {
      doc.nodes.emplace_back(keys[3], std::move(parsed));
      return false;  // not kept in the document
    }
    return true;
  };
  doc.rest = Json::parse(in, take_nodes, /*allow_exceptions=*/false);
  return doc;
}

}  // namespace

StoredSize store_nodes(const std::string& workflow_json, const std::string& dir) {
  StoredSize out;
  Document doc = read_document(workflow_json);
  if (doc.rest.is_discarded() || !doc.rest.is_object()) {
    out.error = workflow_json + ": not a workflow document";
    return out;
  }
  const std::string path = dir + "/skiff.db";
  {
    auto opened = store::open_sqlite({path});
    if (!opened) {
      out.error = opened.status().message();
      return out;
    }
    store::Store& db = **opened;
    store::WorkflowRecord record;
    record.uid = doc.rest["metadata"].value("uid", "00000000-0000-4000-8000-000000000000");
    record.namespace_ = "default";
    record.name = doc.rest["metadata"].value("name", "scale");
    record.manifest = {{"metadata", doc.rest["metadata"]}, {"spec", doc.rest["spec"]}};
    Status created = db.create_workflow(record);
    if (!created) {
      out.error = created.message();
      return out;
    }
    // The server writes a node when it changes, in the order the workflow
    // runs, and node IDs are hashes: rows arrive in no key order. Shuffled
    // (with a fixed seed) so the B-tree pages split as they do for the
    // server, not packed as a sorted bulk load would pack them.
    std::shuffle(doc.nodes.begin(), doc.nodes.end(), std::mt19937(20261123));
    Json status = doc.rest["status"];
    status.erase("nodes");
    const size_t batch = 500;  // about what one turn of the server's loop writes at this scale
    int64_t version = 1;
    for (size_t at = 0; at < doc.nodes.size(); at += batch) {
      store::WorkflowUpdate update;
      update.uid = record.uid;
      update.expected_version = version;
      update.phase = "Running";
      update.status = status;
      for (size_t i = at; i < std::min(at + batch, doc.nodes.size()); ++i) {
        update.nodes.push_back({doc.nodes[i].first, std::move(doc.nodes[i].second)});
      }
      auto written = db.update_workflow(update);
      if (!written) {
        out.error = written.status().message();
        return out;
      }
      version = *written;
      out.nodes += update.nodes.size();
    }
  }  // closing the last connection checkpoints the WAL into the database file
  std::error_code ec;
  const auto db = std::filesystem::file_size(path, ec);
  if (ec) {
    out.error = path + ": " + ec.message();
    return out;
  }
  out.db_bytes = static_cast<long long>(db);
  // A WAL left behind (another process holding the file) is counted too.
  const auto wal = std::filesystem::file_size(path + "-wal", ec);
  if (!ec) out.db_bytes += static_cast<long long>(wal);
  return out;
}

}  // namespace skiff::bench
