#include "case_expect.h"

#include <algorithm>
#include <map>
#include <set>

#include "case_yaml.h"

namespace skiff::enginetest {

namespace {

const std::set<std::string> kWorkflowKeys = {"createError", "phase",     "message", "progress", "outputs",
                                             "nodeCount",   "launchOrder", "nodes", "checkpoints", "at",
                                             "launched", "synchronization", "cacheSaves", "metrics",
                                             "resourcesDuration"};
const std::set<std::string> kNodeKeys = {"id",       "displayName",   "type",     "templateName", "templateScope",
                                         "phase",    "message",       "boundaryID", "children",   "childrenAnyOrder",
                                         "outboundNodes", "inputs",   "outputs",  "templateRef",  "podName",
                                         "daemoned", "podIP", "nodeFlag", "synchronizationStatus",
                                         "memoizationStatus", "resourcesDuration", "startedAt", "finishedAt"};

std::string quoted(const Json& value) {
  if (value.is_null()) return "<absent>";
  if (value.is_string()) return "\"" + value.get<std::string>() + "\"";
  return value.dump();
}

class Checker {
 public:
  Checker(const Json& workflow, const CaseRun& run, std::string where, std::vector<std::string>& out)
      : status_(workflow.value("status", Json::object())), run_(run), where_(std::move(where)), out_(out) {
    const Json nodes = status_.value("nodes", Json::object());
    for (const auto& [id, node] : nodes.items()) {
      std::string name = node.value("name", "");
      by_name_[name] = node;
      name_of_id_[id] = name;
    }
  }

  void check_workflow(const Json& expected) {
    for (const auto& [key, value] : expected.items()) {
      if (!kWorkflowKeys.count(key)) fail("expected.yaml", key, "a known field", Json(key + " (unknown field)"));
    }
    for (const char* field : {"phase", "message", "progress"}) {
      if (expected.contains(field)) compare_scalar("workflow", field, expected[field], status_.value(field, Json()));
    }
    for (const char* field : {"outputs", "synchronization"}) {
      if (expected.contains(field)) subset("workflow", field, expected[field], status_.value(field, Json()));
    }
    if (expected.contains("resourcesDuration")) {
      same_map("workflow", "resourcesDuration", expected["resourcesDuration"], status_.value("resourcesDuration", Json()));
    }
    if (expected.contains("nodeCount")) {
      compare_scalar("workflow", "nodeCount", expected["nodeCount"], Json(std::to_string(by_name_.size())));
    }
    const Json nodes = expected.value("nodes", Json::object());
    for (const auto& [name, node] : nodes.items()) check_node(name, node);
  }

  void check_launch_order(const Json& expected) {
    size_t next = 0;
    const auto& launches = run_.launches;
    for (const auto& entry : expected) {
      std::vector<std::string> group;
      if (entry.is_array()) {
        for (const auto& name : entry) group.push_back(scalar_text(name));
      } else {
        group.push_back(scalar_text(entry));
      }
      if (next + group.size() > launches.size()) {
        fail("launchOrder", "launch #" + std::to_string(next + 1), Json(join_names(group)), Json());
        return;
      }
      std::vector<std::string> actual;
      std::set<int> seconds;
      for (size_t i = 0; i < group.size(); ++i) {
        actual.push_back(launches[next + i].node_name);
        seconds.insert(launches[next + i].second);
      }
      if (std::is_permutation(group.begin(), group.end(), actual.begin())) {
        if (seconds.size() > 1) {
          fail("launchOrder", "launch #" + std::to_string(next + 1), Json(join_names(group) + " at one time"),
               Json(join_names(actual) + " at different times"));
        }
      } else {
        fail("launchOrder", "launch #" + std::to_string(next + 1), Json(join_names(group)), Json(join_names(actual)));
        return;
      }
      next += group.size();
    }
    if (next != launches.size()) {
      std::vector<std::string> extra;
      for (size_t i = next; i < launches.size(); ++i) extra.push_back(launches[i].node_name);
      fail("launchOrder", "launches after #" + std::to_string(next), Json("nothing"), Json(join_names(extra)));
    }
  }

  static std::string join_names(const std::vector<std::string>& names) {
    std::string out = "[";
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
    return out + "]";
  }

  void fail(const std::string& subject, const std::string& field, const Json& expected, const Json& actual) {
    out_.push_back(where_ + subject + " field '" + field + "': expected " + quoted(expected) + ", actual " +
                   quoted(actual));
  }

  void compare_scalar(const std::string& subject, const std::string& field, const Json& expected, const Json& actual) {
    if (expected.is_null() ? actual.is_null() : (!actual.is_null() && scalar_text(expected) == scalar_text(actual))) {
      return;
    }
    fail(subject, field, expected, actual);
  }

  // Actual node IDs as node names, so that lists read like the expectation.
  Json names_of(const Json& ids) const {
    if (!ids.is_array()) return Json();
    Json names = Json::array();
    for (const auto& id : ids) {
      auto it = name_of_id_.find(scalar_text(id));
      names.push_back(it == name_of_id_.end() ? "<unknown id " + scalar_text(id) + ">" : it->second);
    }
    return names;
  }

  void compare_names(const std::string& subject, const std::string& field, const Json& expected, Json actual,
                     bool any_order) {
    Json wanted = expected;
    if (actual.is_null() && wanted.is_array() && wanted.empty()) return;  // Argo omits empty lists
    if (any_order && wanted.is_array() && actual.is_array()) {
      std::sort(wanted.begin(), wanted.end());
      std::sort(actual.begin(), actual.end());
    }
    if (wanted != actual) fail(subject, field, wanted, actual);
  }

  // `launched: {node name: {...}}`: the template the engine asked to run for
  // that node contains the given fields (after substitution).
  void check_launched(const Json& expected) {
    for (const auto& [name, want] : expected.items()) {
      const Launch* launch = nullptr;
      for (const auto& l : run_.launches) {
        if (l.node_name == name) launch = &l;
      }
      if (!launch) {
        fail("launched", name, Json("a launch"), Json());
        continue;
      }
      subset("launched '" + name + "'", "template", want, launch->tmpl);
    }
  }

  void check_node(const std::string& name, const Json& expected) {
    const std::string subject = "node '" + name + "'";
    auto it = by_name_.find(name);
    if (it == by_name_.end()) {
      fail(subject, "name", Json(name), Json());
      return;
    }
    const Json& node = it->second;
    for (const auto& [key, value] : expected.items()) {
      if (!kNodeKeys.count(key)) fail(subject, key, Json("a known field"), Json(key + " (unknown field)"));
    }
    for (const char* field :
         {"id", "displayName", "type", "templateName", "templateScope", "phase", "message", "daemoned", "podIP",
          "startedAt", "finishedAt"}) {
      if (expected.contains(field)) compare_scalar(subject, field, expected[field], node.value(field, Json()));
    }
    if (expected.contains("boundaryID")) {
      Json actual = node.contains("boundaryID") ? names_of(Json::array({node["boundaryID"]}))[0] : Json();
      compare_scalar(subject, "boundaryID", expected["boundaryID"], actual);
    }
    if (expected.contains("children")) {
      compare_names(subject, "children", expected["children"], names_of(node.value("children", Json())), false);
    }
    if (expected.contains("childrenAnyOrder")) {
      compare_names(subject, "childrenAnyOrder", expected["childrenAnyOrder"],
                    names_of(node.value("children", Json())), true);
    }
    if (expected.contains("outboundNodes")) {
      compare_names(subject, "outboundNodes", expected["outboundNodes"],
                    names_of(node.value("outboundNodes", Json())), false);
    }
    for (const char* field : {"inputs", "outputs", "templateRef", "nodeFlag", "synchronizationStatus",
                              "memoizationStatus"}) {
      if (expected.contains(field)) subset(subject, field, expected[field], node.value(field, Json()));
    }
    if (expected.contains("resourcesDuration")) {
      same_map(subject, "resourcesDuration", expected["resourcesDuration"], node.value("resourcesDuration", Json()));
    }
    if (expected.contains("podName")) {
      Json actual;
      for (const auto& launch : run_.launches) {
        if (launch.node_name == name) actual = launch.pod_name;
      }
      compare_scalar(subject, "podName", expected["podName"], actual);
    }
  }

  // The same keys with the same scalar values (null: absent).
  void same_map(const std::string& subject, const std::string& field, const Json& expected, const Json& actual) {
    if (expected.is_null() || actual.is_null()) return compare_scalar(subject, field, expected, actual);
    bool same = expected.is_object() && actual.is_object() && expected.size() == actual.size();
    for (const auto& [key, value] : expected.items()) {
      same = same && actual.contains(key) && scalar_text(value) == scalar_text(actual[key]);
    }
    if (!same) fail(subject, field, expected, actual);
  }

  void subset(const std::string& subject, const std::string& path, const Json& expected, const Json& actual) {
    if (expected.is_null() || !(expected.is_object() || expected.is_array())) {
      compare_scalar(subject, path, expected, actual);
      return;
    }
    if (expected.is_object()) {
      if (!actual.is_object()) return fail(subject, path, expected, actual);
      for (const auto& [key, value] : expected.items()) {
        subset(subject, path + "." + key, value, actual.contains(key) ? actual[key] : Json());
      }
      return;
    }
    if (!actual.is_array() || actual.size() != expected.size()) return fail(subject, path, expected, actual);
    for (size_t i = 0; i < expected.size(); ++i) {
      const Json& want = expected[i];
      if (want.is_object() && want.contains("name")) {
        Json match;
        for (const auto& item : actual) {
          if (item.is_object() && scalar_text(item.value("name", Json())) == scalar_text(want["name"])) match = item;
        }
        subset(subject, path + "[" + scalar_text(want["name"]) + "]", want, match);
      } else {
        subset(subject, path + "[" + std::to_string(i) + "]", want, actual[i]);
      }
    }
  }

  Json status_;
  const CaseRun& run_;
  std::string where_;
  std::vector<std::string>& out_;
  std::map<std::string, Json> by_name_;
  std::map<std::string, std::string> name_of_id_;
};

}  // namespace

std::vector<std::string> check_case(const Json& expected, const CaseRun& run) {
  std::vector<std::string> out = run.problems;
  if (expected.contains("createError") || !run.create_error.empty()) {
    std::string want = scalar_text(expected.value("createError", Json("")));
    if (want != run.create_error) {
      out.push_back("workflow field 'createError': expected " + quoted(expected.value("createError", Json())) +
                    ", actual " + quoted(run.create_error.empty() ? Json() : Json(run.create_error)));
    }
    return out;
  }
  if (run.workflow.is_null()) return out;
  Checker final_state(run.workflow, run, "", out);
  final_state.check_workflow(expected);
  if (expected.contains("launchOrder")) final_state.check_launch_order(expected["launchOrder"]);
  if (expected.contains("launched")) final_state.check_launched(expected["launched"]);
  if (expected.contains("cacheSaves")) {
    // `cacheSaves: [{cache, key, outputs}]`: the kCacheSave actions, in order (subset match).
    final_state.subset("workflow", "cacheSaves", expected["cacheSaves"], Json(run.cache_saves));
  }

  if (expected.contains("metrics")) {
    // `metrics: [{node, name, help, labels, type, value, buckets, realtime, error}]`:
    // the custom metrics emitted, in order; the lists must be as long.
    const Json actual(run.metrics);
    if (actual.size() != expected["metrics"].size()) {
      out.push_back("workflow field 'metrics': expected " + std::to_string(expected["metrics"].size()) +
                    " samples, actual " + std::to_string(actual.size()) + ": " + actual.dump());
    } else {
      // By position: a metric may be emitted more than once (realtime gauges).
      for (size_t i = 0; i < actual.size(); ++i) {
        final_state.subset("workflow", "metrics[" + std::to_string(i) + "]", expected["metrics"][i], actual[i]);
      }
    }
  }

  for (const auto& checkpoint : expected.value("checkpoints", Json::array())) {
    std::string at = scalar_text(checkpoint.value("at", Json()));
    const Snapshot* snapshot = nullptr;
    for (const auto& s : run.snapshots) {
      if (std::to_string(s.second) == at) snapshot = &s;
    }
    if (!snapshot) {
      out.push_back("checkpoint at " + at + "s: the run never reached that second");
      continue;
    }
    Checker(snapshot->workflow, run, "at " + at + "s: ", out).check_workflow(checkpoint);
  }
  return out;
}

}  // namespace skiff::enginetest
