// The node tree of `argo get`. Argo does not draw status.nodes[*].children
// directly: it groups nodes by their template boundary (Steps and DAG nodes
// contain every node whose boundaryID names them), hangs the children of
// StepGroup and Retry nodes under those nodes, hides StepGroups (drawing
// their members as a "┬─ … └─" fan instead), hides a Retry with a single
// attempt and omitted DAG tasks, and orders siblings by start time.
#include <map>

#include "base/naming.h"
#include "cli/render_internal.h"

namespace skiff::cli::render_detail {
namespace {

using nlohmann::json;

enum class Kind { kBoundary, kGroup, kLeaf, kHidden };

Kind kind_of(const std::string& type) {
  if (type == "DAG" || type == "Steps") return Kind::kBoundary;
  if (type == "StepGroup" || type == "Retry") return Kind::kGroup;
  if (type == "Pod" || type == "Skipped" || type == "Suspend" || type == "HTTP" || type == "Plugin") {
    return Kind::kLeaf;
  }
  // TaskGroup and Container nodes, and anything unknown, are not drawn.
  return Kind::kHidden;
}

struct TreeNode {
  std::string id;
  const json* status = nullptr;
  Kind kind = Kind::kHidden;
  Time started;
  std::string display_name;
  std::vector<TreeNode*> children;
};

// The "(3:item)" index argo gives withItems/withParam expansions, or -1.
int index_in_display_name(const std::string& name) {
  size_t open = name.find('('), colon = name.find(':');
  if (open == std::string::npos || colon == std::string::npos || colon <= open + 1) return -1;
  std::string digits = name.substr(open + 1, colon - open - 1);
  size_t i = (digits[0] == '+' || digits[0] == '-') ? 1 : 0;
  if (i == digits.size()) return -1;
  for (; i < digits.size(); ++i) {
    if (digits[i] < '0' || digits[i] > '9') return -1;
  }
  try {
    return std::stoi(digits);
  } catch (...) {
    return -1;
  }
}

// Inserts before the first sibling that sorts after `item`, so equal
// siblings keep insertion order, exactly as argo's insertion does.
void insert_sorted(std::vector<TreeNode*>& siblings, TreeNode* item) {
  size_t at = 0;
  for (; at < siblings.size(); ++at) {
    const TreeNode* existing = siblings[at];
    if (item->started < existing->started) break;
    if (item->started == existing->started) {
      int a = index_in_display_name(item->display_name);
      int b = index_in_display_name(existing->display_name);
      if (a >= 0 && b >= 0) {
        if (a < b) break;
      } else if (item->display_name < existing->display_name) {
        break;
      }
    }
  }
  siblings.insert(siblings.begin() + static_cast<std::ptrdiff_t>(at), item);
}

struct Glyphs {
  const char *only, *first, *middle, *last, *bar, *blank;
};
const Glyphs kUtf8Glyphs{"──", "┬─", "├─", "└─", "│ ", "  "};
const Glyphs kAsciiGlyphs{"--", "+-", "|-", "`-", "| ", "  "};

class TreePrinter {
 public:
  TreePrinter(const json& wf, const RenderOptions& options) : wf_(wf), options_(options) {
    workflow_name_ = text(field(wf, "metadata"), "name");
    const json& annotations = field(field(wf, "metadata"), "annotations");
    pod_names_are_ids_ = text(annotations, "workflows.argoproj.io/pod-name-format") == "v1";
  }

  std::string print() {
    const json& nodes = field(field(wf_, "status"), "nodes");
    if (!nodes.is_object() || !nodes.contains(workflow_name_)) return "";
    build(nodes);
    auto main_root = roots_.find(workflow_name_);
    if (main_root == roots_.end()) return "";

    if (options_.wide) {
      rows_ += step_header() + "\tTEMPLATE\tPODNAME\tDURATION\tARTIFACTS\tMESSAGE\tRESOURCESDURATION\tNODENAME\n";
    } else if (options_.short_tree) {
      rows_ += step_header() + "\tTEMPLATE\tPODNAME\tDURATION\tMESSAGE\tNODENAME\n";
    } else {
      rows_ += step_header() + "\tTEMPLATE\tPODNAME\tDURATION\tMESSAGE\n";
    }
    render(main_root->second, " ", " ");
    auto on_exit = roots_.find(argo_node_id(workflow_name_, workflow_name_ + ".onExit"));
    if (on_exit != roots_.end()) {
      rows_ += "\t\t\t\t\t\n";
      render(on_exit->second, " ", " ");
    }
    return tabwrite(rows_);
  }

 private:
  // argo wraps the header in a no-op colour so it counts as many invisible
  // characters as the coloured icons below it.
  std::string step_header() const { return ansi("STEP", kFgDefault, options_); }

  void build(const json& nodes) {
    for (auto it = nodes.begin(); it != nodes.end(); ++it) {
      TreeNode& n = tree_[it.key()];
      n.id = it.key();
      n.status = &it.value();
      n.kind = kind_of(text(it.value(), "type"));
      n.started = time_field(it.value(), "startedAt");
      n.display_name = text(it.value(), "displayName");
    }
    std::map<std::string, TreeNode*> group_of;
    for (auto& [id, n] : tree_) {
      if (n.kind != Kind::kGroup) continue;
      for (const json& child : items(*n.status, "children")) {
        if (child.is_string()) group_of[child.get<std::string>()] = &n;
      }
    }
    for (auto& [id, n] : tree_) {
      if (n.kind == Kind::kHidden) continue;
      if (auto g = group_of.find(id); g != group_of.end()) {
        insert_sorted(g->second->children, &n);
        continue;
      }
      std::string boundary = text(*n.status, "boundaryID");
      if (boundary.empty()) {
        roots_[id] = &n;
        continue;
      }
      auto parent = tree_.find(boundary);
      if (parent != tree_.end() && parent->second.kind == Kind::kBoundary) {
        insert_sorted(parent->second.children, &n);
      }
    }
  }

  // Returns {hidden, children drawn as a fan}.
  std::pair<bool, bool> filter(const TreeNode& n) const {
    const json& s = *n.status;
    std::string type = text(s, "type");
    if (type == "Retry" && items(s, "children").size() == 1) {
      return {true, false};
    }
    if (type == "StepGroup") return {true, true};
    if (type == "Skipped" && text(s, "phase") == "Omitted") return {true, false};
    if (!selector_matches(options_.node_field_selector, s)) return {true, false};
    return {false, false};
  }

  void render(TreeNode* n, const std::string& node_prefix, const std::string& child_prefix) {
    auto [hidden, fan] = filter(*n);
    if (!hidden) print_row(*n, node_prefix);
    size_t last = n->children.size() - 1;
    for (size_t i = 0; i < n->children.size(); ++i) {
      render_child(n->children[i], node_prefix, child_prefix, hidden, fan, i, last);
    }
  }

  void render_child(TreeNode* child, const std::string& node_prefix, const std::string& child_prefix,
                    bool parent_hidden, bool fan, size_t index, size_t last) {
    const Glyphs& g = options_.no_utf8 ? kAsciiGlyphs : kUtf8Glyphs;
    std::string part, sub;
    if (parent_hidden && fan) {
      if (last == 0) {
        part = g.only, sub = g.blank;
      } else if (index == 0) {
        part = g.first, sub = g.bar;
      } else if (index == last) {
        part = g.last, sub = g.blank;
      } else {
        part = g.middle, sub = g.bar;
      }
    } else if (!parent_hidden) {
      part = index == last ? g.last : g.middle;
      sub = index == last ? g.blank : g.bar;
    }
    // A hidden parent draws nothing, so its first child continues the
    // parent's own row prefix.
    std::string own = (parent_hidden && index == 0 ? node_prefix : child_prefix) + part;
    render(child, own, child_prefix + sub);
  }

  std::string icon(const json& s) const {
    std::string phase = text(s, "phase");
    if (text(s, "type") == "Suspend" && phase == "Running") {
      return ansi(options_.no_utf8 ? "Suspend" : "ǁ", kFgCyan, options_);
    }
    struct PhaseIcon {
      const char *phase, *glyph, *word;
      int color;
    };
    static const PhaseIcon kIcons[] = {
        {"Pending", "◷", "Pending", kFgYellow},   {"Running", "●", "Running", kFgCyan},
        {"Succeeded", "✔", "Succeeded", kFgGreen}, {"Skipped", "○", "Skipped", kFgDefault},
        {"Failed", "✖", "Failed", kFgRed},         {"Error", "⚠", "Error", kFgRed},
    };
    for (const PhaseIcon& i : kIcons) {
      if (phase == i.phase) return ansi(options_.no_utf8 ? i.word : i.glyph, i.color, options_);
    }
    return "";
  }

  std::string pod_name(const json& s) const {
    if (pod_names_are_ids_) return text(s, "id");
    const json& ref = field(s, "templateRef");
    std::string tmpl = ref.is_object() ? text(ref, "template") : text(s, "templateName");
    return argo_pod_name(workflow_name_, text(s, "name"), tmpl);
  }

  static std::string artifact_names(const json& s) {
    std::vector<std::string> names;
    for (const json& a : items(field(s, "outputs"), "artifacts")) names.push_back(text(a, "name"));
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
    return out;
  }

  void print_row(const TreeNode& n, const std::string& prefix) {
    const json& s = *n.status;
    std::string tmpl;
    if (const json& ref = field(s, "templateRef"); ref.is_object()) {
      tmpl = text(ref, "name") + "/" + text(ref, "template");
    } else {
      tmpl = text(s, "templateName");
    }
    bool pod = text(s, "type") == "Pod";
    std::string pod_cell, duration;
    if (pod) {
      pod_cell = pod_name(s);
      duration = relative_duration_short(n.started, time_field(s, "finishedAt"), options_.now);
    }
    std::string message = text(s, "message");
    std::string host = pod ? text(s, "hostNodeName") : "";
    std::string row = prefix + icon(s) + " " + n.display_name + "\t" + tmpl + "\t" + pod_cell + "\t" + duration;
    if (options_.wide) {
      row += "\t" + artifact_names(s) + "\t" + message + "\t" +
             resources_duration_text(field(s, "resourcesDuration")) + "\t" + host;
    } else if (options_.short_tree) {
      row += "\t" + message + "\t" + host;
    } else {
      row += "\t" + message + "\t";
    }
    rows_ += row + "\n";
  }

  const json& wf_;
  const RenderOptions& options_;
  std::string workflow_name_;
  bool pod_names_are_ids_ = false;
  std::map<std::string, TreeNode> tree_;
  std::map<std::string, TreeNode*> roots_;
  std::string rows_;
};

}  // namespace

std::string render_tree(const json& wf, const RenderOptions& options) {
  return TreePrinter(wf, options).print();
}

}  // namespace skiff::cli::render_detail
