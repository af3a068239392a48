// Artifact repositories: where a step's input artifacts come from and its
// output artifacts go.
//
// An artifact is Argo's JSON object (name, path, archive, optional, and one
// location: s3, oss, http, artifactory, git, raw). A location that gives
// only a key (`s3: {key: ...}`) lies in the default repository of the
// Context: an S3-compatible bucket when one is configured, else a directory
// on this machine (the embedded default).
//
// Bytes are streamed between files and the network in constant memory;
// nothing here holds a whole artifact in memory. Credentials are read from
// the Context's secret lookup or the environment and never appear in the
// messages returned.
//
// Thread-safety: a Store may be used from one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace skiff::artifacts {

using Json = nlohmann::json;

// (secret name, key) -> value; nullopt when the Secret or key is absent.
using SecretLookup = std::function<std::optional<std::string>(const std::string&, const std::string&)>;

struct Context {
  // Argo's artifactRepository object (the controller ConfigMap's key):
  // {"s3": {endpoint, bucket, region, insecure, accessKeySecret,
  // secretKeySecret, keyFormat}, "archiveLogs": bool}. Null or without a
  // location: the local directory repository.
  Json repository;
  // The local repository's directory (e.g. $SKIFF_HOME/artifacts).
  std::string local_root;
  SecretLookup secrets;
  // Where archives are built before upload; empty: /tmp.
  std::string scratch_dir;
  // S3 uploads larger than this are sent in parts of this size.
  size_t multipart_part_size = 16u << 20;
  // Attempts for a request that fails with a connection error or a 5xx.
  int attempts = 5;
  // An S3 endpoint a location names -> the endpoint used instead; a target
  // written as http://HOST:PORT also turns TLS off, https:// turns it on.
  std::map<std::string, std::string> s3_endpoint_overrides;
};

// Reads Argo's artifact repository from YAML-free JSON text or an object;
// checks the fields it understands. `where` names the source in errors.
Result<Json> parse_repository(const Json& repository, const std::string& where);

// The same, from YAML text (a ConfigMap value named by artifactRepositoryRef).
Result<Json> repository_from_yaml(const std::string& text, const std::string& where);

// The key prefix Argo uses when the repository sets no keyFormat.
inline constexpr char kDefaultKeyFormat[] = "{{workflow.name}}/{{pod.name}}";

class Store {
 public:
  explicit Store(Context context);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Places the artifact at `dest` (a host path that must not exist yet):
  // fetches it, unpacks a tar/zip archive, applies `mode`. An artifact's
  // `subPath` selects a path inside a directory artifact.
  Status load(const Json& artifact, const std::string& dest);

  // Archives `src` (a host file or directory) as the artifact's `archive`
  // says (tar+gzip by default, none, zip) and stores it at the artifact's
  // location. A directory with `archive: none` is stored file by file under
  // the key.
  Status save(const Json& artifact, const std::string& src);

  // Copies what is stored at the artifact's location to the file `dest` as
  // it is stored (an archive stays packed): a download. kNotFound when no
  // one object is there (a directory stored file by file is not one: list()
  // its keys). git locations are repositories, not objects.
  Status fetch(const Json& artifact, const std::string& dest);

  // Deletes what save() stored (artifact GC). Absent objects are not an error.
  Status remove(const Json& artifact);

  // The keys below an s3/oss (or key-only) artifact's key, sorted; the key
  // itself when it names one object; the whole bucket for an empty key.
  Result<std::vector<std::string>> list(const Json& artifact);

  // Stores a file as is at `key` of the default repository (logs).
  Status put_default(const std::string& key, const std::string& src);

  // True when the default repository is an S3-compatible bucket.
  bool default_is_s3() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The file name an output artifact takes under its key prefix: the
// artifact's name plus ".tgz" or ".zip", or the path's base name when not
// archived.
std::string default_file_name(const Json& artifact);

}  // namespace skiff::artifacts
