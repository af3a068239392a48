// Streams: workflow watches and Kubernetes-style events as server-sent
// events (`data: {"result": …}`), and step logs as newline-delimited JSON,
// as gRPC-gateway streams them.
#include <condition_variable>
#include <deque>
#include <fstream>
#include <regex>
#include <thread>

#include "server/api.h"

namespace skiff::server {

namespace {

// Collects the service's workflow events for one stream.
class Subscription {
 public:
  explicit Subscription(controller::Service& service) : service_(service) {
    id_ = service_.subscribe([this](const controller::WorkflowEvent& event) {
      std::lock_guard lock(mu_);
      queue_.push_back(event);
      cv_.notify_one();
    });
  }
  ~Subscription() { service_.unsubscribe(id_); }

  // Waits up to `timeout` for events.
  std::deque<controller::WorkflowEvent> take(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return !queue_.empty(); });
    std::deque<controller::WorkflowEvent> out;
    out.swap(queue_);
    return out;
  }

 private:
  controller::Service& service_;
  int id_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<controller::WorkflowEvent> queue_;
};

std::string sse(const Json& result) { return "data: " + Json{{"result", result}}.dump() + "\n\n"; }

bool selected(const Selector& labels, const Selector& fields, const Json& wf) {
  const Json& meta = wf["metadata"];
  if (!labels.matches(meta.value("labels", Json::object()))) return false;
  Json values = {{"metadata.name", meta.value("name", "")},
                 {"metadata.namespace", meta.value("namespace", "")},
                 {"metadata.uid", meta.value("uid", "")},
                 {"status.phase", wf["status"].value("phase", "")}};
  return fields.matches(values);
}

Response watch_workflows(Context& ctx, const Request& request) {
  std::string ns = request.param("namespace");
  if (request.namespaces && ns.empty()) {
    return error_response(Status(Code::kPermissionDenied, "the token may not watch every namespace"));
  }
  if (!ns.empty()) {
    if (Status st = check_namespace(request, ns); !st) return error_response(st);
  }
  auto labels = Selector::labels(request.query_value("listOptions.labelSelector"));
  if (!labels) return error_response(labels.status());
  auto fields = Selector::fields(request.query_value("listOptions.fieldSelector"));
  if (!fields) return error_response(fields.status());
  Response response;
  response.content_type = "text/event-stream";
  Selector label_selector = *labels, field_selector = *fields;
  std::string projection = request.query_value("fields");
  response.stream = [&ctx, ns, label_selector, field_selector, projection](const ChunkWriter& write) {
    Subscription subscription(ctx.service);
    // As a Kubernetes watch without a resourceVersion: what exists, as ADDED.
    store::WorkflowQuery query;
    query.namespace_ = ns;
    auto page = ctx.store.list_workflows(query);
    if (page) {
      for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
        auto nodes = ctx.store.nodes(it->uid);
        Json wf = controller::workflow_object(*it, nodes ? &*nodes : nullptr);
        if (!selected(label_selector, field_selector, wf)) continue;
        if (!write(sse(project_fields({{"type", "ADDED"}, {"object", wf}}, projection)))) return;
      }
    }
    while (!ctx.stopping->load()) {
      auto events = subscription.take(std::chrono::seconds(1));
      for (auto& event : events) {
        if (!ns.empty() && event.namespace_ != ns) continue;
        if (!selected(label_selector, field_selector, event.workflow)) continue;
        if (!write(sse(project_fields({{"type", event.type}, {"object", event.workflow}}, projection)))) return;
      }
    }
  };
  return response;
}

// A Kubernetes Event about a workflow or one of its nodes.
Json kube_event(const Json& wf, const std::string& reason, const std::string& message, const std::string& type,
                const std::string& node_name) {
  const Json& meta = wf["metadata"];
  std::string now = format_rfc3339(now_from(Clock::now()));
  Json event = {
      {"metadata", {{"name", meta.value("name", "") + "." + std::to_string(Clock::now().time_since_epoch().count())},
                    {"namespace", meta.value("namespace", "")}}},
      {"involvedObject", {{"apiVersion", "argoproj.io/v1alpha1"}, {"kind", "Workflow"},
                          {"name", meta.value("name", "")}, {"namespace", meta.value("namespace", "")},
                          {"uid", meta.value("uid", "")}}},
      {"reason", reason},
      {"message", message},
      {"source", {{"component", "workflow-controller"}}},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1},
      {"type", type}};
  if (!node_name.empty()) {
    event["metadata"]["annotations"] = {{"workflows.argoproj.io/node-name", node_name}};
  }
  return event;
}

Response watch_events(Context& ctx, const Request& request) {
  std::string ns = request.param("namespace");
  if (request.namespaces && ns.empty()) {
    return error_response(Status(Code::kPermissionDenied, "the token may not watch every namespace"));
  }
  if (!ns.empty()) {
    if (Status st = check_namespace(request, ns); !st) return error_response(st);
  }
  Response response;
  response.content_type = "text/event-stream";
  response.stream = [&ctx, ns](const ChunkWriter& write) {
    Subscription subscription(ctx.service);
    std::map<std::string, std::string> seen;  // workflow uid or node id -> phase reported
    while (!ctx.stopping->load()) {
      for (auto& event : subscription.take(std::chrono::seconds(1))) {
        if (!ns.empty() && event.namespace_ != ns) continue;
        const Json& wf = event.workflow;
        std::string uid = wf["metadata"].value("uid", "");
        std::string phase = wf["status"].value("phase", "");
        // As Argo orders them: the workflow starts, its nodes change, then it completes.
        auto workflow_event = [&]() {
          if (event.type != "MODIFIED" || phase.empty() || seen[uid] == phase) return true;
          seen[uid] = phase;
          std::string message = phase == "Running" ? "Workflow Running" : "Workflow completed";
          if (phase == "Failed" || phase == "Error") message = "Workflow " + wf["status"].value("message", "failed");
          bool warning = phase == "Failed" || phase == "Error";
          return write(sse(kube_event(wf, "Workflow" + phase, message, warning ? "Warning" : "Normal", "")));
        };
        if (phase == "Running" && !workflow_event()) return;
        const Json nodes = wf["status"].value("nodes", Json::object());
        for (auto& [id, node] : nodes.items()) {
          std::string node_phase = node.value("phase", "");
          if (node_phase == "Pending" || seen[uid + "/" + id] == node_phase) continue;
          seen[uid + "/" + id] = node_phase;
          bool warning = node_phase == "Failed" || node_phase == "Error";
          std::string message = (warning ? "Failed node " : node_phase == "Running" ? "Running node " : "Succeeded node ") +
                                node.value("name", "");
          if (node.contains("message")) message += ": " + node.value("message", "");
          if (!write(sse(kube_event(wf, "WorkflowNode" + node_phase, message, warning ? "Warning" : "Normal",
                                    node.value("name", ""))))) {
            return;
          }
        }
        if (phase != "Running" && !workflow_event()) return;
      }
    }
  };
  return response;
}

// Step logs. Follow mode re-reads the growing files until the workflow has
// finished and every file is drained.
Response logs(Context& ctx, const Request& request) {
  std::string ns = request.param("namespace");
  if (Status st = check_namespace(request, ns); !st) return error_response(st);
  std::string name = request.param("name");
  auto record = ctx.store.get_workflow(ns, name);
  if (!record) return error_response(record.status());
  std::string pod = request.param("podName");
  if (pod.empty()) pod = request.query_value("podName");
  std::string container = request.query_value("logOptions.container");
  if (!container.empty() && container != "main") {
    return error_response(not_found("container \"" + container + "\" not found (steps run one container, \"main\")"));
  }
  bool follow = request.query_value("logOptions.follow") == "true";
  std::optional<std::regex> grep;
  if (std::string pattern = request.query_value("grep"); !pattern.empty()) {
    try {
      grep.emplace(pattern);
    } catch (const std::regex_error&) {
      return error_response(invalid_argument("grep: not a valid regular expression: " + pattern));
    }
  }
  Response response;
  std::string uid = record->uid;
  response.stream = [&ctx, uid, pod, follow, grep](const ChunkWriter& write) {
    std::map<std::string, size_t> offsets;   // path -> bytes sent
    std::map<std::string, std::string> partial;  // path -> unfinished last line
    while (true) {
      bool finished = true;
      if (auto wf = ctx.store.get_workflow_by_uid(uid); wf) finished = wf->finished();
      auto entries = ctx.store.logs(uid);
      if (!entries) return;
      for (const auto& entry : *entries) {
        if (!pod.empty() && entry.pod_name != pod) continue;
        std::ifstream in(entry.path, std::ios::binary);
        if (!in) continue;
        in.seekg(static_cast<std::streamoff>(offsets[entry.path]));
        std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        offsets[entry.path] += chunk.size();
        std::string text = partial[entry.path] + chunk;
        size_t start = 0;
        for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
          std::string line = text.substr(start, nl - start);
          if (grep && !std::regex_search(line, *grep)) continue;
          if (!write(Json{{"result", {{"content", line}, {"podName", entry.pod_name}}}}.dump() + "\n")) return;
        }
        partial[entry.path] = text.substr(start);
        if (finished && !partial[entry.path].empty()) {
          std::string line = partial[entry.path];
          partial[entry.path].clear();
          if (!grep || std::regex_search(line, *grep)) {
            if (!write(Json{{"result", {{"content", line}, {"podName", entry.pod_name}}}}.dump() + "\n")) return;
          }
        }
      }
      if (!follow || finished || ctx.stopping->load()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  };
  return response;
}

}  // namespace

void add_stream_routes(Router& router) {
  router.add("GET", "/api/v1/workflow-events/{namespace}", watch_workflows);
  router.add("GET", "/api/v1/workflow-events", watch_workflows);
  router.add("GET", "/api/v1/stream/events/{namespace}", watch_events);
  router.add("GET", "/api/v1/stream/events", watch_events);
  router.add("GET", "/api/v1/workflows/{namespace}/{name}/log", logs);
  router.add("GET", "/api/v1/workflows/{namespace}/{name}/{podName}/log", logs);
}

}  // namespace skiff::server
