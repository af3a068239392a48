// Downloads of a node's artifacts, as Argo Server's artifact endpoints give
// them: the object as the repository stores it (an archive stays packed),
// or the files of a directory stored file by file.
//
// Runs on the caller's thread: it reads the store and the repositories set
// before the loop started, never the loop's state.
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "base/strings.h"

#include "controller/artifact_staging.h"
#include "controller/service_internal.h"

namespace skiff::controller {

namespace {

// The artifact named `name` of one node's inputs or outputs, or null.
const Json* find_artifact(const Json& node, bool input, const std::string& name) {
  auto side = node.find(input ? "inputs" : "outputs");
  if (side == node.end() || !side->is_object()) return nullptr;
  auto list = side->find("artifacts");
  if (list == side->end() || !list->is_array()) return nullptr;
  for (const Json& artifact : *list) {
    if (artifact.is_object() && artifact.value("name", "") == name) return &artifact;
  }
  return nullptr;
}

// The location a file below a directory artifact has: its key (or URL)
// with the file's path appended, as Argo's server appends it.
Json below(const Json& artifact, const std::string& file) {
  Json located = artifact;
  for (const char* kind : {"s3", "oss"}) {
    if (located.contains(kind) && located[kind].is_object()) {
      std::string key = located[kind].value("key", "");
      located[kind]["key"] = key.empty() ? file : key + (key.back() == '/' ? "" : "/") + file;
      return located;
    }
  }
  for (const char* kind : {"http", "artifactory"}) {
    if (located.contains(kind) && located[kind].is_object()) {
      std::string url = located[kind].value("url", "");
      located[kind]["url"] = url + (!url.empty() && url.back() == '/' ? "" : "/") + file;
      return located;
    }
  }
  std::string sub = located.value("subPath", "");
  located["subPath"] = sub.empty() ? file : sub + "/" + file;
  return located;
}

std::string base_name(const std::string& path) {
  std::string trimmed = path;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  size_t slash = trimmed.rfind('/');
  return slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
}

// The key (or URL) that names where the artifact is stored.
std::string location_name(const Json& artifact) {
  for (const char* kind : {"s3", "oss"}) {
    if (artifact.contains(kind) && artifact[kind].is_object()) return artifact[kind].value("key", "");
  }
  for (const char* kind : {"http", "artifactory"}) {
    if (artifact.contains(kind) && artifact[kind].is_object()) return artifact[kind].value("url", "");
  }
  return artifact.value("name", "artifact");
}

Result<std::string> make_scratch(const std::string& steps_dir) {
  std::error_code ignored;
  std::filesystem::create_directories(steps_dir, ignored);
  std::string pattern = steps_dir + "/download-XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    return internal_error("cannot create a directory in " + steps_dir + ": " + std::strerror(errno));
  }
  return pattern;
}

void remove_scratch(const std::string& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace

Result<ArtifactDownload> Service::download_artifact(const Json& workflow, const std::string& node_id, bool input,
                                                    const std::string& name, const std::string& file) {
  const Json metadata = workflow.value("metadata", Json::object());
  const std::string where = "workflow " + metadata.value("name", "") + " node " + node_id;
  const Json nodes = workflow.value("status", Json::object()).value("nodes", Json::object());
  auto node = nodes.find(node_id);
  if (node == nodes.end()) return not_found(where + ": no such node");
  const Json* artifact = find_artifact(*node, input, name);
  if (!artifact) return not_found(where + ": no " + (input ? "input" : "output") + " artifact named " + name);
  if (artifact->value("deleted", false)) return not_found(where + ": artifact " + name + " was deleted by artifact GC");
  for (const std::string& part : split(file, '/')) {
    if (part == "..") return invalid_argument("file path " + file + " leaves the artifact");
  }

  // The repositories the workflow ran with: the configured ones, its
  // artifactRepositoryRef, and the Secrets and ConfigMaps it could see.
  std::vector<spec::Object> library = impl_->loaded;
  if (auto live = impl_->store.get_workflow_by_uid(metadata.value("uid", ""))) {
    for (const Json& doc : live->run_options.value("library", Json::array())) {
      auto parsed = spec::parse_documents(doc.dump(), "library");
      if (parsed) library.insert(library.end(), parsed->begin(), parsed->end());
    }
  }
  spec::Object object;
  object.kind = "Workflow";
  object.doc = {{"metadata", metadata}, {"spec", workflow.value("spec", Json::object())}};
  engine::Options ignored;
  auto scratch = make_scratch(impl_->options.steps_dir);
  if (!scratch) return scratch.status();
  auto opened = internal::open_artifacts(object, library, impl_->artifact_base, *scratch, &ignored);
  if (!opened) {
    remove_scratch(*scratch);
    return opened.status().with_context(where);
  }

  ArtifactDownload out;
  out.scratch_dir = *scratch;
  const Json located = file.empty() ? *artifact : below(*artifact, file);
  out.path = *scratch + "/object";
  Status fetched = opened->store->fetch(located, out.path);
  out.file_name = base_name(file.empty() ? location_name(*artifact) : file);
  if (fetched) return out;
  ::unlink(out.path.c_str());
  out.path.clear();
  // Not one object: a directory stored file by file lists its entries.
  if (fetched.code() == Code::kNotFound && (located.contains("s3") || located.contains("oss"))) {
    auto keys = opened->store->list(located);
    if (keys && !keys->empty() && !(keys->size() == 1 && keys->front() == location_name(located))) {
      std::string prefix = location_name(located);
      if (!prefix.empty() && prefix.back() != '/') prefix += '/';
      std::set<std::string> entries;
      for (const std::string& key : *keys) {
        if (key.compare(0, prefix.size(), prefix) != 0) continue;
        std::string rest = key.substr(prefix.size());
        size_t slash = rest.find('/');
        entries.insert(slash == std::string::npos ? rest : rest.substr(0, slash + 1));
      }
      out.listing.assign(entries.begin(), entries.end());
      return out;
    }
  }
  remove_scratch(*scratch);
  return Status(fetched.code(), where + ": artifact " + name + ": " + fetched.message());
}

}  // namespace skiff::controller
