// The Store: resolves an artifact's location and moves its bytes through
// the right driver (local directory, S3-compatible, HTTP, git, raw).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "artifacts/artifacts.h"
#include "artifacts/files.h"
#include "artifacts/s3_client.h"
#include "artifacts/sources.h"

namespace skiff::artifacts {

using internal::ArchiveFormat;

namespace {

std::string str(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return "";
}

bool flag(const Json& object, const char* key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && ((it->is_boolean() && it->get<bool>()) || (it->is_string() && *it == "true"));
}

// A bucket-like place: keys to files.
class Blobs {
 public:
  virtual ~Blobs() = default;
  virtual Status put(const std::string& key, const std::string& file) = 0;
  virtual Status get(const std::string& key, const std::string& file) = 0;  // not_found when absent
  virtual Result<std::vector<std::string>> list(const std::string& prefix) = 0;
  virtual Status remove(const std::string& key) = 0;
  virtual Result<bool> has(const std::string& key) = 0;  // one object, not a directory
  virtual std::string describe(const std::string& key) const = 0;
};

class LocalBlobs final : public Blobs {
 public:
  explicit LocalBlobs(std::string root) : root_(std::move(root)) {}

  Status put(const std::string& key, const std::string& file) override {
    auto path = place(key);
    if (!path) return path.status();
    SKIFF_RETURN_IF_ERROR(internal::make_dirs(internal::parent_dir(*path)));
    std::string partial = *path + ".partial";
    (void)internal::remove_tree(partial);
    SKIFF_RETURN_IF_ERROR(internal::copy_tree(file, partial));
    if (::rename(partial.c_str(), path->c_str()) != 0) {
      return internal_error("cannot store " + describe(key) + ": " + std::strerror(errno));
    }
    return Status::ok();
  }

  Status get(const std::string& key, const std::string& file) override {
    auto path = place(key);
    if (!path) return path.status();
    if (!internal::path_exists(*path) || internal::is_directory(*path)) {
      return not_found("key '" + key + "' does not exist in the local repository " + root_);
    }
    (void)internal::remove_tree(file);
    return internal::copy_tree(*path, file);
  }

  Result<std::vector<std::string>> list(const std::string& prefix) override {
    auto path = place(prefix);
    if (!path) return path.status();
    std::vector<std::string> keys;
    std::string base = prefix;
    while (!base.empty() && base.back() == '/') base.pop_back();
    for (const auto& rel : internal::list_files(*path)) keys.push_back(base.empty() ? rel : base + "/" + rel);
    return keys;
  }

  Status remove(const std::string& key) override {
    auto path = place(key);
    if (!path) return path.status();
    return internal::remove_tree(*path);
  }

  Result<bool> has(const std::string& key) override {
    auto path = place(key);
    if (!path) return path.status();
    return internal::path_exists(*path) && !internal::is_directory(*path);
  }

  std::string describe(const std::string& key) const override { return root_ + "/" + key; }

 private:
  Result<std::string> place(const std::string& key) const {
    for (const std::string& part : split_key(key)) {
      if (part == "..") return invalid_argument("artifact key '" + key + "' leaves the repository");
    }
    return root_ + "/" + key;
  }
  static std::vector<std::string> split_key(const std::string& key) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= key.size(); ++i) {
      if (i == key.size() || key[i] == '/') {
        parts.push_back(key.substr(start, i - start));
        start = i + 1;
      }
    }
    return parts;
  }
  std::string root_;
};

class S3Blobs final : public Blobs {
 public:
  explicit S3Blobs(internal::S3Settings settings) : client_(std::move(settings)) {}
  Status put(const std::string& key, const std::string& file) override { return client_.put_file(key, file); }
  Status get(const std::string& key, const std::string& file) override { return client_.get_file(key, file); }
  Result<std::vector<std::string>> list(const std::string& prefix) override { return client_.list(prefix); }
  Status remove(const std::string& key) override { return client_.remove(key); }
  Result<bool> has(const std::string& key) override {
    auto keys = client_.list(key);
    if (!keys) return keys.status();
    return std::find(keys->begin(), keys->end(), key) != keys->end();
  }
  std::string describe(const std::string& key) const override { return client_.describe(key); }

 private:
  internal::S3Client client_;
};

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

struct Store::Impl {
  Context context;

  std::string secret(const Json& selector, const char* env_fallback, const std::string& what,
                     Status* error) const {
    if (selector.is_object() && selector.contains("name")) {
      std::string name = str(selector, "name"), key = str(selector, "key");
      std::optional<std::string> value = context.secrets ? context.secrets(name, key) : std::nullopt;
      if (!value) {
        if (*error) *error = not_found("secret '" + name + "' with key '" + key + "' for " + what + " not found");
        return "";
      }
      return *value;
    }
    return env_fallback ? env_or_empty(env_fallback) : "";
  }

  // S3 settings for a location, the default repository filling what it omits.
  Result<internal::S3Settings> s3_settings(const Json& location) const {
    Json base = Json::object();
    if (context.repository.is_object()) {
      if (context.repository.contains("s3")) base = context.repository["s3"];
      else if (context.repository.contains("oss")) base = context.repository["oss"];
    }
    Json merged = base;
    if (location.is_object()) {
      for (auto it = location.begin(); it != location.end(); ++it) merged[it.key()] = it.value();
    }
    internal::S3Settings s;
    s.endpoint = str(merged, "endpoint");
    s.bucket = str(merged, "bucket");
    s.region = str(merged, "region");
    if (s.region.empty()) s.region = "us-east-1";
    s.insecure = flag(merged, "insecure");
    if (auto o = context.s3_endpoint_overrides.find(s.endpoint); o != context.s3_endpoint_overrides.end()) {
      s.endpoint = o->second;
      if (s.endpoint.rfind("http://", 0) == 0) {
        s.insecure = true;
        s.endpoint.erase(0, 7);
      } else if (s.endpoint.rfind("https://", 0) == 0) {
        s.insecure = false;
        s.endpoint.erase(0, 8);
      }
    }
    s.part_size = context.multipart_part_size;
    s.attempts = context.attempts;
    if (s.endpoint.empty()) return invalid_argument("the S3 location has no endpoint");
    if (s.bucket.empty()) return invalid_argument("the S3 location has no bucket");
    Status error = Status::ok();
    s.access_key = secret(merged.value("accessKeySecret", Json()), "AWS_ACCESS_KEY_ID", "the S3 access key", &error);
    s.secret_key = secret(merged.value("secretKeySecret", Json()), "AWS_SECRET_ACCESS_KEY", "the S3 secret key", &error);
    if (!error) return error;
    return s;
  }

  bool default_is_s3() const {
    return context.repository.is_object() && (context.repository.contains("s3") || context.repository.contains("oss"));
  }

  // The place and key of a bucket-like location: s3, oss, or key-only.
  Result<std::unique_ptr<Blobs>> blobs_for(const Json& artifact, std::string* key) const {
    const char* kind = artifact.contains("s3") ? "s3" : artifact.contains("oss") ? "oss" : nullptr;
    if (!kind) return invalid_argument("has no location (s3, oss, http, artifactory, git or raw)");
    const Json& location = artifact[kind];
    *key = str(location, "key");
    while (!key->empty() && key->front() == '/') key->erase(key->begin());
    const bool key_only = !location.contains("bucket") && !location.contains("endpoint");
    if (key_only && !default_is_s3()) return std::unique_ptr<Blobs>(std::make_unique<LocalBlobs>(local_root()));
    auto settings = s3_settings(location);
    if (!settings) return settings.status();
    return std::unique_ptr<Blobs>(std::make_unique<S3Blobs>(std::move(*settings)));
  }

  std::string local_root() const {
    if (!context.local_root.empty()) return context.local_root;
    std::string home = env_or_empty("SKIFF_HOME");
    if (home.empty()) home = env_or_empty("HOME") + "/.skiff";
    return home + "/artifacts";
  }

  Result<internal::HttpRequest> http_request(const Json& artifact) const {
    internal::HttpRequest r;
    r.attempts = context.attempts;
    Status error = Status::ok();
    if (artifact.contains("artifactory")) {
      const Json& a = artifact["artifactory"];
      r.url = str(a, "url");
      r.username = secret(a.value("usernameSecret", Json()), nullptr, "the artifactory username", &error);
      r.password = secret(a.value("passwordSecret", Json()), nullptr, "the artifactory password", &error);
    } else {
      const Json& h = artifact["http"];
      r.url = str(h, "url");
      for (const auto& header : h.value("headers", Json::array())) r.headers.emplace_back(str(header, "name"), str(header, "value"));
      const Json basic = h.value("auth", Json::object()).value("basicAuth", Json());
      if (basic.is_object()) {
        r.username = secret(basic.value("usernameSecret", Json()), nullptr, "the HTTP username", &error);
        r.password = secret(basic.value("passwordSecret", Json()), nullptr, "the HTTP password", &error);
      }
    }
    if (!error) return error;
    if (r.url.empty()) return invalid_argument("has no url");
    return r;
  }

  std::string scratch_file(const std::string& near) const {
    return internal::parent_dir(near) + "/." + internal::base_name(near) + ".skiff-download";
  }
};

Result<Json> parse_repository(const Json& repository, const std::string& where) {
  if (repository.is_null()) return Json();
  if (!repository.is_object()) return invalid_argument(where + ": an artifact repository must be a mapping");
  int locations = 0;
  for (const char* kind : {"s3", "oss", "gcs", "azure", "hdfs", "artifactory"}) {
    if (!repository.contains(kind)) continue;
    ++locations;
    const Json& loc = repository[kind];
    if (!loc.is_object()) return invalid_argument(where + "." + kind + ": must be a mapping");
    if (std::string(kind) == "s3" || std::string(kind) == "oss") {
      if (str(loc, "bucket").empty()) return invalid_argument(where + "." + kind + ".bucket: required");
      if (str(loc, "endpoint").empty()) return invalid_argument(where + "." + kind + ".endpoint: required");
    } else {
      return invalid_argument(where + "." + kind + ": this repository kind is not supported (use s3 or oss)");
    }
  }
  if (locations > 1) return invalid_argument(where + ": give one repository location, not " + std::to_string(locations));
  return repository;
}

std::string default_file_name(const Json& artifact) {
  const Json archive = artifact.value("archive", Json::object());
  if (archive.is_object() && archive.contains("none")) return internal::base_name(str(artifact, "path"));
  if (archive.is_object() && archive.contains("zip")) return str(artifact, "name") + ".zip";
  return str(artifact, "name") + ".tgz";
}

Store::Store(Context context) : impl_(std::make_unique<Impl>()) { impl_->context = std::move(context); }
Store::~Store() = default;

bool Store::default_is_s3() const { return impl_->default_is_s3(); }

Status Store::put_default(const std::string& key, const std::string& src) {
  std::string k;
  auto blobs = impl_->blobs_for(Json{{"s3", {{"key", key}}}}, &k);
  if (!blobs) return blobs.status();
  return (*blobs)->put(k, src);
}

namespace {

// An artifact its producer stored with `archive: none` is never unpacked,
// whatever its bytes look like.
bool stored_as_is(const Json& artifact) {
  auto archive = artifact.find("archive");
  return archive != artifact.end() && archive->is_object() && archive->contains("none");
}

// The key of what the artifact names: its `subPath` below its key, with no
// trailing slash.
std::string with_sub_path(std::string key, const Json& artifact) {
  std::string sub = str(artifact, "subPath");
  if (!sub.empty()) key = key.empty() ? sub : key + (key.back() == '/' ? "" : "/") + sub;
  while (!key.empty() && key.back() == '/') key.pop_back();
  return key;
}

}  // namespace

Status Store::load(const Json& artifact, const std::string& dest) {
  SKIFF_RETURN_IF_ERROR(internal::make_dirs(internal::parent_dir(dest)));
  (void)internal::remove_tree(dest);
  Status st = Status::ok();
  if (artifact.contains("raw")) {
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    out << str(artifact["raw"], "data");
    if (!out) st = internal_error("cannot write " + dest);
  } else if (artifact.contains("git")) {
    const Json& g = artifact["git"];
    internal::GitRequest r;
    r.repo = str(g, "repo");
    r.revision = str(g, "revision");
    r.depth = g.value("depth", 0);
    for (const auto& f : g.value("fetch", Json::array())) r.fetch.push_back(f.is_string() ? f.get<std::string>() : f.dump());
    r.single_branch = flag(g, "singleBranch");
    r.branch = str(g, "branch");
    r.disable_submodules = flag(g, "disableSubmodules");
    Status error = Status::ok();
    r.username = impl_->secret(g.value("usernameSecret", Json()), nullptr, "the git username", &error);
    r.password = impl_->secret(g.value("passwordSecret", Json()), nullptr, "the git password", &error);
    if (!error) return error;
    if (r.repo.empty()) return invalid_argument("git location has no repo");
    st = internal::git_clone(r, dest);
  } else if (artifact.contains("http") || artifact.contains("artifactory")) {
    auto request = impl_->http_request(artifact);
    if (!request) return request.status();
    std::string tmp = impl_->scratch_file(dest);
    st = internal::http_get(*request, tmp);
    if (st) st = internal::unpack_or_move(tmp, dest, stored_as_is(artifact));
    ::unlink(tmp.c_str());
  } else {
    std::string key;
    auto blobs = impl_->blobs_for(artifact, &key);
    if (!blobs) return blobs.status();
    key = with_sub_path(key, artifact);
    std::string tmp = impl_->scratch_file(dest);
    st = (*blobs)->get(key, tmp);
    if (st) {
      st = internal::unpack_or_move(tmp, dest, stored_as_is(artifact));
    } else if (st.code() == Code::kNotFound) {
      // Not one object: perhaps a directory stored file by file.
      auto keys = (*blobs)->list(key + "/");
      if (keys && !keys->empty()) {
        st = Status::ok();
        for (const std::string& k : *keys) {
          std::string file = dest + "/" + k.substr(key.size() + 1);
          st = internal::make_dirs(internal::parent_dir(file));
          if (st) st = (*blobs)->get(k, file);
          if (!st) break;
        }
      }
    }
    ::unlink(tmp.c_str());
  }
  if (!st) return st;
  if (artifact.contains("mode") && artifact["mode"].is_number_integer()) {
    mode_t mode = static_cast<mode_t>(artifact["mode"].get<int>());
    if (internal::is_directory(dest)) {
      for (const auto& rel : internal::list_files(dest)) ::chmod((dest + "/" + rel).c_str(), mode);
    } else {
      ::chmod(dest.c_str(), mode);
    }
  }
  return Status::ok();
}

Status Store::save(const Json& artifact, const std::string& src) {
  if (!internal::path_exists(src)) return not_found("open " + str(artifact, "path") + ": no such file or directory");
  const Json archive = artifact.value("archive", Json::object());
  const bool none = archive.is_object() && archive.contains("none");
  const bool zip = archive.is_object() && archive.contains("zip");
  int level = -1;
  if (archive.is_object() && archive.contains("tar") && archive["tar"].is_object()) {
    level = archive["tar"].value("compressionLevel", -1);
  }
  std::string file = src;
  std::string packed;
  if (!none) {
    auto dir = internal::make_temp_dir(impl_->context.scratch_dir.empty() ? "/tmp/x" : impl_->context.scratch_dir + "/x");
    if (!dir) return dir.status();
    packed = *dir + "/" + (zip ? "artifact.zip" : "artifact.tgz");
    Status st = internal::pack(src, packed, zip ? ArchiveFormat::kZip : ArchiveFormat::kTarGzip, level);
    if (!st) {
      (void)internal::remove_tree(*dir);
      return st;
    }
    file = packed;
  }
  Status st = Status::ok();
  if (artifact.contains("http") || artifact.contains("artifactory")) {
    auto request = impl_->http_request(artifact);
    st = request ? internal::http_put(*request, file) : request.status();
  } else if (artifact.contains("git") || artifact.contains("raw")) {
    st = invalid_argument("git and raw locations cannot store outputs");
  } else {
    std::string key;
    auto blobs = impl_->blobs_for(artifact, &key);
    if (!blobs) {
      st = blobs.status();
    } else if (none && internal::is_directory(src)) {
      while (!key.empty() && key.back() == '/') key.pop_back();
      for (const auto& rel : internal::list_files(src)) {
        st = (*blobs)->put(key + "/" + rel, src + "/" + rel);
        if (!st) break;
      }
    } else {
      st = (*blobs)->put(key, file);
    }
  }
  if (!packed.empty()) (void)internal::remove_tree(internal::parent_dir(packed));
  return st;
}

Status Store::fetch(const Json& artifact, const std::string& dest) {
  if (artifact.contains("raw")) {
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    out << str(artifact["raw"], "data");
    return out ? Status::ok() : internal_error("cannot write " + dest);
  }
  if (artifact.contains("git")) {
    return invalid_argument("artifact " + str(artifact, "name") + " is a git repository, not a file to download");
  }
  if (artifact.contains("http") || artifact.contains("artifactory")) {
    auto request = impl_->http_request(artifact);
    if (!request) return request.status();
    return internal::http_get(*request, dest);
  }
  std::string key;
  auto blobs = impl_->blobs_for(artifact, &key);
  if (!blobs) return blobs.status();
  return (*blobs)->get(with_sub_path(key, artifact), dest);
}

Status Store::remove(const Json& artifact) {
  if (!artifact.contains("s3") && !artifact.contains("oss")) return Status::ok();
  std::string key;
  auto blobs = impl_->blobs_for(artifact, &key);
  if (!blobs) return blobs.status();
  while (!key.empty() && key.back() == '/') key.pop_back();
  SKIFF_RETURN_IF_ERROR((*blobs)->remove(key));
  auto keys = (*blobs)->list(key + "/");
  if (keys) {
    for (const auto& k : *keys) SKIFF_RETURN_IF_ERROR((*blobs)->remove(k));
  }
  return Status::ok();
}

Result<std::vector<std::string>> Store::list(const Json& artifact) {
  std::string key;
  auto blobs = impl_->blobs_for(artifact, &key);
  if (!blobs) return blobs.status();
  while (!key.empty() && key.back() == '/') key.pop_back();
  auto keys = (*blobs)->list(key.empty() ? key : key + "/");
  if (!keys) return keys.status();
  if (keys->empty() && !key.empty()) {
    // Not a directory: the key itself, if it is one object.
    auto one = (*blobs)->has(key);
    if (!one) return one.status();
    if (!*one) return not_found("key '" + key + "' does not exist: " + (*blobs)->describe(key));
    keys->push_back(key);
  }
  std::sort(keys->begin(), keys->end());
  return keys;
}

}  // namespace skiff::artifacts
