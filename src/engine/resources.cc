// Argo's resourcesDuration: an indicative cost of each pod, in seconds of a
// base amount of each resource it requested, and the sums Argo reports on
// every other completed node and on the workflow.
//
// For each container: the resource list starts from Argo's defaults (100m
// CPU, 100Mi memory), then takes the limits, then the requests. Each
// resource counts ceil(quantity) base units (Kubernetes' Quantity.Value())
// times the whole seconds the container ran, divided by the resource's
// denominator (100Mi for memory, 10Gi for storage and ephemeral-storage, 1
// otherwise), in integer arithmetic.
//
// The containers are those the template declares and that run for the pod's
// life: the main container (container, script), every container of a
// containerSet, and the sidecars. Init containers run before the time the
// engine observes and are not counted; nor are Argo's own executor
// containers, which do not exist here. The time is the pod's running time:
// from the step's start report to its end.
#include <cctype>
#include <cmath>
#include <map>
#include <unordered_set>

#include "engine/internal.h"

namespace skiff::engine {
namespace {

// Kubernetes' Quantity.Value(): the amount in base units rounded up, or
// nullopt for text that is not a quantity.
std::optional<int64_t> quantity_value(const std::string& text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  __int128 digits = 0;
  int fraction_digits = 0, count = 0;
  bool point = false;
  for (; i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'); ++i) {
    if (text[i] == '.') {
      if (point) return std::nullopt;
      point = true;
      continue;
    }
    if (++count > 18) return std::nullopt;
    digits = digits * 10 + (text[i] - '0');
    if (point) ++fraction_digits;
  }
  if (count == 0) return std::nullopt;
  const std::string suffix = text.substr(i);
  int decimal_exponent = 0, binary_exponent = 0;
  static const std::map<std::string, int> kDecimal = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0}, {"k", 3},
                                                      {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
  static const std::map<std::string, int> kBinary = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                     {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  if (auto d = kDecimal.find(suffix); d != kDecimal.end()) {
    decimal_exponent = d->second;
  } else if (auto b = kBinary.find(suffix); b != kBinary.end()) {
    binary_exponent = b->second;
  } else if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    try {
      size_t used = 0;
      decimal_exponent = std::stoi(suffix.substr(1), &used);
      if (used != suffix.size() - 1) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  decimal_exponent -= fraction_digits;
  if (decimal_exponent > 30 || decimal_exponent < -30) return std::nullopt;
  const long double approx = static_cast<long double>(digits) * std::pow(2.0L, binary_exponent) *
                             std::pow(10.0L, decimal_exponent);
  if (approx > 9e18L) return negative ? INT64_MIN : INT64_MAX;
  __int128 numerator = digits << binary_exponent, denominator = 1;
  for (int e = 0; e < decimal_exponent; ++e) numerator *= 10;
  for (int e = 0; e > decimal_exponent; --e) denominator *= 10;
  __int128 value = numerator / denominator + (numerator % denominator != 0 ? 1 : 0);
  return negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
}

int64_t denominator(const std::string& resource) {
  if (resource == "memory") return 100LL << 20;
  if (resource == "storage" || resource == "ephemeral-storage") return 10LL << 30;
  return 1;
}

// The resources one container counts: defaults, then limits, then requests.
std::map<std::string, int64_t> container_resources(const Json& container) {
  std::map<std::string, int64_t> list = {{"cpu", 1}, {"memory", 100LL << 20}};
  const Json resources = container.is_object() ? container.value("resources", Json::object()) : Json::object();
  for (const char* kind : {"limits", "requests"}) {
    const Json amounts = resources.is_object() ? resources.value(kind, Json::object()) : Json::object();
    if (!amounts.is_object()) continue;
    for (const auto& [name, amount] : amounts.items()) {
      const std::string text = amount.is_string() ? amount.get<std::string>() : amount.dump();
      if (auto value = quantity_value(text)) list[name] = *value;
    }
  }
  return list;
}

}  // namespace

ResourceSeconds pod_resources_duration(const Json& tmpl, Duration ran) {
  std::vector<const Json*> containers;
  for (const char* main : {"container", "script"}) {
    if (auto it = tmpl.find(main); it != tmpl.end() && it->is_object()) containers.push_back(&*it);
  }
  if (auto set = tmpl.find("containerSet"); set != tmpl.end() && set->is_object()) {
    if (auto list = set->find("containers"); list != set->end() && list->is_array()) {
      for (const auto& c : *list) containers.push_back(&c);
    }
  }
  if (auto list = tmpl.find("sidecars"); list != tmpl.end() && list->is_array()) {
    for (const auto& c : *list) containers.push_back(&c);
  }
  // A data template runs in a pod of Argo's own, with the defaults.
  static const Json kDefaultContainer = Json::object();
  if (containers.empty()) containers.push_back(&kDefaultContainer);
  const int64_t seconds = std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(ran).count());
  std::map<std::string, int64_t> total;
  for (const Json* container : containers) {
    for (const auto& [name, value] : container_resources(*container)) total[name] += value * seconds / denominator(name);
  }
  return ResourceSeconds(total.begin(), total.end());
}

Json add_resources_duration(Json sum, const ResourceSeconds& more) {
  if (more.empty()) return sum;
  if (!sum.is_object()) sum = Json::object();
  for (const auto& [name, value] : more) sum[name] = sum.value(name, int64_t{0}) + value;
  return sum;
}

Json resources_duration_json(const ResourceSeconds& seconds) {
  Json out = Json::object();
  for (const auto& [name, value] : seconds) out[name] = value;
  return out;
}

ResourceSeconds resources_duration_of(const Json& object) {
  ResourceSeconds out;
  if (!object.is_object()) return out;
  // nlohmann's objects iterate in key order: the result stays sorted.
  for (const auto& [name, value] : object.items()) {
    if (value.is_number()) out.emplace_back(name, value.get<int64_t>());
  }
  return out;
}

}  // namespace skiff::engine

namespace skiff::engine {

Json workflow_resources_duration(const std::unordered_map<std::string, Node>& nodes) {
  Json sum = Json::object();
  for (const auto& [id, node] : nodes) {
    if (node.type == NodeType::kPod) sum = add_resources_duration(std::move(sum), node.resources_duration);
  }
  return sum;
}

ResourceTotals resources_duration_totals(const std::unordered_map<std::string, Node>& nodes) {
  ResourceTotals totals;
  totals.workflow = workflow_resources_duration(nodes);
  // Every other completed node: the pods it reaches through its children,
  // each once (children lead on to later steps and dependent tasks, so a
  // step group counts what follows it, as in Argo). The walks share a budget
  // so that a huge workflow costs bounded time; past it the remaining nodes
  // go without a sum.
  size_t budget = 4'000'000;
  std::unordered_set<std::string> visited;
  std::vector<const Node*> stack;
  for (const auto& [id, node] : nodes) {
    if (node.type == NodeType::kPod || !node.fulfilled() || node.children.empty() || budget == 0) continue;
    Json sum = Json::object();
    visited.clear();
    stack.assign(1, &node);
    while (!stack.empty() && budget > 0) {
      const Node* at = stack.back();
      stack.pop_back();
      for (const auto& child_id : at->children) {
        if (--budget == 0) break;
        if (!visited.insert(child_id).second) continue;
        auto child = nodes.find(child_id);
        if (child == nodes.end()) continue;
        if (child->second.type == NodeType::kPod) sum = add_resources_duration(std::move(sum), child->second.resources_duration);
        stack.push_back(&child->second);
      }
    }
    if (budget > 0 && !sum.empty()) totals.nodes[id] = std::move(sum);
  }
  return totals;
}

}  // namespace skiff::engine
