// Memoization caches kept as files, one per cache (Argo keeps one ConfigMap
// per cache): the answer to the engine's lookups and the store for its saves.
#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "controller/controller.h"

namespace skiff::controller {

namespace {

// A cache name becomes a file name: anything but [A-Za-z0-9._-] is replaced,
// and a name made of dots only is not a file of its own.
std::string cache_path(const std::string& dir, const std::string& cache) {
  std::string name;
  for (char c : cache) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (name.find_first_not_of('.') == std::string::npos) name = "_" + name;
  return dir + "/" + name + ".json";
}

Json read_cache(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Json::object();
  std::stringstream text;
  text << in.rdbuf();
  Json doc = Json::parse(text.str(), nullptr, false);
  return doc.is_object() ? doc : Json::object();
}

}  // namespace

engine::Event cache_answer(const std::string& dir, const engine::Action& lookup, Time now) {
  engine::Event event;
  event.kind = engine::Event::Kind::kCacheAnswer;
  event.node_id = lookup.node_id;
  if (dir.empty()) return event;
  const std::string path = cache_path(dir, lookup.cache_name);
  Json cache = read_cache(path);
  auto entry = cache.find(lookup.cache_key);
  if (entry == cache.end() || !entry->is_object()) return event;
  auto created = parse_rfc3339(entry->value("creationTimestamp", std::string()));
  if (!created) return event;
  event.cache_hit = true;
  event.cache_outputs = entry->value("outputs", Json::object());
  event.cache_created = *created;
  (*entry)["lastHitTimestamp"] = format_rfc3339(now);
  std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
  out << cache.dump();
  if (out.good()) {
    out.close();
    std::rename((path + ".tmp").c_str(), path.c_str());
  }
  return event;
}

Status cache_store(const std::string& dir, const engine::Action& save, Time now) {
  if (dir.empty()) return Status::ok();
  ::mkdir(dir.c_str(), 0755);
  const std::string path = cache_path(dir, save.cache_name);
  Json cache = read_cache(path);
  cache[save.cache_key] = Json{{"nodeID", save.node_id},
                               {"outputs", save.outputs},
                               {"creationTimestamp", format_rfc3339(now)},
                               {"lastHitTimestamp", format_rfc3339(now)}};
  std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
  out << cache.dump();
  out.close();
  if (!out.good() || std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return internal_error("cannot write memoization cache " + path);
  }
  return Status::ok();
}

}  // namespace skiff::controller
