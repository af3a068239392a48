// Custom metrics (metrics.prometheus of a template or of the workflow),
// evaluated as Argo's controller does when the emitter completes. The engine
// records what was emitted in the status; the controller keeps the registry.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "engine/internal.h"

namespace skiff::engine {
namespace {

std::string seconds_text(Duration d) {
  char text[64];
  std::snprintf(text, sizeof text, "%f", std::chrono::duration<double>(d).count());
  return text;
}

// A field's text: strings as they are, numbers as written (YAML may give either).
std::string text_of(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string substituted(const std::string& text, const expr::Scope& scope) {
  auto out = expr::substitute(text, scope, expr::Unresolved::kKeep);
  return out ? *out : text;
}

// strconv.ParseFloat, with its error text.
bool parse_float(const std::string& text, double* out, std::string* error) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0]))) {
    *error = "strconv.ParseFloat: parsing \"" + text + "\": invalid syntax";
    return false;
  }
  return true;
}

// What every metric sees before its emitter's own values, as Argo's
// controller starts its metric scope: the globals and zeros.
expr::Scope default_metric_scope(const expr::Scope& globals) {
  expr::Scope scope = globals;
  scope["duration"] = "0";
  scope["status"] = "Pending";
  scope["resourcesDuration.cpu"] = "0";
  scope["resourcesDuration.memory"] = "0";
  return scope;
}

// The variables a template's metrics see: the defaults, then the node's own.
// Only a pod has its resourcesDuration when it completes (other nodes' sums
// are made when the status is written, after the metrics).
expr::Scope node_metric_scope(const expr::Scope& globals, const Node& node) {
  expr::Scope scope = default_metric_scope(globals);
  scope["status"] = to_string(node.phase);
  if (node.finished_at) scope["duration"] = seconds_text(*node.finished_at - node.started_at);
  for (const auto& [name, seconds] : node.resources_duration) {
    scope["resourcesDuration." + name] = std::to_string(seconds);
  }
  if (node.inputs.is_object()) {
    for (const auto& p : node.inputs.value("parameters", Json::array())) {
      if (p.contains("value")) scope["inputs.parameters." + p.value("name", "")] = text_of(p, "value");
    }
  }
  if (node.outputs.is_object()) {
    if (node.outputs.contains("result")) scope["outputs.result"] = text_of(node.outputs, "result");
    if (node.outputs.contains("exitCode")) scope["exitCode"] = text_of(node.outputs, "exitCode");
    for (const auto& p : node.outputs.value("parameters", Json::array())) {
      if (p.contains("value")) scope["outputs.parameters." + p.value("name", "")] = text_of(p, "value");
    }
  }
  return scope;
}

}  // namespace

void Engine::Impl::note_metrics(const Node& node, const Json& tmpl) {
  auto metrics = tmpl.find("metrics");
  if (metrics == tmpl.end() || !metrics->is_object() || node.fulfilled()) return;
  auto list = metrics->find("prometheus");
  if (list == metrics->end() || !list->is_array() || list->empty()) return;
  // Realtime gauges start with their node.
  if (pending_metrics.emplace(node.id, *list).second) {
    RealtimeClock clock{{"duration", {node.started_at, std::nullopt}}, workflow_clock()};
    emit_metrics(*list, node_metric_scope(globals, node), node.id, &clock, true);
  }
}

Engine::Impl::RealtimeClock::value_type Engine::Impl::workflow_clock() const {
  return {"workflow.duration", {status.started_at, status.finished_at}};
}

void Engine::Impl::emit_due_metrics() {
  std::vector<const Node*> due;
  for (const auto& [id, list] : pending_metrics) {
    auto it = status.nodes.find(id);
    if (it != status.nodes.end() && it->second.fulfilled()) due.push_back(&it->second);
  }
  // In the order the nodes finished, as the controller would meet them.
  std::sort(due.begin(), due.end(), [](const Node* a, const Node* b) {
    Time fa = a->finished_at.value_or(a->started_at), fb = b->finished_at.value_or(b->started_at);
    return fa != fb ? fa < fb : a->name < b->name;
  });
  for (const Node* node : due) {
    Json list = std::move(pending_metrics[node->id]);
    pending_metrics.erase(node->id);
    RealtimeClock clock{{"duration", {node->started_at, node->finished_at.value_or(now)}}, workflow_clock()};
    emit_metrics(list, node_metric_scope(globals, *node), node->id, &clock, false);
  }
  auto metrics = spec.find("metrics");
  const bool has_metrics = metrics != spec.end() && metrics->is_object() && metrics->contains("prometheus");
  if (has_metrics && status.started && !workflow_realtime_emitted) {
    workflow_realtime_emitted = true;
    RealtimeClock clock{workflow_clock()};
    emit_metrics((*metrics)["prometheus"], default_metric_scope(globals), "", &clock, true);
  }
  if (!status.finished_at || workflow_metrics_emitted) return;
  workflow_metrics_emitted = true;
  if (!has_metrics) return;
  expr::Scope scope = default_metric_scope(globals);
  scope["workflow.status"] = to_string(status.phase);
  scope["workflow.duration"] = seconds_text(*status.finished_at - status.started_at);
  RealtimeClock clock{workflow_clock()};
  emit_metrics((*metrics)["prometheus"], scope, "", &clock, false);
}

void Engine::Impl::emit_metrics(const Json& list, const expr::Scope& scope, const std::string& node_id,
                                const RealtimeClock* clock, bool realtime_only) {
  if (!list.is_array()) return;
  for (const auto& spec_metric : list) {
    if (!spec_metric.is_object()) continue;
    const Json* gauge = nullptr;
    if (auto g = spec_metric.find("gauge"); g != spec_metric.end() && g->is_object()) gauge = &*g;
    const bool realtime = gauge && gauge->value("realtime", false) == true;
    if (realtime_only && !realtime) continue;
    MetricSample sample;
    sample.node_id = node_id;
    sample.name = substituted(string_field(spec_metric, "name"), scope);
    sample.help = substituted(string_field(spec_metric, "help"), scope);
    for (const auto& label : spec_metric.value("labels", Json::array())) {
      sample.labels.emplace_back(substituted(string_field(label, "key"), scope),
                                 substituted(text_of(label, "value"), scope));
    }
    if (sample.help.empty()) {
      sample.error = "metric '" + sample.name + "' must contain a help string under 'help: ' field";
      status.metrics.push_back(std::move(sample));
      continue;
    }
    const std::string when = substituted(string_field(spec_metric, "when"), scope);
    if (!when.empty()) {
      auto proceed = expr::evaluate_condition(when);
      if (!proceed) {
        // Argo names the workflow here, not the metric.
        sample.error = "unable to compute 'when' clause for metric '" + options.name + "': " + proceed.status().message();
        status.metrics.push_back(std::move(sample));
        continue;
      }
      if (!*proceed) continue;
    }
    if (realtime) {
      // The value names the clock it reads: "{{duration}}" or "{{workflow.duration}}".
      sample.type = "gauge";
      std::string value = text_of(*gauge, "value");
      if (value.size() < 4 || value.rfind("{{", 0) != 0 || value.compare(value.size() - 2, 2, "}}") != 0) {
        sample.error = "could not compute metric '" + sample.name + "': real time metrics can only be used with metric variables";
        status.metrics.push_back(std::move(sample));
        continue;
      }
      value = value.substr(2, value.size() - 4);
      auto running = clock ? clock->find(value) : RealtimeClock::const_iterator{};
      if (!clock || running == clock->end()) {
        sample.error = "could not compute metric '" + sample.name + "': '" + value + "' is not available as a real time metric";
        status.metrics.push_back(std::move(sample));
        continue;
      }
      sample.realtime = true;
      sample.since = running->second.first;
      sample.until = running->second.second;
      sample.value = std::chrono::duration<double>(sample.until.value_or(now) - sample.since).count();
      status.metrics.push_back(std::move(sample));
      continue;
    }
    const Json* body = nullptr;
    for (const char* type : {"gauge", "counter", "histogram"}) {
      auto it = spec_metric.find(type);
      if (it != spec_metric.end() && it->is_object()) {
        sample.type = type;
        body = &*it;
        break;
      }
    }
    if (!body) {
      sample.error = "could not compute metric '" + sample.name + "': metric type is invalid";
      status.metrics.push_back(std::move(sample));
      continue;
    }
    for (const auto& bucket : body->value("buckets", Json::array())) {
      double b = 0;
      std::string ignored;
      if (bucket.is_number()) sample.buckets.push_back(bucket.get<double>());
      else if (bucket.is_string() && parse_float(bucket.get<std::string>(), &b, &ignored)) sample.buckets.push_back(b);
    }
    std::string error;
    if (!parse_float(substituted(text_of(*body, "value"), scope), &sample.value, &error)) {
      sample.error = "could not compute metric '" + sample.name + "': " + error;
      sample.value = 0;
    }
    status.metrics.push_back(std::move(sample));
  }
}

}  // namespace skiff::engine
