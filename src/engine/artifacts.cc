// Artifacts as the engine sees them: references and locations only. Which
// input comes from where, the key each output is stored at, and what nodes
// record; moving bytes is the controller's job.
#include "base/strings.h"
#include "engine/internal.h"

namespace skiff::engine {

namespace {

const char* const kLocationKinds[] = {"s3", "oss", "gcs", "azure", "hdfs", "http", "artifactory", "git", "raw"};

bool has_location(const Json& artifact) {
  if (!artifact.is_object()) return false;
  for (const char* kind : kLocationKinds) {
    if (artifact.contains(kind)) return true;
  }
  return false;
}

void copy_location(const Json& from, Json& to) {
  for (const char* kind : kLocationKinds) {
    if (from.contains(kind)) to[kind] = from[kind];
  }
}

const Json* find_named(const Json& list, const std::string& name) {
  if (!list.is_array()) return nullptr;
  for (const auto& item : list) {
    if (string_field(item, "name") == name) return &item;
  }
  return nullptr;
}

// A `from` after substitution: the referenced artifact's JSON, or the tag
// that could not be resolved.
Result<Json> referenced_artifact(const std::string& from) {
  Json parsed = Json::parse(from, nullptr, false);
  if (!parsed.is_object()) return invalid_argument("Unable to resolve: " + from);
  return parsed;
}

// The file an output takes under its key prefix, as Argo names it.
std::string output_file_name(const Json& artifact) {
  const Json archive = artifact.value("archive", Json::object());
  if (archive.is_object() && archive.contains("none")) {
    std::string path = string_field(artifact, "path");
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }
  if (archive.is_object() && archive.contains("zip")) return string_field(artifact, "name") + ".zip";
  return string_field(artifact, "name") + ".tgz";
}

// Gives each output artifact without a full location a key under
// `key_prefix` in the default repository.
void place_output_artifacts(Json& tmpl, const std::string& key_prefix) {
  auto outputs = tmpl.find("outputs");
  if (outputs == tmpl.end() || !outputs->is_object() || !outputs->contains("artifacts")) return;
  for (auto& art : (*outputs)["artifacts"]) {
    if (!art.is_object()) continue;
    const char* kind = art.contains("oss") ? "oss" : "s3";
    if (has_location(art) && !(art.contains(kind) && string_field(art[kind], "key").empty())) continue;
    Json location = art.value(kind, Json::object());
    location["key"] = key_prefix.empty() ? output_file_name(art) : key_prefix + "/" + output_file_name(art);
    art[kind] = location;
  }
}

}  // namespace

Status resolve_artifact_expressions(Json& holder, const expr::Scope& scope) {
  auto args = holder.find("arguments");
  if (args == holder.end() || !args->is_object() || !args->contains("artifacts")) return Status::ok();
  for (auto& art : (*args)["artifacts"]) {
    if (!art.is_object() || !art.contains("fromExpression")) continue;
    std::string expression = string_field(art, "fromExpression");
    auto value = expr::evaluate_expression(expression, scope);
    if (!value) {
      return invalid_argument("failed to evaluate fromExpression '" + expression + "' of artifact '" +
                              string_field(art, "name") + "': " + value.status().message());
    }
    art["from"] = value->is_string() ? value->get<std::string>() : value->dump();
    art.erase("fromExpression");
  }
  return Status::ok();
}

Status bind_input_artifacts(const Json& arguments, Json& tmpl, expr::Scope& scope, Json* recorded) {
  // Output paths are known before the step runs: {{outputs.artifacts.X.path}}
  // and {{outputs.parameters.X.path}}.
  if (auto out = tmpl.find("outputs"); out != tmpl.end() && out->is_object()) {
    for (const auto& art : out->value("artifacts", Json::array())) {
      std::string path = string_field(art, "path");
      if (!path.empty()) scope["outputs.artifacts." + string_field(art, "name") + ".path"] = path;
    }
    for (const auto& param : out->value("parameters", Json::array())) {
      std::string path = string_field(param.value("valueFrom", Json::object()), "path");
      if (!path.empty()) scope["outputs.parameters." + string_field(param, "name") + ".path"] = path;
    }
  }
  auto in = tmpl.find("inputs");
  if (in == tmpl.end() || !in->is_object() || !in->contains("artifacts")) return Status::ok();
  Json& declared = (*in)["artifacts"];
  if (!declared.is_array()) return Status::ok();
  const Json args = arguments.is_object() ? arguments.value("artifacts", Json::array()) : Json::array();
  Json bound = Json::array();
  for (const Json& decl : declared) {
    const std::string name = string_field(decl, "name");
    Json artifact = decl;
    for (const char* kind : kLocationKinds) artifact.erase(kind);
    const Json* arg = find_named(args, name);
    const bool optional = decl.value("optional", false) || (arg && arg->value("optional", false));
    bool located = false;
    if (arg && arg->contains("from")) {
      auto source = referenced_artifact(string_field(*arg, "from"));
      if (!source) {
        if (!optional) return source.status();
      } else {
        copy_location(*source, artifact);
        located = has_location(artifact);
        // An unarchived source says so, for unpacking and subPath.
        if (source->contains("archive") && !artifact.contains("archive")) artifact["archive"] = (*source)["archive"];
      }
    } else if (arg && has_location(*arg)) {
      copy_location(*arg, artifact);
      located = true;
    } else if (has_location(decl)) {
      // A location written in the template itself may name globals and
      // inputs ("{{workflow.name}}/results"), as any other field of it.
      Json own = decl;
      SKIFF_RETURN_IF_ERROR(expr::substitute_json(own, scope, expr::Unresolved::kKeep));
      copy_location(own, artifact);
      located = true;
    }
    if (arg && arg->contains("subPath")) artifact["subPath"] = (*arg)["subPath"];
    if (arg && arg->contains("mode") && !artifact.contains("mode")) artifact["mode"] = (*arg)["mode"];
    if (!located) {
      if (!optional) return invalid_argument("inputs.artifacts." + name + " was not supplied");
      artifact["optional"] = true;
    }
    std::string path = string_field(artifact, "path");
    if (!path.empty()) scope["inputs.artifacts." + name + ".path"] = path;
    // A template may pass its own input on: from: "{{inputs.artifacts.X}}".
    if (has_location(artifact)) scope["inputs.artifacts." + name] = artifact.dump();
    bound.push_back(std::move(artifact));
  }
  declared = bound;
  if (recorded) {
    Json list = Json::array();
    for (const auto& art : bound) {
      if (has_location(art)) list.push_back(art);
    }
    if (!list.empty()) (*recorded)["artifacts"] = list;
  }
  return Status::ok();
}

void Engine::Impl::locate_pod_outputs(Json& tmpl, const std::string& pod_name) const {
  expr::Scope scope = globals;
  scope["pod.name"] = pod_name;
  const std::string key_format =
      options.artifact_key_format.empty() ? "{{workflow.name}}/{{pod.name}}" : options.artifact_key_format;
  auto substituted = expr::substitute(key_format, scope, expr::Unresolved::kKeep);
  std::string prefix = substituted ? *substituted : key_format;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const Json archive_location = tmpl.value("archiveLocation", Json::object());
  const bool archive_logs = archive_location.is_object() && archive_location.contains("archiveLogs")
                                ? archive_location.value("archiveLogs", false)
                                : options.archive_logs;
  if (archive_logs) {
    // Argo keeps the log beside the outputs as an artifact without a path.
    Json& outs = tmpl["outputs"]["artifacts"];
    if (!outs.is_array()) outs = Json::array();
    outs.push_back(Json{{"name", "main-logs"}, {"s3", {{"key", prefix + "/main.log"}}}});
  }
  place_output_artifacts(tmpl, prefix);
}

Result<Json> artifacts_from_scope(const Json& tmpl, const expr::Scope& scope) {
  auto outputs = tmpl.find("outputs");
  if (outputs == tmpl.end() || !outputs->is_object() || !outputs->contains("artifacts")) return Json();
  Json list = Json::array();
  for (const auto& art : (*outputs)["artifacts"]) {
    std::string from = string_field(art, "from");
    if (from.empty() && art.contains("fromExpression")) {
      auto value = expr::evaluate_expression(string_field(art, "fromExpression"), scope);
      if (!value) return value.status();
      from = value->is_string() ? value->get<std::string>() : value->dump();
    }
    if (from.empty()) continue;
    auto substituted = expr::substitute(from, scope, expr::Unresolved::kKeep);
    if (!substituted) return substituted.status();
    auto source = referenced_artifact(*substituted);
    if (!source) {
      if (art.value("optional", false)) continue;
      return invalid_argument("unable to resolve outputs from scope: " + source.status().message());
    }
    Json out = {{"name", string_field(art, "name")}};
    copy_location(*source, out);
    if (source->contains("path")) out["path"] = (*source)["path"];
    if (art.contains("globalName")) out["globalName"] = art["globalName"];
    list.push_back(std::move(out));
  }
  return list.empty() ? Json() : list;
}

void Engine::Impl::publish_global_artifacts(const Json& artifacts) {
  if (!artifacts.is_array()) return;
  for (const auto& art : artifacts) {
    std::string global = string_field(art, "globalName");
    if (global.empty()) continue;
    Json published = art;
    published["name"] = global;
    published.erase("globalName");
    globals["workflow.outputs.artifacts." + global] = published.dump();
    ++globals_version;
    if (!status.outputs.is_object()) status.outputs = Json::object();
    Json& list = status.outputs["artifacts"];
    if (!list.is_array()) list = Json::array();
    bool replaced = false;
    for (auto& existing : list) {
      if (string_field(existing, "name") == global) {
        existing = published;
        replaced = true;
      }
    }
    if (!replaced) list.push_back(published);
  }
}

}  // namespace skiff::engine
