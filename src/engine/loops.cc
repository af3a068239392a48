// Loops: withItems, withParam and withSequence expand one step or task into
// one node per item, named "<name>(<index>:<item>)" as Argo names them; and
// the outputs of a loop aggregate into JSON lists in index order.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "engine/internal.h"

namespace skiff::engine {

namespace {

constexpr size_t kMaxLoopItems = 100000;

// Go's %v of an item for the node name; maps as sorted "key:value" pairs.
std::string item_label(const Json& item) {
  if (item.is_object()) {
    std::vector<std::string> pairs;
    for (const auto& [k, v] : item.items()) pairs.push_back(k + ":" + expr::format_go_value(v));
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (size_t i = 0; i < pairs.size(); ++i) out += (i ? "," : "") + pairs[i];
    return out;
  }
  return expr::format_go_value(item);
}

LoopItem make_item(const Json& item) {
  LoopItem out;
  out.label = item_label(item);
  if (item.is_object()) {
    out.vars["item"] = expr::format_go_json(item);
    for (const auto& [k, v] : item.items()) out.vars["item." + k] = v.is_string() ? v.get<std::string>() : expr::format_go_value(v);
  } else if (item.is_array()) {
    out.vars["item"] = expr::format_go_json(item);
  } else {
    out.vars["item"] = item.is_string() ? item.get<std::string>() : expr::format_go_value(item);
  }
  return out;
}

Result<long long> sequence_number(const Json& seq, const char* key, bool* present) {
  *present = seq.contains(key);
  if (!*present) return 0LL;
  const Json& v = seq[key];
  std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  try {
    size_t used = 0;
    long long n = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return n;
  } catch (const std::exception&) {
    return invalid_argument(std::string("withSequence.") + key + " '" + text + "' is not an integer");
  }
}

// Go's fmt for one integer verb (%d, %03d, %x, %X, %o).
std::string format_sequence(const std::string& format, long long value) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < format.size() && std::string_view("+-# 0123456789.").find(format[j]) != std::string_view::npos) ++j;
    if (j >= format.size()) {
      out += format.substr(i);
      break;
    }
    char verb = format[j];
    std::string spec = format.substr(i, j - i);
    char buf[128];
    if (verb == 'd' || verb == 'x' || verb == 'X' || verb == 'o' || verb == 'v') {
      std::string c_format = spec + "ll" + (verb == 'v' ? 'd' : verb);
      std::snprintf(buf, sizeof buf, c_format.c_str(), value);
      out += buf;
    } else {
      out += "%!" + std::string(1, verb) + "(int=" + std::to_string(value) + ")";
    }
    i = j;
  }
  return out;
}

}  // namespace

Result<std::optional<std::vector<LoopItem>>> expand_loop(const Json& holder) {
  std::vector<LoopItem> items;
  if (auto with = holder.find("withItems"); with != holder.end()) {
    if (!with->is_array()) return invalid_argument("withItems must be a list");
    if (with->size() > kMaxLoopItems) return resource_exhausted("withItems has more than 100000 items");
    for (const auto& item : *with) items.push_back(make_item(item));
    return std::optional(std::move(items));
  }
  if (auto with = holder.find("withParam"); with != holder.end()) {
    std::string text = with->is_string() ? with->get<std::string>() : with->dump();
    auto parsed = expr::parse_json(text);
    Json list = parsed.is_ok() ? std::move(*parsed) : Json();
    if (!list.is_array()) {
      // A hostile value can be megabytes long: the message quotes its start.
      constexpr size_t kQuoted = 256;
      std::string quoted = text.size() > kQuoted ? text.substr(0, kQuoted) + "..." : text;
      // Argo's message, plus the reason when it is a limit of ours.
      std::string why = parsed.is_ok() || parsed.status().message() == "invalid JSON" ? "" : " (" + parsed.status().message() + ")";
      return invalid_argument("withParam value could not be parsed as a JSON list: " + quoted + why);
    }
    if (list.size() > kMaxLoopItems) return resource_exhausted("withParam has more than 100000 items");
    for (const auto& item : list) items.push_back(make_item(item));
    return std::optional(std::move(items));
  }
  if (auto with = holder.find("withSequence"); with != holder.end()) {
    bool has_start, has_end, has_count;
    auto start = sequence_number(*with, "start", &has_start);
    auto end = sequence_number(*with, "end", &has_end);
    auto count = sequence_number(*with, "count", &has_count);
    for (const auto* r : {&start, &end, &count}) {
      if (!r->is_ok()) return r->status();
    }
    long long first = *start, last;
    if (has_end) {
      last = *end;
    } else if (has_count) {
      if (*count == 0) return std::optional(std::move(items));
      if (*count < 0) return invalid_argument("withSequence.count must not be negative");
      if (*count > static_cast<long long>(kMaxLoopItems)) return resource_exhausted("withSequence has more than 100000 items");
      if (__builtin_add_overflow(first, *count - 1, &last)) {
        return invalid_argument("withSequence.start + count is out of range");
      }
    } else {
      return invalid_argument("neither end nor count was specified in withSequence");
    }
    // In unsigned arithmetic: the span of two extreme 64-bit values overflows.
    const auto ufirst = static_cast<unsigned long long>(first), ulast = static_cast<unsigned long long>(last);
    unsigned long long span = first <= last ? ulast - ufirst : ufirst - ulast;
    if (span >= kMaxLoopItems) return resource_exhausted("withSequence has more than 100000 items");
    std::string format = string_field(*with, "format");
    if (format.empty()) format = "%d";
    for (long long i = first;; i += first <= last ? 1 : -1) {
      items.push_back(make_item(Json(format_sequence(format, i))));
      if (i == last) break;
    }
    return std::optional(std::move(items));
  }
  return std::optional<std::vector<LoopItem>>();
}

Result<Json> instantiate(const Json& holder, const LoopItem& item) {
  Json out = holder;
  out.erase("withItems");
  out.erase("withParam");
  out.erase("withSequence");
  SKIFF_RETURN_IF_ERROR(expr::substitute_json(out, item.vars, expr::Unresolved::kKeep));
  return out;
}

std::string iteration_name(const std::string& base, size_t index, const LoopItem& item) {
  return base + "(" + std::to_string(index) + ":" + item.label + ")";
}

std::vector<std::string> iteration_ids(const std::unordered_map<std::string, Node>& nodes, const Node& parent,
                                       const std::string& base) {
  std::vector<std::pair<long, std::string>> found;
  const std::string prefix = base + "(";
  for (const auto& id : parent.children) {
    auto it = nodes.find(id);
    if (it == nodes.end() || it->second.name.compare(0, prefix.size(), prefix) != 0) continue;
    found.emplace_back(std::strtol(it->second.name.c_str() + prefix.size(), nullptr, 10), id);
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

void Engine::Impl::add_loop_to_scope(expr::Scope& scope, const std::string& prefix,
                                     const std::vector<std::string>& iteration_ids) const {
  Json results = Json::array();
  Json param_maps = Json::array();
  std::map<std::string, Json> per_name;
  for (const auto& id : iteration_ids) {
    auto it = status.nodes.find(id);
    if (it == status.nodes.end()) continue;
    const Node* node = &it->second;
    if (node->type == NodeType::kRetry) {
      if (const Node* last = last_attempt(*node)) node = last;
    }
    if (node->phase != Phase::kSucceeded || !node->outputs.is_object()) continue;
    const Json& outputs = node->outputs;
    if (auto params = outputs.find("parameters"); params != outputs.end() && params->is_array() && !params->empty()) {
      Json map = Json::object();
      for (const auto& p : *params) {
        std::string name = string_field(p, "name");
        map[name] = string_field(p, "value");
        if (!per_name.count(name)) per_name[name] = Json::array();
        per_name[name].push_back(string_field(p, "value"));
      }
      param_maps.push_back(std::move(map));
    }
    if (auto r = outputs.find("result"); r != outputs.end() && r->is_string()) {
      // A result that is JSON joins the list as JSON, else as a string.
      auto parsed = expr::parse_json(r->get<std::string>());
      results.push_back(parsed.is_ok() ? std::move(*parsed) : Json(r->get<std::string>()));
    }
  }
  scope[prefix + ".outputs.result"] = expr::format_go_json(results);
  scope[prefix + ".outputs.parameters"] = expr::format_go_json(param_maps);
  for (const auto& [name, values] : per_name) scope[prefix + ".outputs.parameters." + name] = expr::format_go_json(values);
}

}  // namespace skiff::engine
