// What a pod gets from the workflow besides its template: the volumes it may
// mount (the workflow's, one claim per volume claim template, and the
// template's own, which win over a workflow volume of the same name), and
// its metadata and spec patches.
#include "engine/internal.h"

namespace skiff::engine {

namespace {

void put_volume(Json& volumes, const Json& volume) {
  if (!volume.is_object()) return;
  const std::string name = string_field(volume, "name");
  for (auto& existing : volumes) {
    if (string_field(existing, "name") == name) {
      existing = volume;
      return;
    }
  }
  volumes.push_back(volume);
}

}  // namespace

Json Engine::Impl::pod_volumes(const Json& tmpl) const {
  Json volumes = Json::array();
  if (auto list = spec.find("volumes"); list != spec.end() && list->is_array()) {
    Json substituted = *list;
    // Workflow volumes may name global parameters ({{workflow.parameters.x}}).
    if (expr::substitute_json(substituted, globals, expr::Unresolved::kKeep)) {
      for (const auto& v : substituted) put_volume(volumes, v);
    }
  }
  if (auto claims = spec.find("volumeClaimTemplates"); claims != spec.end() && claims->is_array()) {
    for (const auto& claim : *claims) {
      const std::string name = string_field(claim.value("metadata", Json::object()), "name");
      if (name.empty()) continue;
      put_volume(volumes, Json{{"name", name}, {"persistentVolumeClaim", {{"claimName", options.name + "-" + name}}}});
    }
  }
  if (auto list = tmpl.find("volumes"); list != tmpl.end() && list->is_array()) {
    for (const auto& v : *list) put_volume(volumes, v);
  }
  return volumes;
}

void Engine::Impl::add_pod_settings(LaunchAction& launch) const {
  const Json& tmpl = launch.tmpl;
  launch.volumes = pod_volumes(tmpl);
  Json metadata = Json::object();
  for (const Json* source : {&spec, &tmpl}) {
    const Json m = source == &spec ? spec.value("podMetadata", Json::object()) : tmpl.value("metadata", Json::object());
    if (!m.is_object()) continue;
    for (const char* section : {"labels", "annotations"}) {
      if (!m.contains(section) || !m[section].is_object()) continue;
      for (const auto& [k, v] : m[section].items()) metadata[section][k] = v;
    }
  }
  // The workflow's own fields name only globals ({{workflow.*}}).
  if (expr::substitute_json(metadata, globals, expr::Unresolved::kKeep)) launch.pod_metadata = metadata;
  if (std::string patch = string_field(spec, "podSpecPatch"); !patch.empty()) {
    auto substituted = expr::substitute(patch, globals, expr::Unresolved::kKeep);
    launch.pod_spec_patches.push_back(substituted ? *substituted : patch);
  }
  if (std::string patch = string_field(tmpl, "podSpecPatch"); !patch.empty()) launch.pod_spec_patches.push_back(patch);
}

}  // namespace skiff::engine
