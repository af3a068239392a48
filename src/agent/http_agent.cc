#include "agent/http_agent.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace skiff::agent {
namespace {

using Json = nlohmann::json;

// Go's textproto.CanonicalMIMEHeaderKey.
std::string canonical_header(std::string name) {
  bool upper = true;
  for (char& c : name) {
    c = upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
              : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return name;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Headers of the last response only (a redirect starts a new set).
size_t on_header(char* data, size_t size, size_t count, void* user) {
  Json& headers = *static_cast<Json*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    headers = Json::object();
  } else if (size_t colon = line.find(':'); colon != std::string::npos) {
    std::string name = canonical_header(trim(line.substr(0, colon)));
    if (!name.empty()) headers[name].push_back(trim(line.substr(colon + 1)));
  }
  return size * count;
}

void print(const Json& report) {
  std::string text = report.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int http_agent_main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: skiff agent http REQUEST.json\n");
    return 64;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Json request = Json::parse(text, nullptr, false);
  if (!in || request.is_discarded() || !request.is_object()) {
    std::fprintf(stderr, "skiff agent http: cannot read the request in %s\n", argv[1]);
    return 64;
  }
  const std::string method = request.value("method", std::string("GET")).empty()
                                 ? std::string("GET")
                                 : request.value("method", std::string("GET"));
  const std::string url = request.value("url", std::string());
  const std::string body = request.value("body", std::string());
  // The controller could not prepare the request (a Secret is missing).
  if (std::string failure = request.value("failure", std::string()); !failure.empty()) {
    print(Json{{"error", failure}});
    return 0;
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* curl = curl_easy_init();
  if (!curl) {
    print(Json{{"error", "cannot start an HTTP client"}});
    return 0;
  }
  curl_slist* headers = nullptr;
  for (const auto& h : request.value("headers", Json::array())) {
    std::string line = h.value("name", std::string()) + ": " + h.value("value", std::string());
    headers = curl_slist_append(headers, line.c_str());
  }
  std::string response_body;
  Json response_headers = Json::object();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  }
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  // Go's client follows up to 10 redirects.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response_body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response_headers);
  if (auto t = request.find("timeoutSeconds"); t != request.end() && t->is_number() && t->get<long>() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, t->get<long>());
  }
  if (request.value("insecureSkipVerify", false)) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);

  CURLcode code = curl_easy_perform(curl);
  // Go's wording: `<Method> "<url>": <reason>`, the method as "Get".
  std::string verb = canonical_header(method);
  if (code != CURLE_OK) {
    std::string why = code == CURLE_OPERATION_TIMEDOUT ? "context deadline exceeded"
                                                       : (error[0] ? std::string(error) : curl_easy_strerror(code));
    print(Json{{"error", verb + " \"" + url + "\": " + why}});
  } else {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    print(Json{{"statusCode", status}, {"headers", response_headers}, {"body", response_body}});
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  return 0;
}

}  // namespace skiff::agent
