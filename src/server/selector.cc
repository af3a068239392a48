// Kubernetes label selectors and the field selectors Argo accepts.
#include "base/strings.h"
#include "server/api.h"

namespace skiff::server {

namespace {

// Splits on commas outside parentheses: "a in (x,y),b" -> ["a in (x,y)", "b"].
std::vector<std::string> top_level_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(current);
  return out;
}

std::string lookup(const Json& values, const std::string& key, bool* found) {
  auto it = values.find(key);
  *found = it != values.end() && !it->is_null();
  if (!*found) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

Result<Selector> Selector::labels(const std::string& text) {
  Selector selector;
  if (trim(text).empty()) return selector;
  for (const std::string& raw : top_level_terms(text)) {
    std::string term(trim(raw));
    if (term.empty()) return invalid_argument("labelSelector \"" + text + "\": empty requirement");
    Term t{};
    size_t pos;
    if (term[0] == '!') {
      t.op = Term::kNotExists;
      t.key = std::string(trim(term.substr(1)));
    } else if ((pos = term.find("!=")) != std::string::npos) {
      t.op = Term::kNotEquals;
      t.key = std::string(trim(term.substr(0, pos)));
      t.values = {std::string(trim(term.substr(pos + 2)))};
    } else if ((pos = term.find("==")) != std::string::npos) {
      t.op = Term::kEquals;
      t.key = std::string(trim(term.substr(0, pos)));
      t.values = {std::string(trim(term.substr(pos + 2)))};
    } else if ((pos = term.find('=')) != std::string::npos) {
      t.op = Term::kEquals;
      t.key = std::string(trim(term.substr(0, pos)));
      t.values = {std::string(trim(term.substr(pos + 1)))};
    } else if ((pos = term.find(" notin ")) != std::string::npos || (pos = term.find(" in ")) != std::string::npos) {
      bool notin = term.compare(pos, 7, " notin ") == 0;
      t.op = notin ? Term::kNotIn : Term::kIn;
      t.key = std::string(trim(term.substr(0, pos)));
      std::string list(trim(term.substr(pos + (notin ? 7 : 4))));
      if (list.size() < 2 || list.front() != '(' || list.back() != ')') {
        return invalid_argument("labelSelector \"" + text + "\": expected a (list) after " +
                                (notin ? "notin" : "in"));
      }
      for (auto& v : split(list.substr(1, list.size() - 2), ',')) t.values.emplace_back(trim(v));
    } else {
      t.op = Term::kExists;
      t.key = term;
    }
    if (t.key.empty() || t.key.find(' ') != std::string::npos) {
      return invalid_argument("labelSelector \"" + text + "\": cannot parse \"" + term + "\"");
    }
    selector.terms_.push_back(std::move(t));
  }
  return selector;
}

Result<Selector> Selector::fields(const std::string& text) {
  Selector selector;
  if (trim(text).empty()) return selector;
  for (const std::string& raw : split(text, ',')) {
    std::string term(trim(raw));
    Term t{};
    size_t pos;
    if ((pos = term.find("!=")) != std::string::npos) {
      t.op = Term::kNotEquals;
      t.key = std::string(trim(term.substr(0, pos)));
      t.values = {std::string(trim(term.substr(pos + 2)))};
    } else if ((pos = term.find("==")) != std::string::npos) {
      t.op = Term::kEquals;
      t.key = std::string(trim(term.substr(0, pos)));
      t.values = {std::string(trim(term.substr(pos + 2)))};
    } else if ((pos = term.find('=')) != std::string::npos) {
      t.op = Term::kEquals;
      t.key = std::string(trim(term.substr(0, pos)));
      t.values = {std::string(trim(term.substr(pos + 1)))};
    } else {
      return invalid_argument("fieldSelector \"" + text + "\": expected field=value or field!=value");
    }
    if (t.key != "metadata.name" && t.key != "metadata.namespace" && t.key != "status.phase" &&
        t.key != "metadata.uid") {
      return invalid_argument("fieldSelector: field label \"" + t.key + "\" not supported");
    }
    selector.terms_.push_back(std::move(t));
  }
  return selector;
}

bool Selector::matches(const Json& values) const {
  for (const Term& t : terms_) {
    bool found = false;
    std::string value = lookup(values, t.key, &found);
    auto in_list = [&] {
      for (const auto& v : t.values) {
        if (v == value) return true;
      }
      return false;
    };
    switch (t.op) {
      case Term::kEquals: if (!found || value != t.values[0]) return false; break;
      case Term::kNotEquals: if (found && value == t.values[0]) return false; break;
      case Term::kIn: if (!found || !in_list()) return false; break;
      case Term::kNotIn: if (found && in_list()) return false; break;
      case Term::kExists: if (!found) return false; break;
      case Term::kNotExists: if (found) return false; break;
    }
  }
  return true;
}

}  // namespace skiff::server
