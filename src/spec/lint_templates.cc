// Rules about one template: its type, inputs, outputs, and for leaf
// templates (container, script, resource, ...) the body itself.
#include <cctype>
#include <map>

#include <yaml-cpp/yaml.h>

#include "spec/lint_rules.h"

namespace skiff::spec::lint_internal {

namespace {

struct TypeField {
  const char* field;
  const char* name;  // Argo's TemplateType, used in messages
  bool leaf;
};
constexpr TypeField kTypes[] = {
    {"container", "Container", true}, {"containerSet", "ContainerSet", true}, {"steps", "Steps", false},
    {"script", "Script", true},       {"resource", "Resource", true},         {"dag", "DAG", false},
    {"suspend", "Suspend", false},    {"data", "Data", true},                 {"http", "HTTP", true},
    {"plugin", "Plugin", true},
};

constexpr const char* kTypeChoices =
    "choose one of: container, containerSet, steps, script, resource, dag, suspend, template, template ref";

bool is_integer_text(const std::string& s) {
  size_t start = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  return s.size() > start && s.find_first_not_of("0123456789", start) == std::string::npos;
}

// Variables are replaced by a plain word first: their values are only known
// at run time, and an unquoted {{x}} would otherwise read as a YAML mapping.
bool is_yaml(const std::string& manifest) {
  std::string plain;
  size_t pos = 0;
  while (true) {
    size_t open = manifest.find("{{", pos);
    size_t close = open == std::string::npos ? open : manifest.find("}}", open + 2);
    if (close == std::string::npos) break;
    plain.append(manifest, pos, open - pos);
    plain += "placeholder";
    pos = close + 2;
  }
  plain.append(manifest, pos);
  try {
    YAML::LoadAll(plain);
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

void check_inputs(Context& ctx, const Json& tmpl, const std::string& pointer, Scope& scope) {
  const Json* inputs = member(tmpl, "inputs");
  if (!inputs) return;
  std::string name = text(tmpl, "name");
  std::string inputs_pointer = child(pointer, "inputs");
  const Json& params = list(*inputs, "parameters");
  const Json& arts = list(*inputs, "artifacts");
  check_names(params, NameKind::kParameterOrArtifact, "templates." + name + ".inputs.parameters",
              child(inputs_pointer, "parameters"), ctx.problems);
  check_names(arts, NameKind::kParameterOrArtifact, "templates." + name + ".inputs.artifacts",
              child(inputs_pointer, "artifacts"), ctx.problems);
  for (const auto& param : params) scope.add("inputs.parameters." + text(param, "name"));
  if (!params.empty()) scope.add("inputs.parameters");
  for (size_t i = 0; i < arts.size(); ++i) {
    const Json& art = arts[i];
    std::string ref = "inputs.artifacts." + text(art, "name");
    std::string art_pointer = child(child(inputs_pointer, "artifacts"), i);
    scope.add(ref);
    if (is_leaf(tmpl))
      scope.add(ref + ".path");
    else if (has(art, "path"))
      ctx.problems.add(child(art_pointer, "path"),
                       "templates." + name + "." + ref + ".path only valid in container/script templates");
    if (has(art, "from"))
      ctx.problems.add(child(art_pointer, "from"), "templates." + name + "." + ref + ".from not valid in inputs");
    if (const Json* git = member(art, "git"); git && text(*git, "repo").empty())
      ctx.problems.add(child(art_pointer, "git"), "templates." + name + "." + ref + ".git.repo is required");
  }
}

void check_output_parameter(Context& ctx, const Json& tmpl, const Json& param, const std::string& pointer) {
  std::string ref = "templates." + text(tmpl, "name") + ".outputs.parameters." + text(param, "name");
  const Json* value_from = member(param, "valueFrom");
  if (value_from && has(param, "value")) {
    ctx.problems.add(pointer, ref + " has both valueFrom and value specified. Choose one.");
    return;
  }
  if (has(param, "value")) return;
  if (!value_from) {
    ctx.problems.add(pointer, ref + " does not have valueFrom or value specified");
    return;
  }
  int sources = 0;
  for (const char* source : {"path", "jqFilter", "jsonPath", "parameter", "expression", "supplied"})
    sources += has(*value_from, source);
  std::string from_pointer = child(pointer, "valueFrom");
  if (sources == 0)
    ctx.problems.add(from_pointer,
                     ref + " valueFrom type unspecified. choose one of: path, jqFilter, jsonPath, parameter, raw, expression");
  if (sources > 1)
    ctx.problems.add(from_pointer,
                     ref + " multiple valueFrom types specified. choose one of: path, jqFilter, jsonPath, parameter, raw");
  std::string type = type_name(tmpl);
  if (type == "Container" || type == "ContainerSet" || type == "Script") {
    if (!has(*value_from, "path"))
      ctx.problems.add(from_pointer, ref + ".path must be specified for " + type + " templates");
  } else if (type == "Resource") {
    if (!has(*value_from, "jqFilter") && !has(*value_from, "jsonPath"))
      ctx.problems.add(from_pointer, ref + " .jqFilter or jsonPath must be specified for " + type + " templates");
  } else if (type == "Steps" || type == "DAG") {
    bool parameter = has(*value_from, "parameter"), expression = has(*value_from, "expression");
    if (!parameter && !expression)
      ctx.problems.add(from_pointer, ref + ".parameter or expression must be specified for " + type + " templates");
    if (parameter && expression)
      ctx.problems.add(from_pointer, ref + " shouldn't have both `from` and `expression` specified in `ValueFrom` for " +
                                         type + " templates");
  }
}

void check_global_name(Context& ctx, const Json& item, const std::string& ref, const std::string& pointer) {
  std::string global = text(item, "globalName");
  if (global.empty() || contains_tag(global)) return;
  std::string error = name_error(global, NameKind::kParameterOrArtifact);
  if (!error.empty()) ctx.problems.add(child(pointer, "globalName"), ref + ".globalName: " + error);
}

void check_outputs(Context& ctx, const Json& tmpl, const std::string& pointer, const Scope& scope) {
  const Json* outputs = member(tmpl, "outputs");
  if (!outputs) return;
  std::string name = text(tmpl, "name");
  std::string outputs_pointer = child(pointer, "outputs");
  const Json& params = list(*outputs, "parameters");
  const Json& arts = list(*outputs, "artifacts");
  check_names(params, NameKind::kParameterOrArtifact, "templates." + name + ".outputs.parameters ",
              child(outputs_pointer, "parameters"), ctx.problems);
  check_names(arts, NameKind::kParameterOrArtifact, "templates." + name + ".outputs.artifacts ",
              child(outputs_pointer, "artifacts"), ctx.problems);
  // A leaf template's outputs were checked with its whole body.
  if (!is_leaf(tmpl)) check_tags(*outputs, outputs_pointer, scope, "templates." + name + ".outputs ", ctx.problems);
  for (size_t i = 0; i < arts.size(); ++i) {
    std::string ref = "templates." + name + ".outputs.artifacts." + text(arts[i], "name");
    std::string art_pointer = child(child(outputs_pointer, "artifacts"), i);
    if (!is_leaf(tmpl) && has(arts[i], "path"))
      ctx.problems.add(child(art_pointer, "path"), ref + ".path only valid in container/script templates");
    check_global_name(ctx, arts[i], ref, art_pointer);
  }
  for (size_t i = 0; i < params.size(); ++i) {
    std::string param_pointer = child(child(outputs_pointer, "parameters"), i);
    check_output_parameter(ctx, tmpl, params[i], param_pointer);
    check_global_name(ctx, params[i], "templates." + name + ".outputs.parameters." + text(params[i], "name"),
                      param_pointer);
  }
}

// Image may be left out only when spec.templateDefaults provides one.
void check_image(Context& ctx, const Json& tmpl, const std::string& pointer, const char* field) {
  const Json* body = member(tmpl, field);
  if (!body || !text(*body, "image").empty()) return;
  const Json* defaults = member(*ctx.spec, "templateDefaults");
  const Json* default_body = defaults ? member(*defaults, field) : nullptr;
  if (default_body && !text(*default_body, "image").empty()) return;
  ctx.problems.add(child(pointer, field),
                   "templates." + text(tmpl, "name") + "." + field + ".image may not be empty");
}

void check_resource(Context& ctx, const Json& tmpl, const std::string& pointer) {
  const Json* resource = member(tmpl, "resource");
  if (!resource) return;
  std::string name = text(tmpl, "name");
  std::string resource_pointer = child(pointer, "resource");
  std::string action = text(*resource, "action");
  static const std::set<std::string> kActions = {"get", "create", "apply", "delete", "replace", "patch"};
  if (!contains_tag(action) && !kActions.count(action))
    ctx.problems.add(child(resource_pointer, "action"),
                     "templates." + name + ".resource.action must be one of: get, create, apply, delete, replace, patch");
  if (action == "delete" || action == "get") return;
  std::string manifest_text = text(*resource, "manifest");
  bool manifest = !manifest_text.empty();
  if (manifest && !is_yaml(manifest_text))
    ctx.problems.add(child(resource_pointer, "manifest"),
                     "templates." + name + ".resource.manifest must be a valid yaml");
  const Json* manifest_from = member(*resource, "manifestFrom");
  if (!manifest && !manifest_from)
    ctx.problems.add(resource_pointer, "either templates." + name + ".resource.manifest or templates." + name +
                                           ".resource.manifestFrom must be specified");
  if (manifest && manifest_from)
    ctx.problems.add(resource_pointer,
                     "shouldn't have both `manifest` and `manifestFrom` specified in `Manifest` for resource template");
  const Json* artifact = manifest_from ? member(*manifest_from, "artifact") : nullptr;
  if (!artifact) return;
  std::string wanted = text(*artifact, "name");
  const Json* inputs = member(tmpl, "inputs");
  for (const auto& art : inputs ? list(*inputs, "artifacts") : list(tmpl, "none"))
    if (text(art, "name") == wanted) return;
  ctx.problems.add(child(resource_pointer, "manifestFrom"),
                   "artifact " + wanted + " in `manifestFrom` refer to a non-exist artifact");
}

void check_leaf(Context& ctx, const Json& tmpl, const std::string& pointer, const Scope& scope) {
  std::string name = text(tmpl, "name");
  check_tags(tmpl, pointer, scope, "templates." + name + ": ", ctx.problems);
  if (const Json* container = member(tmpl, "container")) {
    std::map<std::string, std::string> mounted;  // path -> what mounts it
    const Json& mounts = list(*container, "volumeMounts");
    for (size_t i = 0; i < mounts.size(); ++i) {
      std::string path = text(mounts[i], "mountPath");
      auto [it, fresh] = mounted.emplace(path, "container.volumeMounts." + text(mounts[i], "name"));
      if (!fresh)
        ctx.problems.add(child(child(child(pointer, "container"), "volumeMounts"), i),
                         "templates." + name + ".container.volumeMounts[" + std::to_string(i) + "].mountPath '" +
                             path + "' already mounted in " + it->second);
    }
    const Json* inputs = member(tmpl, "inputs");
    const Json& arts = inputs ? list(*inputs, "artifacts") : list(tmpl, "none");
    for (size_t i = 0; i < arts.size(); ++i) {
      std::string path = text(arts[i], "path");
      if (path.empty()) continue;
      auto [it, fresh] = mounted.emplace(path, "inputs.artifacts." + text(arts[i], "name"));
      if (!fresh)
        ctx.problems.add(child(child(child(pointer, "inputs"), "artifacts"), i),
                         "templates." + name + ".inputs.artifacts[" + std::to_string(i) + "].path '" + path +
                             "' already mounted in " + it->second);
    }
  }
  check_image(ctx, tmpl, pointer, "container");
  check_image(ctx, tmpl, pointer, "script");
  check_resource(ctx, tmpl, pointer);
  if (const Json* deadline = member(tmpl, "activeDeadlineSeconds")) {
    bool bad = deadline->is_number() ? deadline->get<double>() < 0
                                     : !(deadline->is_string() && (contains_tag(deadline->get<std::string>()) ||
                                                                   (is_integer_text(deadline->get<std::string>()) &&
                                                                    deadline->get<std::string>()[0] != '-')));
    if (bad)
      ctx.problems.add(child(pointer, "activeDeadlineSeconds"),
                       "templates." + name + ".activeDeadlineSeconds must be a positive integer > 0 or an argo variable");
  }
  if (has(tmpl, "parallelism"))
    ctx.problems.add(child(pointer, "parallelism"),
                     "templates." + name + ".parallelism is only valid for steps and dag templates");
}

void check_metrics(Context& ctx, const Json& tmpl, const std::string& pointer) {
  const Json* metrics = member(tmpl, "metrics");
  if (!metrics) return;
  std::string name = text(tmpl, "name");
  const Json& prometheus = list(*metrics, "prometheus");
  for (size_t i = 0; i < prometheus.size(); ++i) {
    std::string metric = text(prometheus[i], "name");
    std::string metric_pointer = child(child(child(pointer, "metrics"), "prometheus"), i);
    bool valid = !metric.empty();
    for (char c : metric) valid &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!valid)
      ctx.problems.add(metric_pointer, "templates." + name + " metric name '" + metric +
                                           "' is invalid. Metric names must contain alphanumeric characters or '_'");
    if (text(prometheus[i], "help").empty())
      ctx.problems.add(metric_pointer, "templates." + name + " metric '" + metric +
                                           "' must contain a help string under 'help: ' field");
    // A realtime gauge reads its value while the node runs; a pod's
    // resourcesDuration is only known once it has ended.
    const Json* gauge = member(prometheus[i], "gauge");
    if (gauge && gauge->is_object() && gauge->value("realtime", false) &&
        text(*gauge, "value").find("resourcesDuration.") != std::string::npos)
      ctx.problems.add(metric_pointer, "templates." + name + " metric '" + metric +
                                           "' error: 'resourcesDuration.*' metrics cannot be used in real-time");
  }
}

}  // namespace

std::vector<std::string> template_types(const Json& tmpl) {
  std::vector<std::string> out;
  for (const auto& type : kTypes)
    if (has(tmpl, type.field)) out.push_back(type.field);
  return out;
}

bool is_leaf(const Json& tmpl) {
  for (const auto& type : kTypes)
    if (has(tmpl, type.field)) return type.leaf;
  return false;
}

bool has_output(const Json& tmpl) {
  for (const char* field : {"container", "containerSet", "script", "data", "http", "plugin"})
    if (has(tmpl, field)) return true;
  return false;
}

std::string type_name(const Json& tmpl) {
  for (const auto& type : kTypes)
    if (has(tmpl, type.field)) return type.name;
  return "";
}

bool has_artifact_location(const Json& artifact) {
  for (const char* field : {"s3", "git", "http", "artifactory", "hdfs", "raw", "oss", "gcs", "azure", "plugin"})
    if (has(artifact, field)) return true;
  return false;
}

void check_template(Context& ctx, const Json& tmpl, const std::string& pointer) {
  std::string name = text(tmpl, "name");
  std::string context = "templates." + name;
  size_t types = template_types(tmpl).size();
  if (types == 0) ctx.problems.add(pointer, context + " template type unspecified. " + kTypeChoices);
  if (types > 1) ctx.problems.add(pointer, context + " multiple template types specified. " + kTypeChoices);

  Scope scope = ctx.globals;
  check_inputs(ctx, tmpl, pointer, scope);
  const Json& init = list(tmpl, "initContainers");
  for (size_t i = 0; i < init.size(); ++i)
    if (text(init[i], "name").empty())
      ctx.problems.add(child(child(pointer, "initContainers"), i), "initContainers must all have container name");
  if (is_leaf(tmpl)) scope.add("pod.name");

  if (const Json* timeout = member(tmpl, "timeout")) {
    std::string value = timeout->is_string() ? timeout->get<std::string>() : timeout->dump();
    if (!is_leaf(tmpl))
      ctx.problems.add(child(pointer, "timeout"), type_name(tmpl) + " template doesn't support timeout field.");
    else if (is_integer_text(value))
      ctx.problems.add(child(pointer, "timeout"), name + " has invalid duration format in timeout.");
  }
  if (const Json* retry = member(tmpl, "retryStrategy")) {
    static const std::set<std::string> kPolicies = {"", "Always", "OnError", "OnFailure", "OnTransientError"};
    std::string policy = text(*retry, "retryPolicy");
    if (!kPolicies.count(policy))
      ctx.problems.add(child(child(pointer, "retryStrategy"), "retryPolicy"), policy + " is not a valid RetryPolicy");
  }

  if (has(tmpl, "steps") || has(tmpl, "dag")) {
    if (has(tmpl, "activeDeadlineSeconds"))
      ctx.problems.add(child(pointer, "activeDeadlineSeconds"),
                       context + ".activeDeadlineSeconds is only valid for leaf templates");
    if (has(tmpl, "steps"))
      check_steps(ctx, tmpl, pointer, scope);
    else
      check_dag(ctx, tmpl, pointer, scope);
  } else if (types == 1) {
    check_leaf(ctx, tmpl, pointer, scope);
  }
  check_outputs(ctx, tmpl, pointer, scope);
  check_metrics(ctx, tmpl, pointer);
}

}  // namespace skiff::spec::lint_internal
