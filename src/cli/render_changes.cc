// Line-oriented views for logs and pipes: node changes between two snapshots
// of a workflow, the closing summary of a run, and `argo wait`'s line.
#include <algorithm>

#include "cli/render_internal.h"

namespace skiff::cli {
namespace {

using nlohmann::json;
using namespace render_detail;

struct Change {
  Time at;
  std::string node_name;
  std::string line;
};

std::string pad_right(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::vector<std::string> render_node_changes(const json& before, const json& after) {
  const json& old_nodes = field(field(before, "status"), "nodes");
  const json& new_nodes = field(field(after, "status"), "nodes");
  std::vector<Change> changes;
  if (!new_nodes.is_object()) return {};
  for (auto it = new_nodes.begin(); it != new_nodes.end(); ++it) {
    const json& node = it.value();
    const json& old = field(old_nodes, it.key());
    std::string phase = text(node, "phase"), message = text(node, "message");
    if (old.is_object() && text(old, "phase") == phase && text(old, "message") == message) continue;

    Time finished = time_field(node, "finishedAt");
    Time at = is_zero(finished) ? time_field(node, "startedAt") : finished;
    std::string line = is_zero(at) ? "-" : format_rfc3339(at);
    line += " " + pad_right(phase.empty() ? "-" : phase, 9);
    line += " " + text(node, "displayName") + " (" + text(node, "name") + ")";
    if (!message.empty()) line += ": " + message;
    changes.push_back({at, text(node, "name"), std::move(line)});
  }
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    if (a.at != b.at) return a.at < b.at;
    return a.node_name < b.node_name;
  });
  std::vector<std::string> lines;
  lines.reserve(changes.size());
  for (Change& c : changes) lines.push_back(std::move(c.line));
  return lines;
}

std::string render_summary(const json& wf, const RenderOptions& options) {
  const json& status = field(wf, "status");
  std::string name = text(field(wf, "metadata"), "name");
  std::string phase = text(status, "phase");
  if (phase.empty()) phase = "Pending";
  Time started = time_field(status, "startedAt"), finished = time_field(status, "finishedAt");
  std::string out = name + " " + phase;
  if (!is_zero(started)) {
    if (is_zero(finished)) {
      out += " for " + format_duration_short(options.now - started);
    } else {
      out += " in " + format_duration_short(finished - started);
    }
  }
  if (std::string message = text(status, "message"); !message.empty()) out += ": " + message;
  return out;
}

std::string render_wait_line(const json& wf, const RenderOptions& options) {
  const json& status = field(wf, "status");
  Time finished = time_field(status, "finishedAt");
  std::string at = local_clock(finished, options.utc_offset, "%Y-%m-%d %H:%M:%S");
  return text(field(wf, "metadata"), "name") + " " + text(status, "phase") + " at " + at + " " + options.zone_name;
}

}  // namespace skiff::cli
