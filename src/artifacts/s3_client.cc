#include "artifacts/s3_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "base/strings.h"

namespace skiff::artifacts::internal {
namespace {

Status unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
Status permission_denied(std::string msg) { return {Code::kPermissionDenied, std::move(msg)}; }

constexpr size_t kMaxKeptBody = 64 * 1024;

// The value of <tag>...</tag> in an S3 XML answer; "" when absent.
std::string xml_value(const std::string& xml, const std::string& tag, size_t* from = nullptr) {
  size_t start = xml.find("<" + tag + ">", from ? *from : 0);
  if (start == std::string::npos) return "";
  start += tag.size() + 2;
  size_t end = xml.find("</" + tag + ">", start);
  if (end == std::string::npos) return "";
  if (from) *from = end;
  return xml.substr(start, end - start);
}

std::string xml_unescape(std::string text) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += std::strlen(to)) {
      text.replace(pos, std::strlen(from), to);
    }
  }
  return text;
}

bool retryable_transport(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string uri_encode(const std::string& text, bool keep_slash) { return percent_encode(text, keep_slash ? "/" : ""); }

struct S3Client::Request {
  std::string method = "GET";
  std::string key;  // empty: the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  // Body: a slice of a file, or text.
  int body_fd = -1;
  long long body_offset = 0;
  long long body_length = 0;
  std::string body_text;
  bool has_body = false;
  // Response body: into a file when set (on success only), else kept.
  int sink_fd = -1;
};

struct S3Client::Response {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string etag;
  std::string transport_error;
};

namespace {

struct Transfer {
  // upload
  int fd = -1;
  long long offset = 0;
  long long remaining = 0;
  const std::string* text = nullptr;
  size_t text_pos = 0;
  // download
  CURL* curl = nullptr;
  int sink_fd = -1;
  bool sink_failed = false;
  std::string* body = nullptr;
  std::string* etag = nullptr;
};

size_t read_body(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t want = size * count;
  if (t->text) {
    size_t n = std::min(want, t->text->size() - t->text_pos);
    std::memcpy(buffer, t->text->data() + t->text_pos, n);
    t->text_pos += n;
    return n;
  }
  if (t->remaining <= 0) return 0;
  size_t n = static_cast<size_t>(std::min<long long>(static_cast<long long>(want), t->remaining));
  ssize_t got = ::pread(t->fd, buffer, n, t->offset);
  if (got < 0) return CURL_READFUNC_ABORT;
  t->offset += got;
  t->remaining -= got;
  return static_cast<size_t>(got);
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->sink_fd >= 0 && status >= 200 && status < 300) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(t->sink_fd, data + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        t->sink_failed = true;
        return 0;
      }
      done += static_cast<size_t>(w);
    }
    return n;
  }
  if (t->body->size() < kMaxKeptBody) t->body->append(data, std::min(n, kMaxKeptBody - t->body->size()));
  return n;
}

size_t read_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  if (line.size() > 5 && strncasecmp(line.c_str(), "etag:", 5) == 0) {
    std::string value = line.substr(5);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    *t->etag = value;
  }
  return size * count;
}

}  // namespace

S3Client::S3Client(S3Settings settings) : settings_(std::move(settings)) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)initialised;
  curl_ = curl_easy_init();
}

S3Client::~S3Client() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::string S3Client::describe(const std::string& key) const { return "s3://" + settings_.bucket + "/" + key; }

S3Client::Response S3Client::perform(const Request& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  std::string base = settings_.endpoint;
  if (base.find("://") == std::string::npos) base = (settings_.insecure ? "http://" : "https://") + base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string url = base + "/" + uri_encode(settings_.bucket, false);
  if (!request.key.empty()) url += "/" + uri_encode(request.key, true);
  // libcurl signs the query as written: it must already be in SigV4's
  // canonical form (sorted by name, every name and value encoded).
  auto query = request.query;
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) {
    url += i == 0 ? "?" : "&";
    url += uri_encode(query[i].first, false) + "=" + uri_encode(query[i].second, false);
  }

  Response response;
  for (int attempt = 1;; ++attempt) {
    response = Response{};
    curl_easy_reset(curl);
    Transfer t;
    t.curl = curl;
    t.body = &response.body;
    t.etag = &response.etag;
    t.sink_fd = request.sink_fd;
    if (request.sink_fd >= 0) {
      if (::ftruncate(request.sink_fd, 0) != 0 || ::lseek(request.sink_fd, 0, SEEK_SET) != 0) {
        response.code = CURLE_WRITE_ERROR;
        response.transport_error = std::string("cannot rewind the download file: ") + std::strerror(errno);
        return response;
      }
    }
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    // A stalled transfer (under 1 KiB/s for a minute) is a connection error.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    std::string userpwd = settings_.access_key + ":" + settings_.secret_key;
    std::string sigv4 = "aws:amz:" + (settings_.region.empty() ? std::string("us-east-1") : settings_.region) + ":s3";
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    // No "Expect:" override here: libcurl would sign the emptied header.
    curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 200L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    if (request.has_body) {
      if (request.body_fd >= 0) {
        t.fd = request.body_fd;
        t.offset = request.body_offset;
        t.remaining = request.body_length;
      } else {
        t.text = &request.body_text;
      }
      long long length = request.body_fd >= 0 ? request.body_length : static_cast<long long>(request.body_text.size());
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
      curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
      if (request.method != "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    response.code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    if (response.code != CURLE_OK) response.transport_error = errbuf[0] ? errbuf : curl_easy_strerror(response.code);
    if (t.sink_failed) response.transport_error = std::string("cannot write the download: ") + std::strerror(errno);

    bool retry = (response.code != CURLE_OK && retryable_transport(response.code)) || response.status >= 500;
    if (!retry || attempt >= settings_.attempts) break;
    // Exponential backoff: 100 ms, 200 ms, 400 ms ... at most 3 s.
    auto delay = std::chrono::milliseconds(std::min(3000, 100 << (attempt - 1)));
    std::this_thread::sleep_for(delay);
  }
  return response;
}

Status S3Client::check(const Response& response, const std::string& what, const std::string& key) const {
  const std::string where = key.empty() ? "bucket '" + settings_.bucket + "'" : describe(key);
  if (response.code != CURLE_OK) {
    return unavailable(what + " " + where + ": " + response.transport_error + " (endpoint " + settings_.endpoint + ")");
  }
  if (response.status >= 200 && response.status < 300) return Status::ok();
  std::string code = xml_value(response.body, "Code");
  std::string message = xml_unescape(xml_value(response.body, "Message"));
  std::string detail = code.empty() ? "" : ": " + code + (message.empty() ? "" : " (" + message + ")");
  if (code == "NoSuchBucket") {
    return failed_precondition(what + " " + where + ": bucket '" + settings_.bucket + "' does not exist");
  }
  if (response.status == 404) {
    return not_found(what + " " + where + ": key '" + key + "' does not exist in bucket '" + settings_.bucket + "'");
  }
  if (response.status == 403) {
    return permission_denied(what + " " + where + ": access denied (HTTP 403" + detail +
                             "); check the repository's credentials");
  }
  return unavailable(what + " " + where + ": HTTP " + std::to_string(response.status) + detail);
}

Status S3Client::put_file(const std::string& key, const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return not_found("cannot read " + path + ": " + std::strerror(errno));
  long long size = st.st_size;
  if (static_cast<size_t>(size) > settings_.part_size) return put_multipart(key, path, size);
  return put_single(key, path, size);
}

Status S3Client::put_single(const std::string& key, const std::string& path, long long size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return not_found("cannot read " + path + ": " + std::strerror(errno));
  Request request;
  request.method = "PUT";
  request.key = key;
  request.has_body = true;
  request.body_fd = fd;
  request.body_length = size;
  Response response = perform(request);
  ::close(fd);
  return check(response, "put", key);
}

Status S3Client::put_multipart(const std::string& key, const std::string& path, long long size) {
  Request start;
  start.method = "POST";
  start.key = key;
  start.query = {{"uploads", ""}};
  Response started = perform(start);
  SKIFF_RETURN_IF_ERROR(check(started, "start multipart upload of", key));
  std::string upload_id = xml_value(started.body, "UploadId");
  if (upload_id.empty()) return unavailable("start multipart upload of " + describe(key) + ": no UploadId in the answer");

  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return not_found("cannot read " + path + ": " + std::strerror(errno));
  std::string complete = "<CompleteMultipartUpload>";
  Status st = Status::ok();
  long long part_size = static_cast<long long>(settings_.part_size);
  int part = 1;
  for (long long offset = 0; offset < size; offset += part_size, ++part) {
    Request put;
    put.method = "PUT";
    put.key = key;
    put.query = {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}};
    put.has_body = true;
    put.body_fd = fd;
    put.body_offset = offset;
    put.body_length = std::min(part_size, size - offset);
    Response response = perform(put);
    st = check(response, "upload part " + std::to_string(part) + " of", key);
    if (!st) break;
    complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + response.etag + "</ETag></Part>";
  }
  ::close(fd);
  if (st) {
    complete += "</CompleteMultipartUpload>";
    Request finish;
    finish.method = "POST";
    finish.key = key;
    finish.query = {{"uploadId", upload_id}};
    finish.has_body = true;
    finish.body_text = complete;
    Response done = perform(finish);
    st = check(done, "complete multipart upload of", key);
    // S3 may report a failed completion inside a 200 answer.
    if (st && done.body.find("<Error>") != std::string::npos) {
      st = unavailable("complete multipart upload of " + describe(key) + ": " + xml_value(done.body, "Code"));
    }
    if (st) return st;
  }
  // A failed upload leaves no parts behind.
  Request abort;
  abort.method = "DELETE";
  abort.key = key;
  abort.query = {{"uploadId", upload_id}};
  perform(abort);
  return st;
}

Status S3Client::get_file(const std::string& key, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return internal_error("cannot create " + path + ": " + std::strerror(errno));
  Request request;
  request.key = key;
  request.sink_fd = fd;
  Response response = perform(request);
  ::close(fd);
  return check(response, "get", key);
}

Status S3Client::remove(const std::string& key) {
  Request request;
  request.method = "DELETE";
  request.key = key;
  Response response = perform(request);
  if (response.code == CURLE_OK && response.status == 404 && xml_value(response.body, "Code") != "NoSuchBucket") {
    return Status::ok();
  }
  return check(response, "delete", key);
}

Result<std::vector<std::string>> S3Client::list(const std::string& prefix) {
  std::vector<std::string> keys;
  std::string token;
  for (;;) {
    Request request;
    request.query = {{"list-type", "2"}, {"max-keys", std::to_string(settings_.list_page_size)}, {"prefix", prefix}};
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    Response response = perform(request);
    SKIFF_RETURN_IF_ERROR(check(response, "list", prefix));
    size_t pos = 0;
    for (;;) {
      std::string contents = xml_value(response.body, "Contents", &pos);
      if (contents.empty()) break;
      keys.push_back(xml_unescape(xml_value(contents, "Key")));
    }
    if (xml_value(response.body, "IsTruncated") != "true") break;
    token = xml_unescape(xml_value(response.body, "NextContinuationToken"));
    if (token.empty()) break;
  }
  return keys;
}

Status S3Client::create_bucket() {
  Request request;
  request.method = "PUT";
  Response response = perform(request);
  if (response.code == CURLE_OK && response.status == 409) return Status::ok();  // already there
  return check(response, "create", "");
}

}  // namespace skiff::artifacts::internal
