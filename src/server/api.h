// The HTTP API without the HTTP library (internal): requests and responses
// as plain values, a router from Argo's path patterns to handlers. Only
// http.cc sees cpp-httplib.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "controller/service.h"
#include "store/store.h"

namespace skiff::server {

using Json = nlohmann::json;

struct Request {
  std::string method;
  std::string path;
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string authorization;
  std::map<std::string, std::string> params;  // from the path pattern
  // Namespaces the caller may use; nullopt: all.
  std::optional<std::set<std::string>> namespaces;

  std::string param(const std::string& name) const;
  std::string query_value(const std::string& name) const;  // "" when absent
  bool has_query(const std::string& name) const;
};

// Writes one chunk to the client; false once the client has gone.
using ChunkWriter = std::function<bool(const std::string&)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Further headers (a download's Content-Disposition).
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for streamed responses (logs, watches): runs on the request's
  // thread until it returns or a write fails.
  std::function<void(const ChunkWriter&)> stream;
};

// The error body gRPC-gateway writes, with the HTTP status for its code.
Response error_response(const Status& status);
Response json_response(const Json& body, int status = 200);

class ListIndex;

struct Context {
  store::Store& store;
  controller::Service& service;
  config::Config config;
  std::string managed_namespace;
  std::string version;
  // Set when the server stops: streams end.
  std::atomic<bool>* stopping = nullptr;
  // Workflow lists answered from memory; null: every list reads the store.
  const ListIndex* list_index = nullptr;
};

using Handler = std::function<Response(Context&, const Request&)>;

class Router {
 public:
  // pattern: "/api/v1/workflows/{namespace}/{name}"
  void add(const std::string& method, const std::string& pattern, Handler handler);
  // Fills request.params; nullptr-like empty handler when nothing matches.
  // `allowed` lists the methods of a path that matched other methods.
  const Handler* match(Request& request, std::vector<std::string>* allowed) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// Route tables, by resource.
void add_workflow_routes(Router& router);
void add_template_routes(Router& router);
void add_info_routes(Router& router);
void add_stream_routes(Router& router);
void add_metrics_routes(Router& router);
void add_archive_routes(Router& router);
void add_artifact_routes(Router& router);

// Helpers shared by handlers.
Result<Json> parse_body(const Request& request);
Status check_namespace(const Request& request, const std::string& namespace_);
// listOptions.limit / listOptions.continue.
Status read_paging(const Request& request, size_t* limit, std::string* token);
// `argo resubmit` of `old` (a whole Workflow; status.nodes needed only for
// `memoized`), with the body of Argo's Resubmit request.
Response resubmit_from(Context& ctx, const Json& old, const Json& body);
// The "NAME=VALUE" strings of a body's `parameters`, as Argo's Retry and
// Resubmit requests carry them.
Result<std::vector<std::pair<std::string, std::string>>> parameter_pairs(const Json& body);
// The spec a finished workflow runs again with (resubmit, an archived
// workflow's retry), as Argo formulates it: no shutdown, no zero deadline,
// new values for the parameters it declares (others are ignored).
Json spec_to_run_again(const Json& old, const std::vector<std::pair<std::string, std::string>>& parameters);
// Applies Argo's `fields` parameter ("a.b,items.c" keeps; "-a.b" drops).
Json project_fields(const Json& value, const std::string& fields);

// Argo's `fields` parsed: its dotted paths as a tree of path segments.
struct FieldTree {
  std::map<std::string, FieldTree> children;
  bool leaf = false;  // a path ends here: the whole value is meant
};
struct FieldProjection {
  bool all = true;       // no `fields`: everything
  bool exclude = false;  // "-a,b": the paths are dropped, not kept
  FieldTree paths;
};
FieldProjection parse_fields(const std::string& fields);

// Kubernetes label selectors ("a=b,c!=d,e in (x,y),!f") and the field
// selectors Argo accepts for workflows (metadata.name, metadata.namespace,
// status.phase).
class Selector {
 public:
  static Result<Selector> labels(const std::string& text);
  static Result<Selector> fields(const std::string& text);
  // `values`: label name -> value, or field path -> value.
  bool matches(const Json& values) const;
  bool empty() const { return terms_.empty(); }

 private:
  struct Term {
    enum Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists } op;
    std::string key;
    std::vector<std::string> values;
  };
  std::vector<Term> terms_;
};

}  // namespace skiff::server
