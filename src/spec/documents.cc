// Files and multi-document text -> decoded Objects.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "base/strings.h"
#include "spec/decode.h"

namespace skiff::spec {
namespace {

constexpr size_t kMaxFileBytes = 64u << 20;

bool is_supporting_kind(std::string_view kind) {
  return kind == "WorkflowTemplate" || kind == "ClusterWorkflowTemplate" || kind == "ConfigMap" ||
         kind == "Secret";
}

// JSON that YAML cannot read (e.g. tab indentation) still decodes: it is
// rebuilt as a YAML tree, strings marked as quoted so they stay strings.
// Positions are lost, which only makes later errors less precise.
bool json_to_node(const Json& value, YAML::Node* out, int depth) {
  if (depth > detail::DecodeLimits{}.max_depth) return false;
  switch (value.type()) {
    case Json::value_t::object:
      *out = YAML::Node(YAML::NodeType::Map);
      for (auto& [key, item] : value.items()) {
        YAML::Node child;
        if (!json_to_node(item, &child, depth + 1)) return false;
        out->force_insert(key, child);
      }
      return true;
    case Json::value_t::array:
      *out = YAML::Node(YAML::NodeType::Sequence);
      for (auto& item : value) {
        YAML::Node child;
        if (!json_to_node(item, &child, depth + 1)) return false;
        out->push_back(child);
      }
      return true;
    case Json::value_t::string:
      *out = YAML::Node(value.get<std::string>());
      out->SetTag("!");
      return true;
    case Json::value_t::null:
      *out = YAML::Node(YAML::NodeType::Null);
      return true;
    default:
      *out = YAML::Node(value.dump());
      out->SetTag("?");
      return true;
  }
}

bool looks_like_json(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

Result<std::vector<YAML::Node>> load_yaml(std::string_view text, const std::string& file) {
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    if (looks_like_json(text)) {
      Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      YAML::Node node;
      if (!parsed.is_discarded() && json_to_node(parsed, &node, 0)) return std::vector<YAML::Node>{node};
    }
    Location where{file, 0, 0};
    if (!e.mark.is_null()) where = Location{file, e.mark.line + 1, e.mark.column + 1};
    return invalid_argument(where.to_string() + ": invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return invalid_argument(file + ": invalid YAML: " + e.what());
  }
}

// The document's top-level "kind" when it is a plain string, else "".
std::string kind_of(const YAML::Node& document) {
  for (auto it = document.begin(); it != document.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "kind" && it->second.IsScalar()) {
      return it->second.Scalar();
    }
  }
  return "";
}

enum class Mode { kStrict, kSupportingOnly };

Result<std::vector<Object>> decode_text(std::string_view text, const std::string& file, Mode mode) {
  if (text.size() > kMaxFileBytes) {
    return resource_exhausted(file + ": file larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  auto documents = load_yaml(text, file);
  if (!documents.is_ok()) return documents.status();
  std::vector<Object> objects;
  // Without aliases a document cannot hold more values than it has bytes;
  // allowing a few times that leaves room for honest anchors while an alias
  // bomb of a few hundred bytes stops after a bounded amount of work.
  detail::DecodeLimits limits;
  limits.max_values = std::clamp<size_t>(4 * text.size(), 100'000, limits.max_values);
  detail::Decoder decoder(file, limits);
  bool strict = mode == Mode::kStrict;
  for (const YAML::Node& document : *documents) {
    if (document.IsNull()) continue;
    if (!document.IsMap()) {
      if (strict) decoder.add_error(document, "", "a document must be an object with apiVersion and kind");
      continue;
    }
    std::string kind = kind_of(document);
    if (kind.empty()) {
      if (strict) decoder.add_error(document, "", "document has no \"kind\"");
      continue;
    }
    const schema::TypeDef* root = schema::root_type_for_kind(kind);
    if (!strict && !is_supporting_kind(kind)) continue;
    if (!root) {
      decoder.add_error(document, "",
                        "unsupported kind \"" + kind +
                            "\" (expected Workflow, WorkflowTemplate, ClusterWorkflowTemplate, "
                            "CronWorkflow, WorkflowEventBinding, ConfigMap or Secret)");
      continue;
    }
    auto positions = std::make_shared<SourceMap>();
    Object object;
    object.kind = kind;
    object.file = file;
    object.doc = decoder.decode(document, root, positions.get());
    object.positions = std::move(positions);
    objects.push_back(std::move(object));
    if (decoder.exhausted()) break;
  }
  if (!decoder.errors().empty()) {
    std::string message = join(decoder.errors(), "\n");
    return decoder.exhausted() ? resource_exhausted(message) : invalid_argument(message);
  }
  return objects;
}

Result<std::string> read_text(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return not_found(path + ": " + ec.message());
  if (size > kMaxFileBytes) {
    return resource_exhausted(path + ": file larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  std::string text;
  if (!read_file(path, &text)) return not_found(path + ": cannot read file");
  return text;
}

bool has_manifest_extension(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

Result<std::vector<Object>> parse_documents(std::string_view text, const std::string& file_name) {
  return decode_text(text, file_name, Mode::kStrict);
}

Result<std::vector<Object>> load_file(const std::string& path) {
  auto text = read_text(path);
  if (!text.is_ok()) return text.status();
  return decode_text(*text, path, Mode::kStrict);
}

Result<std::vector<Object>> load_supporting(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    auto options = fs::directory_options::skip_permission_denied;
    for (auto it = fs::recursive_directory_iterator(path, options, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      bool hidden = it->path().filename().string().starts_with(".");
      if (it->is_directory(ec)) {
        if (hidden) it.disable_recursion_pending();
        continue;
      }
      if (!hidden && has_manifest_extension(it->path()) && it->is_regular_file(ec)) {
        files.push_back(it->path().string());
      }
    }
    if (ec) return not_found(path + ": " + ec.message());
    std::sort(files.begin(), files.end());  // a stable order for stable errors
  } else if (fs::exists(path, ec)) {
    files.push_back(path);
  } else {
    return not_found(path + ": no such file or directory");
  }

  std::vector<Object> objects;
  std::vector<std::string> errors;
  Code code = Code::kInvalidArgument;
  for (const std::string& file : files) {
    auto text = read_text(file);
    auto decoded = text.is_ok() ? decode_text(*text, file, Mode::kSupportingOnly)
                                : Result<std::vector<Object>>(text.status());
    if (!decoded.is_ok()) {
      if (decoded.status().code() != Code::kInvalidArgument) code = decoded.status().code();
      errors.push_back(decoded.status().message());
      continue;
    }
    for (Object& o : *decoded) objects.push_back(std::move(o));
  }
  if (!errors.empty()) return Status(code, join(errors, "\n"));
  return objects;
}

}  // namespace skiff::spec
