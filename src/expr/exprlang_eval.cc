// Tree-walking evaluation of expr-lang over JSON values.
#include <algorithm>
#include <cmath>
#include <optional>

#include "expr/dates.h"
#include "expr/exprlang.h"
#include "expr/go_utf8.h"
#include "expr/sprig.h"
#include "expr/values.h"

namespace skiff::expr::internal {
namespace {

constexpr size_t kMaxSteps = 1'000'000;

struct LocatedFailure {
  size_t pos;
  std::string message;
};


class Evaluator {
 public:
  Evaluator(const Json& env, std::string_view source) : env_(env), source_(source) {}

  Json eval(const Node& n) {
    if (++steps_ > kMaxSteps) throw LocatedFailure{n.pos, "expression is too expensive to evaluate"};
    try {
      return eval_node(n);
    } catch (const EvalFailure& e) {
      throw LocatedFailure{n.pos, e.what()};
    }
  }

 private:
  struct Frame {
    const Json* item;
    int64_t index;
    Json acc;
  };

  Json eval_node(const Node& n) {
    switch (n.kind) {
      case NodeKind::kLiteral: return n.value;
      case NodeKind::kArray: {
        Json out = Json::array();
        for (const auto& child : n.children) out.push_back(eval(*child));
        return out;
      }
      case NodeKind::kMap: {
        Json out = Json::object();
        for (size_t i = 0; i + 1 < n.children.size(); i += 2) {
          Json key = eval(*n.children[i]);
          out[key.is_string() ? key.get<std::string>() : to_go_string(key)] = eval(*n.children[i + 1]);
        }
        return out;
      }
      case NodeKind::kIdentifier: return identifier(n);
      case NodeKind::kPointer: return pointer(n);
      case NodeKind::kMember: return member(n);
      case NodeKind::kSlice: return slice(n);
      case NodeKind::kUnary: return unary(n);
      case NodeKind::kBinary: return binary(n);
      case NodeKind::kConditional: {
        Json condition = eval(*n.children[0]);
        if (!condition.is_boolean()) fail("non-bool expression (type " + go_type_name(condition) + ") used as condition");
        return eval(*n.children[condition.get<bool>() ? 1 : 2]);
      }
      case NodeKind::kCall: return call(n);
      case NodeKind::kClosure: return eval(*n.children[0]);
      case NodeKind::kLet: {
        Json value = eval(*n.children[0]);
        variables_.emplace_back(n.name, std::move(value));
        Json result = eval(*n.children[1]);
        variables_.pop_back();
        return result;
      }
    }
    return Json();
  }

  Json identifier(const Node& n) {
    for (auto it = variables_.rbegin(); it != variables_.rend(); ++it) {
      if (it->first == n.name) return it->second;
    }
    if (env_.is_object()) {
      auto it = env_.find(n.name);
      if (it != env_.end()) return *it;
    }
    fail("unknown name " + n.name);
  }

  Json pointer(const Node& n) {
    if (frames_.empty()) fail("cannot use pointer accessor outside predicate");
    const Frame& frame = frames_.back();
    if (n.name.empty()) return *frame.item;
    if (n.name == "index") return int_value(frame.index);
    if (n.name == "acc") return frame.acc;
    fail("unknown pointer #" + n.name);
  }

  // "a?.b.c" yields nil when a is nil: the ?. covers the rest of the chain.
  static bool optional_in_chain(const Node& n) {
    for (const Node* at = &n; at->kind == NodeKind::kMember; at = at->children[0].get()) {
      if (at->optional) return true;
    }
    return false;
  }

  static Json fetch(const Json& from, const Json& key) {
    if (from.is_object()) {
      if (!key.is_string()) fail("cannot fetch " + to_go_string(key) + " from " + go_type_name(from));
      auto it = from.find(key.get<std::string>());
      return it == from.end() ? Json() : *it;
    }
    if (from.is_array() || from.is_string()) {
      if (!key.is_number()) fail("cannot fetch " + to_go_string(key) + " from " + go_type_name(from));
      int64_t length = static_cast<int64_t>(from.is_array() ? from.size() : from.get_ref<const std::string&>().size());
      int64_t index = as_int64(key);
      if (index < 0) index += length;
      if (index < 0 || index >= length) {
        fail("index out of range: " + std::to_string(index) + " (array length is " + std::to_string(length) + ")");
      }
      if (from.is_array()) return from[static_cast<size_t>(index)];
      // Go indexes a string by bytes and gives the byte (uint8), a number.
      return int_value(static_cast<unsigned char>(from.get_ref<const std::string&>()[static_cast<size_t>(index)]));
    }
    fail("cannot fetch " + to_go_string(key) + " from " + go_type_name(from));
  }

  // Resolves "a.b['c']" chains to a value inside the environment without
  // copying it; nullptr when the chain needs full evaluation.
  const Json* env_reference(const Node& n) {
    if (n.kind == NodeKind::kIdentifier) {
      for (const auto& variable : variables_) {
        if (variable.first == n.name) return nullptr;
      }
      if (!env_.is_object()) return nullptr;
      auto it = env_.find(n.name);
      return it == env_.end() ? nullptr : &*it;
    }
    if (n.kind != NodeKind::kMember || n.children[1]->kind != NodeKind::kLiteral || !n.children[1]->value.is_string()) {
      return nullptr;
    }
    const Json* subject = env_reference(*n.children[0]);
    if (subject == nullptr || !subject->is_object()) return nullptr;
    auto it = subject->find(n.children[1]->value.get<std::string>());
    return it == subject->end() ? nullptr : &*it;
  }

  Json member(const Node& n) {
    if (const Json* direct = env_reference(n)) return *direct;
    const Node& base = *n.children[0];
    if (base.kind == NodeKind::kLiteral && base.value.is_string()) {
      // expr-lang's checker knows a literal is a string and refuses to index it.
      Json key = eval(*n.children[1]);
      fail("type string[" + go_type_name(key) + "] is undefined");
    }
    const Json* referenced = env_reference(*n.children[0]);
    Json subject = referenced ? Json() : eval(*n.children[0]);
    if (referenced) {
      // The subject stays in place; only the fetched value is copied.
      if (referenced->is_null() && optional_in_chain(n)) return Json();
      Json key = eval(*n.children[1]);
      return fetch(*referenced, key);
    }
    if (subject.is_null() && optional_in_chain(n)) return Json();
    Json key = eval(*n.children[1]);
    return fetch(subject, key);
  }

  Json slice(const Node& n) {
    Json subject = eval(*n.children[0]);
    Json from_value = eval(*n.children[1]);
    Json to_value = eval(*n.children[2]);
    if (!subject.is_array() && !subject.is_string()) fail("cannot slice " + go_type_name(subject));
    int64_t length = static_cast<int64_t>(subject.is_array() ? subject.size() : subject.get_ref<const std::string&>().size());
    int64_t from = from_value.is_null() ? 0 : as_int64(from_value);
    int64_t to = to_value.is_null() ? length : as_int64(to_value);
    if (from < 0) from = std::max<int64_t>(0, length + from);
    if (to < 0) to = std::max<int64_t>(0, length + to);
    to = std::min(to, length);
    from = std::min(from, to);
    if (subject.is_string()) return subject.get_ref<const std::string&>().substr(static_cast<size_t>(from), static_cast<size_t>(to - from));
    return Json(subject.begin() + from, subject.begin() + to);
  }

  Json unary(const Node& n) {
    Json v = eval(*n.children[0]);
    if (n.name == "not") {
      if (!v.is_boolean()) fail("invalid operation: ! " + go_type_name(v));
      return !v.get<bool>();
    }
    if (is_duration(v) && n.name == "-") return make_duration(wrap_sub(0, duration_of(v)));
    if (!v.is_number()) fail("invalid operation: " + n.name + " " + go_type_name(v));
    if (n.name == "+") return v;
    if (is_int(v)) return int_value(wrap_sub(0, as_int64(v)));
    return -as_double(v);
  }

  Json binary(const Node& n) {
    const std::string& op = n.name;
    if (op == "and" || op == "&&" || op == "or" || op == "||") {
      bool is_and = op == "and" || op == "&&";
      Json left = eval(*n.children[0]);
      if (!left.is_boolean()) fail("invalid operation: " + op + " on " + go_type_name(left));
      if (left.get<bool>() != is_and) return left;
      Json right = eval(*n.children[1]);
      if (!right.is_boolean()) fail("invalid operation: " + op + " on " + go_type_name(right));
      return right;
    }
    if (op == "??") {
      Json left;
      try {
        left = eval(*n.children[0]);
      } catch (const LocatedFailure&) {
        left = Json();
      }
      return left.is_null() ? eval(*n.children[1]) : left;
    }
    Json left = eval(*n.children[0]);
    Json right = eval(*n.children[1]);
    // A time.Month or time.Weekday operand counts as its number, as in Go.
    if (is_named_number(left)) left = int_value(named_number_of(left));
    if (is_named_number(right)) right = int_value(named_number_of(right));
    if (auto dated = date_binary(op, left, right)) return *dated;
    if (op == "==") return values_equal(left, right);
    if (op == "!=") return !values_equal(left, right);
    if (op == "<") return compare(op, left, right) < 0;
    if (op == ">") return compare(op, left, right) > 0;
    if (op == "<=") return compare(op, left, right) <= 0;
    if (op == ">=") return compare(op, left, right) >= 0;
    if (op == "in") return contains_element(right, left);
    if (op == "matches" || op == "contains" || op == "startsWith" || op == "endsWith") {
      if (!left.is_string() || !right.is_string()) fail(type_pair(left, op.c_str(), right));
      const std::string& a = left.get_ref<const std::string&>();
      const std::string& b = right.get_ref<const std::string&>();
      if (op == "matches") return regex_find(b, a);
      if (op == "contains") return a.find(b) != std::string::npos;
      if (op == "startsWith") return a.rfind(b, 0) == 0;
      return a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0;
    }
    if (op == "..") {
      if (!is_int(left) || !is_int(right)) fail(type_pair(left, "..", right));
      int64_t from = as_int64(left), to = as_int64(right);
      Json out = Json::array();
      if (to < from) return out;
      if (static_cast<uint64_t>(to) - static_cast<uint64_t>(from) >= kMaxCollectionSize) {
        check_size(kMaxCollectionSize + 1);
      }
      for (int64_t i = from; i <= to; ++i) out.push_back(int_value(i));
      return out;
    }
    return arithmetic(op, left, right);
  }

  static bool contains_element(const Json& container, const Json& needle) {
    if (container.is_array()) {
      for (const auto& item : container) {
        if (values_equal(item, needle)) return true;
      }
      return false;
    }
    if (container.is_object()) return needle.is_string() && container.contains(needle.get<std::string>());
    if (container.is_null()) return false;
    fail("operator \"in\" not defined on " + go_type_name(container));
  }

  // Created on the first random call: seeding reads the whole environment.
  RandomSource* random_source() {
    if (!random_) {
      auto it = env_.find(kEntropyKey);
      if (it == env_.end() || !it->is_string()) return nullptr;
      random_.emplace(it->get<std::string>() + '\0' + std::string(source_) + '\0' + env_.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    return &*random_;
  }

  Json call(const Node& n) {
    const Node& callee = *n.children[0];
    std::string name;
    bool sprig = false;
    if (callee.kind == NodeKind::kIdentifier) {
      name = callee.name;
    } else if (callee.kind == NodeKind::kMember && callee.children[0]->kind == NodeKind::kIdentifier &&
               callee.children[0]->name == "sprig" && callee.children[1]->value.is_string()) {
      name = callee.children[1]->value.get<std::string>();
      sprig = true;
    } else if (callee.kind == NodeKind::kMember && callee.children[1]->kind == NodeKind::kLiteral &&
               callee.children[1]->value.is_string()) {
      return method_call(n);
    } else {
      fail("method calls are not supported");
    }
    if (!sprig && is_predicate(name)) return predicate_call(name, n);
    Args args;
    for (size_t i = 1; i < n.children.size(); ++i) args.push_back(eval(*n.children[i]));
    if (sprig) {
      if (is_sprig_date_function(name)) return call_sprig_date(name, args, clock_of(env_));
      if (is_sprig_random_function(name)) return call_sprig_random(name, args, random_source());
      if (!is_sprig_function(name)) fail("unknown func sprig." + name);
      return call_sprig(name, args);
    }
    if (is_date_builtin(name)) return call_date_builtin(name, args, clock_of(env_));
    // int(t.Month()) and float(...) read a time.Month or time.Weekday as its number.
    if ((name == "int" || name == "float") && args.size() == 1 && is_named_number(args[0])) {
      args[0] = int_value(named_number_of(args[0]));
    }
    if (is_argo_function(name)) return call_argo_function(name, args);
    if (is_builtin(name)) return call_builtin(name, args);
    fail("unknown func " + name);
  }

  // subject.Method(args): the methods of time.Time and time.Duration values.
  Json method_call(const Node& n) {
    const Node& callee = *n.children[0];
    const std::string& method = callee.children[1]->value.get_ref<const std::string&>();
    Json subject = eval(*callee.children[0]);
    if (subject.is_null() && callee.optional) return Json();
    Args args;
    for (size_t i = 1; i < n.children.size(); ++i) args.push_back(eval(*n.children[i]));
    if (is_time(subject) || is_duration(subject)) return call_time_method(subject, method, args);
    if (is_semver(subject)) return call_semver_method(subject, method, args);
    if (is_named_number(subject) && method == "String" && args.empty()) return Json(named_number_text(subject));
    fail("type " + go_type_name(subject) + " has no method " + method);
  }

  static bool is_predicate(const std::string& name) {
    static const char* kNames[] = {"all", "none", "any", "one", "filter", "map", "count", "sum", "find",
                                   "findIndex", "findLast", "findLastIndex", "groupBy", "sortBy", "reduce"};
    for (const char* k : kNames) {
      if (name == k) return true;
    }
    return false;
  }

  Json run_closure(const Node& closure, const Json& item, int64_t index, const Json& acc = Json()) {
    frames_.push_back(Frame{&item, index, acc});
    Json result;
    try {
      result = eval(closure);
    } catch (...) {
      frames_.pop_back();
      throw;
    }
    frames_.pop_back();
    return result;
  }

  static bool truth(const Json& v, const std::string& name) {
    if (!v.is_boolean()) fail("predicate of " + name + " must return bool, got " + go_type_name(v));
    return v.get<bool>();
  }

  Json predicate_call(const std::string& name, const Node& n) {
    if (n.children.size() < 2) fail("not enough arguments to call " + name);
    Json collection = eval(*n.children[1]);
    if (collection.is_null()) collection = Json::array();
    if (collection.is_object() && (name == "map" || name == "filter" || name == "all" || name == "any")) {
      Json values = Json::array();
      for (const auto& item : collection) values.push_back(item);
      collection = std::move(values);
    }
    if (!collection.is_array()) fail("cannot iterate over " + go_type_name(collection));
    const Node* closure = n.children.size() > 2 ? n.children[2].get() : nullptr;
    if (!closure && name != "count" && name != "sum") fail("not enough arguments to call " + name);
    if (name == "reduce") return reduce(n, collection);
    Json out = name == "groupBy" ? Json::object() : Json::array();
    int64_t matched = 0;
    double sum = 0;
    bool sum_is_int = true;
    int64_t int_sum = 0;
    std::vector<std::pair<Json, Json>> keyed;
    for (size_t i = 0; i < collection.size(); ++i) {
      const Json& item = collection[i];
      int64_t index = static_cast<int64_t>(i);
      Json value = closure ? run_closure(*closure, item, index) : item;
      if (name == "map") {
        out.push_back(std::move(value));
      } else if (name == "filter") {
        if (truth(value, name)) out.push_back(item);
      } else if (name == "all") {
        if (!truth(value, name)) return false;
      } else if (name == "none") {
        if (truth(value, name)) return false;
      } else if (name == "any") {
        if (truth(value, name)) return true;
      } else if (name == "one" || name == "count") {
        if (truth(value, name)) ++matched;
      } else if (name == "sum") {
        if (!value.is_number()) fail("invalid operation: sum of " + go_type_name(value));
        sum += as_double(value);
        int_sum = wrap_add(int_sum, is_int(value) ? as_int64(value) : 0);
        sum_is_int = sum_is_int && is_int(value);
      } else if (name == "find" || name == "findIndex") {
        if (truth(value, name)) return name == "find" ? item : int_value(index);
      } else if (name == "findLast" || name == "findLastIndex") {
        if (truth(value, name)) out = name == "findLast" ? Json::array({item}) : Json::array({int_value(index)});
      } else if (name == "groupBy") {
        std::string key = value.is_string() ? value.get<std::string>() : to_go_string(value);
        out[key].push_back(item);
      } else if (name == "sortBy") {
        keyed.emplace_back(std::move(value), item);
      }
    }
    if (name == "map" || name == "filter" || name == "groupBy") return out;
    if (name == "all" || name == "none") return true;
    if (name == "any") return false;
    if (name == "one") return matched == 1;
    if (name == "count") return int_value(matched);
    if (name == "sum") return sum_is_int ? int_value(int_sum) : Json(sum);
    if (name == "find") return Json();
    if (name == "findIndex") return int_value(-1);
    if (name == "findLast") return out.empty() ? Json() : out[0];
    if (name == "findLastIndex") return out.empty() ? int_value(-1) : out[0];
    bool descending = n.children.size() > 3 && eval(*n.children[3]) == "desc";
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      return descending ? compare(">", a.first, b.first) > 0 : compare("<", a.first, b.first) < 0;
    });
    Json sorted = Json::array();
    for (auto& entry : keyed) sorted.push_back(std::move(entry.second));
    return sorted;
  }

  Json reduce(const Node& n, const Json& collection) {
    bool has_initial = n.children.size() > 3;
    if (collection.empty() && !has_initial) fail("reduce of empty array with no initial value");
    Json acc = has_initial ? eval(*n.children[3]) : collection[0];
    for (size_t i = has_initial ? 0 : 1; i < collection.size(); ++i) {
      acc = run_closure(*n.children[2], collection[i], static_cast<int64_t>(i), acc);
    }
    return acc;
  }

  const Json& env_;
  std::string_view source_;
  std::vector<Frame> frames_;
  std::vector<std::pair<std::string, Json>> variables_;
  size_t steps_ = 0;
  std::optional<RandomSource> random_;
};

}  // namespace

namespace {

// Byte slices of strings may cut a character in two; what leaves the
// evaluator is valid UTF-8, each stray byte U+FFFD as Go's JSON writes it.
Json valid_strings(Json value) {
  if (value.is_string()) return valid_utf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    for (auto& item : value) item = valid_strings(std::move(item));
  } else if (value.is_object()) {
    Json out = Json::object();
    for (auto& [key, item] : value.items()) out[valid_utf8(key)] = valid_strings(std::move(item));
    return out;
  }
  return value;
}

}  // namespace

Result<Json> evaluate_tree(const Node& root, std::string_view source, const Json& env) {
  try {
    return valid_strings(Evaluator(env, source).eval(root));
  } catch (const LocatedFailure& e) {
    return invalid_argument(valid_utf8(located_error(source, e.pos, e.message)));
  } catch (const EvalFailure& e) {
    return invalid_argument(valid_utf8(e.what()));
  } catch (const std::exception& e) {
    return invalid_argument(std::string("expression failed: ") + e.what());
  }
}

}  // namespace skiff::expr::internal
