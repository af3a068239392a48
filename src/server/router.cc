// Routing and the helpers every handler shares.
#include "base/strings.h"
#include "server/api.h"

namespace skiff::server {

namespace {

std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> out;
  for (auto& part : split(path, '/')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// gRPC code and the HTTP status gRPC-gateway gives it.
std::pair<int, int> grpc_code(Code code) {
  switch (code) {
    case Code::kOk: return {0, 200};
    case Code::kCancelled: return {1, 499};
    case Code::kInvalidArgument: return {3, 400};
    case Code::kNotFound: return {5, 404};
    case Code::kAlreadyExists: return {6, 409};
    case Code::kPermissionDenied: return {7, 403};
    case Code::kResourceExhausted: return {8, 429};
    case Code::kFailedPrecondition: return {9, 400};
    case Code::kInternal: return {13, 500};
    case Code::kUnavailable: return {14, 503};
    case Code::kUnauthenticated: return {16, 401};
  }
  return {2, 500};
}

}  // namespace

std::string Request::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::string Request::query_value(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

bool Request::has_query(const std::string& name) const { return query.count(name) != 0; }

Response error_response(const Status& status) {
  auto [code, http] = grpc_code(status.code());
  Response response;
  response.status = http;
  response.body = Json{{"code", code}, {"message", status.message()}}.dump();
  return response;
}

Response json_response(const Json& body, int status) {
  Response response;
  response.status = status;
  response.body = body.dump();
  return response;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back({method, path_segments(pattern), std::move(handler)});
}

const Handler* Router::match(Request& request, std::vector<std::string>* allowed) const {
  std::vector<std::string> segments = path_segments(request.path);
  // Literal segments beat parameters: "/workflows/{ns}/lint" over "/workflows/{ns}/{name}".
  const Route* best = nullptr;
  int best_literals = -1;
  std::map<std::string, std::string> best_params;
  for (const Route& route : routes_) {
    // A last segment "{name*}" takes the rest of the path, one segment or more.
    const bool rest = !route.segments.empty() && ends_with(route.segments.back(), "*}");
    if (rest ? segments.size() < route.segments.size() : route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    int literals = 0;
    bool ok = true;
    for (size_t i = 0; i < route.segments.size() && ok; ++i) {
      const std::string& want = route.segments[i];
      if (rest && i + 1 == route.segments.size()) {
        std::string joined = segments[i];
        for (size_t j = i + 1; j < segments.size(); ++j) joined += "/" + segments[j];
        params[want.substr(1, want.size() - 3)] = joined;
      } else if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else if (want == segments[i]) {
        ++literals;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (route.method != request.method) {
      allowed->push_back(route.method);
      continue;
    }
    if (literals > best_literals) {
      best = &route;
      best_literals = literals;
      best_params = std::move(params);
    }
  }
  if (!best) return nullptr;
  request.params = std::move(best_params);
  return &best->handler;
}

Result<Json> parse_body(const Request& request) {
  if (trim(request.body).empty()) return Json::object();
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    // Say where, as a JSON decoder would.
    try {
      Json reparsed = Json::parse(request.body);
      (void)reparsed;
    } catch (const Json::parse_error& e) {
      return invalid_argument(std::string("request body: ") + e.what());
    }
    return invalid_argument("request body: not JSON");
  }
  if (!body.is_object()) return invalid_argument("request body: expected a JSON object");
  return body;
}

Status check_namespace(const Request& request, const std::string& namespace_) {
  if (!request.namespaces) return Status::ok();
  if (request.namespaces->count(namespace_)) return Status::ok();
  return Status(Code::kPermissionDenied, "the token may not use namespace \"" + namespace_ + "\"");
}

Status read_paging(const Request& request, size_t* limit, std::string* token) {
  std::string text = request.query_value("listOptions.limit");
  if (!text.empty()) {
    char* end = nullptr;
    long value = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || value < 0) return invalid_argument("listOptions.limit: expected a non-negative integer");
    *limit = static_cast<size_t>(value);
  }
  *token = request.query_value("listOptions.continue");
  return Status::ok();
}

}  // namespace skiff::server
