// A small S3 protocol client on libcurl (internal to the artifacts layer):
// path-style requests signed with SigV4, streamed from and to files.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace skiff::artifacts::internal {

struct S3Settings {
  std::string endpoint;  // host[:port], or a URL with a scheme
  bool insecure = false;  // plain http
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  size_t part_size = 16u << 20;
  int attempts = 5;
  int list_page_size = 1000;  // keys per listing request
};

class S3Client {
 public:
  explicit S3Client(S3Settings settings);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  // Uploads a file; in parts when it is larger than the part size.
  Status put_file(const std::string& key, const std::string& path);
  // Downloads an object into `path` (created or truncated). not_found when
  // the key does not exist.
  Status get_file(const std::string& key, const std::string& path);
  Status remove(const std::string& key);
  // Keys under `prefix`, every page of the listing.
  Result<std::vector<std::string>> list(const std::string& prefix);
  Status create_bucket();

  // "s3://bucket/key", for messages.
  std::string describe(const std::string& key) const;

 private:
  struct Response;
  struct Request;
  Response perform(const Request& request);
  Status check(const Response& response, const std::string& what, const std::string& key) const;
  Status put_single(const std::string& key, const std::string& path, long long size);
  Status put_multipart(const std::string& key, const std::string& path, long long size);

  S3Settings settings_;
  void* curl_ = nullptr;
};

// S3's URI encoding: unreserved characters kept, '/' kept when asked.
std::string uri_encode(const std::string& text, bool keep_slash);

}  // namespace skiff::artifacts::internal
