// JSONPath as Argo's jsonpath() offers it: a path of keys and indexes yields
// the value itself; wildcards, slices, unions, recursion and filters yield a
// list of matches.
#include <cctype>
#include <cstdlib>

#include "expr/exprlang.h"
#include "expr/values.h"

namespace skiff::expr::internal {
namespace {

class PathQuery {
 public:
  PathQuery(const Json& root, std::string path) : root_(root), path_(std::move(path)) {}

  Json run() {
    skip_space();
    if (!eat('$')) fail("jsonpath: path must start with '$': " + path_);
    std::vector<const Json*> current = {&root_};
    while (pos_ < path_.size()) current = step(current);
    if (definite_) {
      if (current.empty()) fail("jsonpath: no value at " + path_);
      return *current[0];
    }
    Json out = Json::array();
    for (const Json* v : current) out.push_back(*v);
    return out;
  }

 private:
  bool eat(char c) {
    if (pos_ < path_.size() && path_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void skip_space() {
    while (pos_ < path_.size() && std::isspace(static_cast<unsigned char>(path_[pos_]))) ++pos_;
  }

  std::string name() {
    size_t start = pos_;
    while (pos_ < path_.size() && (std::isalnum(static_cast<unsigned char>(path_[pos_])) || path_[pos_] == '_' || path_[pos_] == '-')) ++pos_;
    if (start == pos_) fail("jsonpath: expected a name at position " + std::to_string(pos_) + " in " + path_);
    return path_.substr(start, pos_ - start);
  }

  static void children(const Json* v, std::vector<const Json*>* out) {
    if (v->is_array() || v->is_object()) {
      for (const auto& item : *v) out->push_back(&item);
    }
  }

  static void descendants(const Json* v, std::vector<const Json*>* out) {
    out->push_back(v);
    if (v->is_array() || v->is_object()) {
      for (const auto& item : *v) descendants(&item, out);
    }
  }

  std::vector<const Json*> by_key(const std::vector<const Json*>& from, const std::string& key, bool strict) {
    std::vector<const Json*> out;
    for (const Json* v : from) {
      if (v->is_object() && v->contains(key)) out.push_back(&(*v)[key]);
      else if (strict && definite_) fail("jsonpath: key '" + key + "' not found");
    }
    return out;
  }

  std::vector<const Json*> step(const std::vector<const Json*>& current) {
    if (eat('.')) {
      if (eat('.')) {
        definite_ = false;
        std::vector<const Json*> all;
        for (const Json* v : current) descendants(v, &all);
        if (pos_ < path_.size() && path_[pos_] == '[') return bracket(all);
        if (eat('*')) {
          std::vector<const Json*> out;
          for (const Json* v : all) children(v, &out);
          return out;
        }
        return by_key(all, name(), false);
      }
      if (eat('*')) {
        definite_ = false;
        std::vector<const Json*> out;
        for (const Json* v : current) children(v, &out);
        return out;
      }
      return by_key(current, name(), true);
    }
    if (pos_ < path_.size() && path_[pos_] == '[') return bracket(current);
    fail("jsonpath: unexpected '" + std::string(1, path_[pos_]) + "' at position " + std::to_string(pos_) + " in " + path_);
  }

  std::vector<const Json*> bracket(const std::vector<const Json*>& current) {
    eat('[');
    skip_space();
    std::vector<const Json*> out;
    if (eat('*')) {
      definite_ = false;
      for (const Json* v : current) children(v, &out);
    } else if (eat('?')) {
      definite_ = false;
      skip_space();
      if (!eat('(')) fail("jsonpath: expected ( after ? in " + path_);
      size_t start = pos_;
      int depth = 1;
      char quote = 0;
      while (pos_ < path_.size() && depth > 0) {
        char c = path_[pos_++];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '(') {
          ++depth;
        } else if (c == ')') {
          --depth;
        }
      }
      if (depth != 0) fail("jsonpath: unclosed filter in " + path_);
      std::string filter = path_.substr(start, pos_ - start - 1);
      for (const Json* v : current) {
        std::vector<const Json*> items;
        children(v, &items);
        for (const Json* item : items) {
          if (filter_matches(filter, *item)) out.push_back(item);
        }
      }
    } else {
      std::vector<std::string> parts;
      std::string part;
      char quote = 0;
      while (pos_ < path_.size() && (quote || path_[pos_] != ']')) {
        char c = path_[pos_++];
        if (quote) {
          if (c == quote) quote = 0;
          part.push_back(c);
        } else if (c == '\'' || c == '"') {
          quote = c;
          part.push_back(c);
        } else if (c == ',') {
          parts.push_back(part);
          part.clear();
        } else if (!std::isspace(static_cast<unsigned char>(c))) {
          part.push_back(c);
        }
      }
      parts.push_back(part);
      if (parts.size() > 1) definite_ = false;
      for (const std::string& p : parts) select(current, p, &out);
    }
    skip_space();
    if (!eat(']')) fail("jsonpath: expected ] in " + path_);
    return out;
  }

  void select(const std::vector<const Json*>& current, const std::string& part, std::vector<const Json*>* out) {
    if (part.size() >= 2 && (part[0] == '\'' || part[0] == '"')) {
      std::string key = part.substr(1, part.size() - 2);
      for (const Json* v : by_key(current, key, true)) out->push_back(v);
      return;
    }
    size_t colon = part.find(':');
    for (const Json* v : current) {
      if (!v->is_array()) {
        if (definite_) fail("jsonpath: cannot index " + go_type_name(*v) + " with " + part);
        continue;
      }
      int64_t n = static_cast<int64_t>(v->size());
      if (colon == std::string::npos) {
        char* end = nullptr;
        int64_t i = std::strtoll(part.c_str(), &end, 10);
        if (part.empty() || *end != '\0') fail("jsonpath: bad index '" + part + "'");
        if (i < 0) i += n;
        if (i < 0 || i >= n) {
          if (definite_) fail("jsonpath: index " + part + " out of range");
          continue;
        }
        out->push_back(&(*v)[static_cast<size_t>(i)]);
        continue;
      }
      definite_ = false;
      std::string a = part.substr(0, colon), b = part.substr(colon + 1);
      size_t colon2 = b.find(':');
      int64_t stride = 1;
      if (colon2 != std::string::npos) {
        stride = b.size() > colon2 + 1 ? std::atoll(b.c_str() + colon2 + 1) : 1;
        b = b.substr(0, colon2);
      }
      if (stride <= 0) fail("jsonpath: bad slice step in '" + part + "'");
      int64_t from = a.empty() ? 0 : std::atoll(a.c_str());
      int64_t to = b.empty() ? n : std::atoll(b.c_str());
      if (from < 0) from = std::max<int64_t>(0, n + from);
      if (to < 0) to = std::max<int64_t>(0, n + to);
      to = std::min(to, n);
      for (int64_t i = from; i < to; i += stride) out->push_back(&(*v)[static_cast<size_t>(i)]);
    }
  }

  bool filter_matches(const std::string& filter, const Json& item);

  const Json& root_;
  std::string path_;
  size_t pos_ = 0;
  bool definite_ = true;
};

// Filter expressions: @.path / $.path operands, literals, comparisons,
// && || ! and parentheses.
class FilterEval {
 public:
  FilterEval(const std::string& text, const Json& item, const Json& root) : text_(text), item_(item), root_(root) {}

  bool run() {
    Json v = disjunction();
    skip();
    if (pos_ != text_.size()) fail("jsonpath: cannot parse filter '" + text_ + "'");
    return truthy(v);
  }

 private:
  void skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(std::string_view s) {
    skip();
    if (text_.compare(pos_, s.size(), s) == 0) {
      pos_ += s.size();
      return true;
    }
    return false;
  }
  static bool truthy(const Json& v) {
    if (v.is_boolean()) return v.get<bool>();
    return !v.is_null() && !(v.is_discarded());
  }

  Json disjunction() {
    Json left = conjunction();
    while (eat("||")) {
      Json right = conjunction();
      left = truthy(left) || truthy(right);
    }
    return left;
  }
  Json conjunction() {
    Json left = comparison();
    while (eat("&&")) {
      Json right = comparison();
      left = truthy(left) && truthy(right);
    }
    return left;
  }
  Json comparison() {
    Json left = operand();
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (!eat(op)) continue;
      Json right = operand();
      std::string o(op);
      if (o == "==") return values_equal(left, right);
      if (o == "!=") return !values_equal(left, right);
      bool numbers = left.is_number() && right.is_number();
      bool strings = left.is_string() && right.is_string();
      if (!numbers && !strings) return false;
      int cmp = numbers ? (as_double(left) < as_double(right) ? -1 : as_double(left) > as_double(right) ? 1 : 0)
                        : left.get<std::string>().compare(right.get<std::string>());
      if (o == "<") return cmp < 0;
      if (o == ">") return cmp > 0;
      if (o == "<=") return cmp <= 0;
      return cmp >= 0;
    }
    return left;
  }
  Json operand() {
    skip();
    if (++depth_ > kMaxTreeDepth) fail("jsonpath: filter nested too deeply");
    Json result;
    if (eat("!")) {
      result = !truthy(operand());
    } else if (eat("(")) {
      result = disjunction();
      if (!eat(")")) fail("jsonpath: unclosed ( in filter '" + text_ + "'");
    } else if (pos_ < text_.size() && (text_[pos_] == '@' || text_[pos_] == '$')) {
      const Json& base = text_[pos_] == '@' ? item_ : root_;
      size_t start = pos_;
      ++pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     std::string_view("._-[]*'\"").find(text_[pos_]) != std::string_view::npos)) {
        ++pos_;
      }
      std::string sub = "$" + text_.substr(start + 1, pos_ - start - 1);
      try {
        result = PathQuery(base, sub).run();
      } catch (const EvalFailure&) {
        result = Json();
      }
    } else if (pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"')) {
      char quote = text_[pos_++];
      size_t end = text_.find(quote, pos_);
      if (end == std::string::npos) fail("jsonpath: unterminated string in filter '" + text_ + "'");
      result = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
    } else if (eat("true")) {
      result = true;
    } else if (eat("false")) {
      result = false;
    } else if (eat("null")) {
      result = Json();
    } else {
      char* end = nullptr;
      double d = std::strtod(text_.c_str() + pos_, &end);
      if (end == text_.c_str() + pos_) fail("jsonpath: cannot parse filter '" + text_ + "'");
      pos_ = static_cast<size_t>(end - text_.c_str());
      result = d;
    }
    --depth_;
    return result;
  }

  const std::string& text_;
  const Json& item_;
  const Json& root_;
  size_t pos_ = 0;
  int depth_ = 0;
};

bool PathQuery::filter_matches(const std::string& filter, const Json& item) {
  return FilterEval(filter, item, root_).run();
}

}  // namespace

Json jsonpath_query(const Json& document, const std::string& path) { return PathQuery(document, path).run(); }

}  // namespace skiff::expr::internal
