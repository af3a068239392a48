#include "spec/yaml_tree.h"

#include <unordered_map>

#include <yaml.h>

#include "spec/decode.h"

namespace skiff::spec::detail {
namespace {

// Owns a libyaml parser and the current event so that every exit path
// releases them.
class EventReader {
 public:
  explicit EventReader(std::string_view text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~EventReader() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  bool next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = yaml_parser_parse(&parser_, &event_) != 0;
    return has_event_;
  }
  const yaml_event_t& event() const { return event_; }

  Status error(const std::string& file) const {
    std::string problem = parser_.problem ? parser_.problem : "cannot parse";
    if (parser_.context) problem += " " + std::string(parser_.context);
    Location where{file, static_cast<int>(parser_.problem_mark.line) + 1,
                   static_cast<int>(parser_.problem_mark.column) + 1};
    return invalid_argument(where.to_string() + ": invalid YAML: " + problem);
  }

 private:
  yaml_parser_t parser_;
  yaml_event_t event_;
  bool has_event_ = false;
};

std::string_view to_view(const yaml_char_t* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

void set_mark(YamlNode* node, const yaml_mark_t& mark) {
  node->line = static_cast<int>(mark.line) + 1;
  node->column = static_cast<int>(mark.column) + 1;
}

void fill_scalar(YamlNode* node, const yaml_event_t& e) {
  node->text.assign(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
  std::string_view tag = to_view(e.data.scalar.tag);
  bool plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  node->quoted = !plain || tag == "tag:yaml.org,2002:str";
  bool untagged = tag.empty();
  node->merge_key = (plain && untagged && node->text == "<<") || tag == "tag:yaml.org,2002:merge";
  bool null = (plain && untagged && is_null_scalar(node->text)) || tag == "tag:yaml.org,2002:null";
  node->type = null ? YamlNode::Type::kNull : YamlNode::Type::kScalar;
}

}  // namespace

Status parse_yaml(std::string_view text, const std::string& file, YamlStream* out) {
  EventReader reader(text);
  std::unordered_map<std::string, const YamlNode*> anchors;
  std::vector<YamlNode*> open;  // containers being filled, innermost last
  const YamlNode* root = nullptr;

  auto attach = [&](const YamlNode* node) {
    if (open.empty()) {
      root = node;
    } else {
      open.back()->children.push_back(node);
    }
  };
  auto remember = [&](const yaml_char_t* anchor, const YamlNode* node) {
    if (anchor) anchors[std::string(to_view(anchor))] = node;
  };

  while (true) {
    if (!reader.next()) return reader.error(file);
    const yaml_event_t& e = reader.event();
    switch (e.type) {
      case YAML_STREAM_END_EVENT:
        return Status::ok();
      case YAML_DOCUMENT_START_EVENT:
        root = nullptr;
        // Anchors do not reach across documents.
        anchors.clear();
        break;
      case YAML_DOCUMENT_END_EVENT:
        out->documents.push_back(root);
        break;
      case YAML_SCALAR_EVENT: {
        YamlNode* node = out->add();
        set_mark(node, e.start_mark);
        fill_scalar(node, e);
        remember(e.data.scalar.anchor, node);
        attach(node);
        break;
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors.find(std::string(to_view(e.data.alias.anchor)));
        if (it == anchors.end()) {
          Location where{file, static_cast<int>(e.start_mark.line) + 1, static_cast<int>(e.start_mark.column) + 1};
          return invalid_argument(where.to_string() + ": invalid YAML: unknown anchor \"" +
                                  std::string(to_view(e.data.alias.anchor)) + "\"");
        }
        attach(it->second);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        YamlNode* node = out->add();
        set_mark(node, e.start_mark);
        bool map = e.type == YAML_MAPPING_START_EVENT;
        node->type = map ? YamlNode::Type::kMap : YamlNode::Type::kSequence;
        remember(map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor, node);
        attach(node);
        open.push_back(node);
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        open.pop_back();
        break;
      default:
        break;
    }
  }
}

bool json_to_yaml_tree(const nlohmann::json& value, int max_depth, YamlStream* out) {
  // Iterative would be overkill: max_depth bounds the recursion.
  struct Builder {
    YamlStream* out;
    int max_depth;
    const YamlNode* build(const nlohmann::json& v, int depth) {
      if (depth > max_depth) return nullptr;
      YamlNode* node = out->add();
      switch (v.type()) {
        case nlohmann::json::value_t::object:
          node->type = YamlNode::Type::kMap;
          for (auto it = v.begin(); it != v.end(); ++it) {
            YamlNode* key = out->add();
            key->type = YamlNode::Type::kScalar;
            key->quoted = true;
            key->text = it.key();
            const YamlNode* child = build(it.value(), depth + 1);
            if (!child) return nullptr;
            node->children.push_back(key);
            node->children.push_back(child);
          }
          break;
        case nlohmann::json::value_t::array:
          node->type = YamlNode::Type::kSequence;
          for (const auto& item : v) {
            const YamlNode* child = build(item, depth + 1);
            if (!child) return nullptr;
            node->children.push_back(child);
          }
          break;
        case nlohmann::json::value_t::null:
          node->type = YamlNode::Type::kNull;
          node->text = "null";
          break;
        case nlohmann::json::value_t::string:
          node->type = YamlNode::Type::kScalar;
          node->quoted = true;
          node->text = v.get<std::string>();
          break;
        default:
          node->type = YamlNode::Type::kScalar;
          node->text = v.dump();
          break;
      }
      return node;
    }
  };
  Builder builder{out, max_depth};
  const YamlNode* root = builder.build(value, 0);
  if (!root) return false;
  out->documents.push_back(root);
  return true;
}

}  // namespace skiff::spec::detail
