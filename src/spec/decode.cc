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

bool is_merge_key(const YAML::Node& key) {
  if (!key.IsScalar() || key.Scalar() != "<<") return false;
  return key.Tag() == "?" || key.Tag() == "tag:yaml.org,2002:merge";
}

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

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "object";
  if (node.IsSequence()) return "array";
  if (node.IsNull()) return "null";
  std::string text = node.Scalar();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  Json quoted = text;
  return (is_quoted(node) ? "string " : "value ") + quoted.dump();
}

}  // namespace

Json Decoder::decode(const YAML::Node& document, const TypeDef* root, SourceMap* positions) {
  positions_ = positions;
  pointer_.clear();
  FieldType root_type{Kind::kObject, root, nullptr};
  return convert(document, &root_type, 0);
}

void Decoder::add_error(const YAML::Node& node, std::string_view pointer, const std::string& message) {
  if (errors_.size() > limits_.max_errors) return;
  if (errors_.size() == limits_.max_errors) {
    errors_.push_back(file_ + ": too many errors, stopped after " + std::to_string(limits_.max_errors));
    return;
  }
  Location where{file_, 0, 0};
  YAML::Mark mark = node.Mark();
  if (!mark.is_null()) where = Location{file_, mark.line + 1, mark.column + 1};
  std::string path = field_path(pointer);
  errors_.push_back(where.to_string() + ": " + (path.empty() ? "" : path + ": ") + message);
}

void Decoder::record(const YAML::Node& node) {
  if (!positions_) return;
  YAML::Mark mark = node.Mark();
  if (!mark.is_null()) positions_->add(pointer_, mark.line + 1, mark.column + 1);
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
bool Decoder::count_value(const YAML::Node& node) {
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

void Decoder::type_error(const YAML::Node& node, Kind expected) {
  add_error(node, pointer_,
            "cannot unmarshal " + describe(node) + " into " + schema::kind_name(expected));
}

Json Decoder::convert(const YAML::Node& node, const FieldType* type, int depth) {
  if (!count_value(node)) return nullptr;
  if (depth > limits_.max_depth) {
    exhausted_ = true;
    add_error(node, pointer_, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    return nullptr;
  }
  record(node);
  switch (type->kind) {
    case Kind::kObject:
      if (!node.IsMap()) break;
      return convert_object(node, type->object, depth + 1);
    case Kind::kMap:
      if (!node.IsMap()) break;
      return convert_map(node, type->element, depth + 1);
    case Kind::kArray:
      if (!node.IsSequence()) break;
      return convert_array(node, type->element, depth + 1);
    case Kind::kAny:
      return convert_untyped(node, depth + 1);
    default:
      if (!node.IsScalar()) break;
      return convert_scalar(node, type->kind);
  }
  type_error(node, type->kind);
  return nullptr;
}

Json Decoder::convert_object(const YAML::Node& node, const TypeDef* type, int depth) {
  Json out = Json::object();
  size_t mark = pointer_.size();
  for (const Entry& e : entries(node, depth)) {
    const std::string& name = e.key.Scalar();
    push_key(name);
    // A value is located at its key: for a block value that is the line a
    // reader looks for ("spec:"), not the line below it.
    record(e.key);
    if (const FieldType* field = type->field(name)) {
      // Go leaves a field written as null at its zero value, which is then
      // omitted; do the same rather than store null in a typed field.
      if (!e.value.IsNull() || field->kind == Kind::kAny) {
        Json value = convert(e.value, field, depth);
        if (!value.is_null() || field->kind == Kind::kAny) out[name] = std::move(value);
      }
    } else {
      add_error(e.key, pointer_, "unknown field \"" + name + "\"");
    }
    pointer_.resize(mark);
    if (exhausted_) break;
  }
  return out;
}

Json Decoder::convert_map(const YAML::Node& node, const FieldType* element, int depth) {
  Json out = Json::object();
  size_t mark = pointer_.size();
  for (const Entry& e : entries(node, depth)) {
    const std::string& name = e.key.Scalar();
    push_key(name);
    record(e.key);
    if (e.value.IsNull() && element->kind != Kind::kAny) {
      out[name] = zero_value(element);
    } else {
      out[name] = convert(e.value, element, depth);
    }
    pointer_.resize(mark);
    if (exhausted_) break;
  }
  return out;
}

Json Decoder::convert_array(const YAML::Node& node, const FieldType* element, int depth) {
  Json out = Json::array();
  size_t mark = pointer_.size();
  size_t index = 0;
  for (const YAML::Node& item : node) {
    push_key(std::to_string(index++));
    if (item.IsNull() && element->kind != Kind::kAny) {
      record(item);
      out.push_back(zero_value(element));
    } else {
      out.push_back(convert(item, element, depth));
    }
    pointer_.resize(mark);
    if (exhausted_) break;
  }
  return out;
}

Json Decoder::convert_scalar(const YAML::Node& node, Kind kind) {
  const std::string& text = node.Scalar();
  bool quoted = is_quoted(node);
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

Json Decoder::convert_untyped(const YAML::Node& node, int depth) {
  if (node.IsMap()) {
    static const FieldType any{Kind::kAny, nullptr, nullptr};
    return convert_map(node, &any, depth);
  }
  if (node.IsSequence()) {
    static const FieldType any{Kind::kAny, nullptr, nullptr};
    return convert_array(node, &any, depth);
  }
  if (!node.IsScalar()) return nullptr;
  const std::string& text = node.Scalar();
  if (is_quoted(node)) return text;
  bool b;
  long long i;
  double d;
  if (is_null_scalar(text)) return nullptr;
  if (parse_bool_scalar(text, &b)) return b;
  if (parse_int_scalar(text, &i)) return i;
  if (parse_float_scalar(text, &d)) return d;
  return text;
}

std::vector<Decoder::Entry> Decoder::entries(const YAML::Node& map, int depth) {
  std::vector<Entry> out;
  out.reserve(map.size());
  // Go's YAML reader (outside strict mode, which `argo submit` uses) lets a
  // repeated key replace the earlier value; published examples rely on it.
  std::unordered_map<std::string, size_t> index;
  bool has_merge = false;
  // Copies, not references: yaml-cpp's iterators hand out temporaries.
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Node key = it->first;
    if (is_merge_key(key)) {
      has_merge = true;
      continue;
    }
    if (!key.IsScalar()) {
      add_error(key, pointer_, "mapping keys must be strings, not " + describe(key));
      continue;
    }
    auto [slot, inserted] = index.emplace(key.Scalar(), out.size());
    if (inserted) {
      out.push_back(Entry{std::move(key), it->second});
    } else {
      out[slot->second].value = it->second;
    }
  }
  if (!has_merge) return out;
  std::vector<Entry> merged;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (is_merge_key(it->first)) collect_merged(it->second, &merged, depth + 1);
  }
  for (Entry& e : merged) {
    if (index.emplace(e.key.Scalar(), out.size()).second) out.push_back(std::move(e));
  }
  return out;
}

void Decoder::collect_merged(const YAML::Node& source, std::vector<Entry>* out, int depth) {
  if (!count_value(source)) return;
  if (depth > limits_.max_depth) {
    exhausted_ = true;
    add_error(source, pointer_, "merge keys nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    return;
  }
  if (source.IsSequence()) {
    for (const YAML::Node& item : source) {
      if (!item.IsMap()) {
        add_error(item, pointer_, "a merge key (<<) needs a mapping or a list of mappings");
        continue;
      }
      collect_merged(item, out, depth + 1);
      if (exhausted_) return;
    }
    return;
  }
  if (!source.IsMap()) {
    add_error(source, pointer_, "a merge key (<<) needs a mapping or a list of mappings");
    return;
  }
  for (Entry& e : entries(source, depth + 1)) {
    if (!count_value(e.key)) return;
    out->push_back(std::move(e));
  }
}

}  // namespace skiff::spec::detail
