// retryStrategy: a Retry node whose children are the attempts "<name>(0)",
// "<name>(1)", ... run until one succeeds, the policy or expression says
// stop, or the limit is reached. Backoff waits are timers, never sleeps.
#include <cmath>

#include "engine/internal.h"

namespace skiff::engine {

namespace {

std::optional<long long> as_integer(const Json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_string()) {
    try {
      size_t used = 0;
      long long n = std::stoll(value.get<std::string>(), &used);
      if (used == value.get<std::string>().size()) return n;
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

std::optional<Duration> as_duration(const Json& value) {
  if (value.is_number()) return std::chrono::seconds(value.get<long long>());
  if (value.is_string()) return parse_duration(value.get<std::string>());
  return std::nullopt;
}

bool policy_allows(const std::string& policy, const Node& last) {
  if (policy == "Always") return true;
  if (policy == "OnError") return last.phase == Phase::kError;
  if (policy == "OnTransientError") return false;  // no transient infrastructure errors locally
  return last.phase == Phase::kFailed;             // OnFailure, the default
}

// Go's time.Time.String() of a UTC time, as Argo prints the deadline.
std::string go_time_string(Time t) {
  std::string text = format_rfc3339(t);  // 2026-01-01T00:00:10Z
  if (text.size() >= 19) text = text.substr(0, 10) + " " + text.substr(11, 8);
  return text + " +0000 UTC";
}

}  // namespace

Node* Engine::Impl::execute_retry(const ExecuteRequest& request, const ResolvedTemplate& resolved,
                                  const Json& tmpl, const Json& inputs) {
  Node* node = find_node_by_name(request.node_name);
  if (!node) {
    if (!may_start(request) || !parallelism_allows(request)) return nullptr;
    node = &create_node(request.node_name, request.display_name, NodeType::kRetry, Phase::kRunning,
                        request.boundary_id);
    adopt(*node, request);
    node->template_name = resolved.template_ref.is_null() ? resolved.template_name : "";
    node->template_ref = resolved.template_ref;
    node->template_scope = request.context->scope;
    node->inputs = inputs;
  }
  if (node->fulfilled()) return node;
  const std::string retry_name = node->name;
  const Json& strategy = tmpl["retryStrategy"];

  auto run_attempt = [&](size_t index) -> Node* {
    ExecuteRequest attempt = request;
    attempt.node_name = retry_name + "(" + std::to_string(index) + ")";
    attempt.display_name = request.display_name + "(" + std::to_string(index) + ")";
    attempt.attempt = static_cast<int>(index);
    attempt.hooked = false;  // the Retry node carries the hook flag, its attempts are retries
    Node* child = execute_template(attempt);
    if (child) add_child(retry_name, attempt.node_name);
    return find_node_by_name(retry_name);
  };

  const std::vector<std::string> attempts = attempts_of(*node);
  if (attempts.empty()) return run_attempt(0);
  Node& last = status.nodes[attempts.back()];
  if (!last.fulfilled()) return run_attempt(attempts.size() - 1);
  Node& self = *find_node_by_name(retry_name);
  if (last.daemoned) {
    // A daemon's attempt is running and ready: so is the Retry node.
    self.daemoned = true;
    self.pod_ip = last.pod_ip;
    set_phase(self, last.phase);
    return &self;
  }
  if (last.phase == Phase::kSucceeded || last.phase == Phase::kSkipped || last.phase == Phase::kOmitted) {
    self.outputs = last.outputs;
    set_phase(self, last.phase);
    return &self;
  }

  // Shut down or past the workflow's deadline, a failed attempt is the last.
  if (terminating && shutdown != Shutdown::kDeadline) {
    self.outputs = last.outputs;
    set_phase(self, last.phase, std::string("Stopped with strategy '") + shutdown_name() + "'");
    return &self;
  }
  if (workflow_deadline && now >= *workflow_deadline) {
    self.outputs = last.outputs;
    set_phase(self, last.phase, "retry exceeded workflow deadline " + go_time_string(*workflow_deadline));
    return &self;
  }

  std::optional<long long> limit;
  if (strategy.contains("limit")) {
    limit = as_integer(strategy["limit"]);
    if (!limit) {
      set_phase(self, Phase::kError, "retryStrategy.limit '" + strategy["limit"].dump() + "' is not an integer");
      return &self;
    }
  }
  const long long retries_done = static_cast<long long>(attempts.size()) - 1;
  bool retry = policy_allows(string_field(strategy, "retryPolicy"), last);
  if (retry && strategy.contains("expression")) {
    expr::Scope scope = globals;
    scope["lastRetry.exitCode"] =
        last.outputs.is_object() && last.outputs.contains("exitCode") ? string_field(last.outputs, "exitCode") : "-1";
    scope["lastRetry.status"] = to_string(last.phase);
    scope["lastRetry.message"] = last.message;
    Duration took = (last.finished_at ? *last.finished_at : now) - last.started_at;
    scope["lastRetry.duration"] = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(took).count());
    auto verdict = expr::evaluate_expression(string_field(strategy, "expression"), scope);
    retry = verdict && verdict->is_boolean() && verdict->get<bool>();
  }
  if (!retry || (limit && retries_done >= *limit)) {
    self.outputs = last.outputs;
    set_phase(self, last.phase, retry ? "No more retries left" : last.message);
    return &self;
  }

  if (auto backoff = strategy.find("backoff"); backoff != strategy.end() && backoff->is_object()) {
    Duration wait = as_duration(backoff->value("duration", Json("0"))).value_or(Duration(0));
    if (auto factor = backoff->find("factor"); factor != backoff->end()) {
      auto f = as_integer(*factor);
      double multiplier = std::pow(f ? static_cast<double>(*f) : 1.0, static_cast<double>(retries_done));
      wait = Duration(static_cast<long long>(static_cast<double>(wait.count()) * multiplier));
    }
    if (auto cap = backoff->find("cap"); cap != backoff->end()) {
      if (auto c = as_duration(*cap); c && wait > *c) wait = *c;
    }
    if (auto max = backoff->find("maxDuration"); max != backoff->end()) {
      auto m = as_duration(*max);
      if (m && now + wait - self.started_at > *m) {
        self.outputs = last.outputs;
        set_phase(self, last.phase, "Max duration limit exceeded");
        return &self;
      }
    }
    Time due = (last.finished_at ? *last.finished_at : now) + wait;
    if (now < due) {
      timers.insert(due);
      return &self;
    }
  }
  return run_attempt(attempts.size());
}

}  // namespace skiff::engine
