// One pass over the YAML tree that both converts to JSON and checks every
// key and value against the schema, so that validation errors carry the
// exact line of the offending key.
#include "spec/decode.h"

#include <unordered_map>

namespace skiff::spec::detail {

using schema::FieldType;
using schema::Kind;
using schema::TypeDef;

namespace {

// A value for an element the document wrote as null (`- ` or `key:` in a
// list or map), matching the zero value Go would decode.
Json zero_value(const FieldType* type) {
  switch (type->kind) {
    case Kind::kString:
    case Kind::kAnyString: return "";
    case Kind::kObject:
    case Kind::kMap: return Json::object();
    case Kind::kArray: return Json::array();
    default: return nullptr;
  }
}

std::string describe(const YamlNode& node) {
  if (node.is_map()) return "object";
  if (node.is_sequence()) return "array";
  if (node.is_null()) return "null";
  std::string text = node.text;
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  Json quoted = text;
  return (node.quoted ? "string " : "value ") + quoted.dump();
}

}  // namespace

Json Decoder::decode(const YamlNode& document, const TypeDef* root, SourceMap* positions) {
  positions_ = positions;
  pointer_.clear();
  FieldType root_type{Kind::kObject, root, nullptr};
  return convert(document, &root_type, 0);
}

void Decoder::add_error(const YamlNode& node, std::string_view pointer, const std::string& message) {
  if (errors_.size() > limits_.max_errors) return;
  if (errors_.size() == limits_.max_errors) {
    errors_.push_back(file_ + ": too many errors, stopped after " + std::to_string(limits_.max_errors));
    return;
  }
  Location where{file_, node.line, node.column};
  std::string path = field_path(pointer);
  errors_.push_back(where.to_string() + ": " + (path.empty() ? "" : path + ": ") + message);
}

void Decoder::record(const YamlNode& node) {
  if (!positions_) return;
  if (node.line > 0) positions_->add(pointer_, node.line, node.column);
}

void Decoder::push_key(std::string_view key) {
  pointer_.push_back('/');
  for (char c : key) {
    if (c == '~') pointer_ += "~0";
    else if (c == '/') pointer_ += "~1";
    else pointer_.push_back(c);
  }
}

// Counts one more value; false (with one error) once the limit is reached.
bool Decoder::count_value(const YamlNode& node) {
  if (exhausted_) return false;
  if (++values_ > limits_.max_values) {
    exhausted_ = true;
    add_error(node, pointer_,
              "document too large: more than " + std::to_string(limits_.max_values) +
                  " values after expanding aliases");
    return false;
  }
  return true;
}

void Decoder::type_error(const YamlNode& node, Kind expected) {
  add_error(node, pointer_,
            "cannot unmarshal " + describe(node) + " into " + schema::kind_name(expected));
}

Json Decoder::convert(const YamlNode& node, const FieldType* type, int depth) {
  if (!count_value(node)) return nullptr;
  if (depth > limits_.max_depth) {
    exhausted_ = true;
    add_error(node, pointer_, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    return nullptr;
  }
  record(node);
  switch (type->kind) {
    case Kind::kObject:
      if (!node.is_map()) break;
      return convert_object(node, type->object, depth + 1);
    case Kind::kMap:
      if (!node.is_map()) break;
      return convert_map(node, type->element, depth + 1);
    case Kind::kArray:
      if (!node.is_sequence()) break;
      return convert_array(node, type->element, depth + 1);
    case Kind::kAny:
      return convert_untyped(node, depth + 1);
    default:
      if (!node.is_scalar()) break;
      return convert_scalar(node, type->kind);
  }
  type_error(node, type->kind);
  return nullptr;
}

Json Decoder::convert_object(const YamlNode& node, const TypeDef* type, int depth) {
  Json out = Json::object();
  size_t mark = pointer_.size();
  for (const Entry& e : entries(node, depth)) {
    const std::string& name = e.key->text;
    push_key(name);
    // A value is located at its key: for a block value that is the line a
    // reader looks for ("spec:"), not the line below it.
    record(*e.key);
    if (const FieldType* field = type->field(name)) {
      // Go leaves a field written as null at its zero value, which is then
      // omitted; do the same rather than store null in a typed field.
      if (!e.value->is_null() || field->kind == Kind::kAny) {
        Json value = convert(*e.value, field, depth);
        if (!value.is_null() || field->kind == Kind::kAny) out[name] = std::move(value);
      }
    } else {
      add_error(*e.key, pointer_, "unknown field \"" + name + "\"");
    }
    pointer_.resize(mark);
    if (exhausted_) break;
  }
  return out;
}

Json Decoder::convert_map(const YamlNode& node, const FieldType* element, int depth) {
  Json out = Json::object();
  size_t mark = pointer_.size();
  for (const Entry& e : entries(node, depth)) {
    const std::string& name = e.key->text;
    push_key(name);
    record(*e.key);
    if (e.value->is_null() && element->kind != Kind::kAny) {
      out[name] = zero_value(element);
    } else {
      out[name] = convert(*e.value, element, depth);
    }
    pointer_.resize(mark);
    if (exhausted_) break;
  }
  return out;
}

Json Decoder::convert_array(const YamlNode& node, const FieldType* element, int depth) {
  Json out = Json::array();
  size_t mark = pointer_.size();
  size_t index = 0;
  for (const YamlNode* item : node.children) {
    push_key(std::to_string(index++));
    if (item->is_null() && element->kind != Kind::kAny) {
      record(*item);
      out.push_back(zero_value(element));
    } else {
      out.push_back(convert(*item, element, depth));
    }
    pointer_.resize(mark);
    if (exhausted_) break;
  }
  return out;
}

Json Decoder::convert_scalar(const YamlNode& node, Kind kind) {
  const std::string& text = node.text;
  bool quoted = node.quoted;
  switch (kind) {
    case Kind::kString:
    case Kind::kAnyString:
      return text;
    case Kind::kIntOrString: {
      long long i;
      if (!quoted && parse_int_scalar(text, &i)) return i;
      return text;
    }
    case Kind::kInt: {
      long long i;
      double d;
      if (!quoted && parse_int_scalar(text, &i)) return i;
      // sigs.k8s.io/yaml turns a whole float (3.0) into an int for int fields.
      if (!quoted && parse_float_scalar(text, &d) && d == static_cast<double>(static_cast<long long>(d))) {
        return static_cast<long long>(d);
      }
      break;
    }
    case Kind::kNumber: {
      long long i;
      double d;
      if (!quoted && parse_int_scalar(text, &i)) return i;
      if (!quoted && parse_float_scalar(text, &d)) return d;
      break;
    }
    case Kind::kBool: {
      bool b;
      if (!quoted && parse_bool_scalar(text, &b)) return b;
      break;
    }
    default:
      break;
  }
  type_error(node, kind);
  return nullptr;
}

Json Decoder::convert_untyped(const YamlNode& node, int depth) {
  if (node.is_map()) {
    static const FieldType any{Kind::kAny, nullptr, nullptr};
    return convert_map(node, &any, depth);
  }
  if (node.is_sequence()) {
    static const FieldType any{Kind::kAny, nullptr, nullptr};
    return convert_array(node, &any, depth);
  }
  const std::string& text = node.text;
  if (node.quoted) return text;
  bool b;
  long long i;
  double d;
  if (is_null_scalar(text)) return nullptr;
  if (parse_bool_scalar(text, &b)) return b;
  if (parse_int_scalar(text, &i)) return i;
  if (parse_float_scalar(text, &d)) return d;
  return text;
}

std::vector<Decoder::Entry> Decoder::entries(const YamlNode& map, int depth) {
  std::vector<Entry> out;
  out.reserve(map.children.size() / 2);
  // Go's YAML reader (outside strict mode, which `argo submit` uses) lets a
  // repeated key replace the earlier value; published examples rely on it.
  // Most mappings have a handful of keys: a linear scan beats hashing them.
  std::unordered_map<std::string_view, size_t> index;
  bool small = map.children.size() <= 32;
  auto find_or_add = [&](std::string_view key) -> std::pair<size_t, bool> {
    if (small) {
      for (size_t k = 0; k < out.size(); ++k) {
        if (out[k].key->text == key) return {k, false};
      }
      return {out.size(), true};
    }
    auto [slot, inserted] = index.emplace(key, out.size());
    return {slot->second, inserted};
  };
  bool has_merge = false;
  for (size_t i = 0; i + 1 < map.children.size(); i += 2) {
    const YamlNode* key = map.children[i];
    const YamlNode* value = map.children[i + 1];
    if (key->merge_key) {
      has_merge = true;
      continue;
    }
    if (!key->is_scalar()) {
      add_error(*key, pointer_, "mapping keys must be strings, not " + describe(*key));
      continue;
    }
    auto [slot, inserted] = find_or_add(key->text);
    if (inserted) {
      out.push_back(Entry{key, value});
    } else {
      out[slot].value = value;
    }
  }
  if (!has_merge) return out;
  std::vector<Entry> merged;
  for (size_t i = 0; i + 1 < map.children.size(); i += 2) {
    if (map.children[i]->merge_key) collect_merged(*map.children[i + 1], &merged, depth + 1);
  }
  for (const Entry& e : merged) {
    if (find_or_add(e.key->text).second) out.push_back(e);
  }
  return out;
}

void Decoder::collect_merged(const YamlNode& source, std::vector<Entry>* out, int depth) {
  if (!count_value(source)) return;
  if (depth > limits_.max_depth) {
    exhausted_ = true;
    add_error(source, pointer_, "merge keys nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    return;
  }
  if (source.is_sequence()) {
    for (const YamlNode* item : source.children) {
      if (!item->is_map()) {
        add_error(*item, pointer_, "a merge key (<<) needs a mapping or a list of mappings");
        continue;
      }
      collect_merged(*item, out, depth + 1);
      if (exhausted_) return;
    }
    return;
  }
  if (!source.is_map()) {
    add_error(source, pointer_, "a merge key (<<) needs a mapping or a list of mappings");
    return;
  }
  for (const Entry& e : entries(source, depth + 1)) {
    if (!count_value(*e.key)) return;
    out->push_back(e);
  }
}

}  // namespace skiff::spec::detail
