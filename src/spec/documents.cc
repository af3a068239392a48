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

bool looks_like_json(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

// JSON that YAML cannot read (e.g. tab indentation) still decodes: it is
// rebuilt as a YAML tree, strings marked as quoted so they stay strings.
// Positions are lost, which only makes later errors less precise.
Status load_yaml(std::string_view text, const std::string& file, detail::YamlStream* out) {
  Status status = detail::parse_yaml(text, file, out);
  if (status.is_ok() || !looks_like_json(text)) return status;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return status;
  *out = detail::YamlStream();
  if (!detail::json_to_yaml_tree(parsed, detail::DecodeLimits{}.max_depth, out)) {
    return resource_exhausted(file + ": JSON nested deeper than " + std::to_string(detail::DecodeLimits{}.max_depth) +
                              " levels");
  }
  return Status::ok();
}

// The document's top-level "kind" when it is a plain string, else "".
std::string kind_of(const detail::YamlNode& document) {
  for (size_t i = 0; i + 1 < document.children.size(); i += 2) {
    const detail::YamlNode* key = document.children[i];
    const detail::YamlNode* value = document.children[i + 1];
    if (key->text == "kind" && value->type == detail::YamlNode::Type::kScalar) return value->text;
  }
  return "";
}

enum class Mode { kStrict, kSupportingOnly };

Result<std::vector<Object>> decode_text(std::string_view text, const std::string& file, Mode mode) {
  if (text.size() > kMaxFileBytes) {
    return resource_exhausted(file + ": file larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  }
  detail::YamlStream stream;
  SKIFF_RETURN_IF_ERROR(load_yaml(text, file, &stream));
  std::vector<Object> objects;
  // Without aliases a document cannot hold more values than it has bytes;
  // allowing a few times that leaves room for honest anchors while an alias
  // bomb of a few hundred bytes stops after a bounded amount of work.
  detail::DecodeLimits limits;
  limits.max_values = std::clamp<size_t>(4 * text.size(), 100'000, limits.max_values);
  detail::Decoder decoder(file, limits);
  bool strict = mode == Mode::kStrict;
  for (const detail::YamlNode* node : stream.documents) {
    if (!node || node->is_null()) continue;
    const detail::YamlNode& document = *node;
    if (!document.is_map()) {
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
