#include "agent/data_agent.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff::agent {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

void print(const Json& report) {
  std::string text = report.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int data_agent_main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: skiff agent data REQUEST.json\n");
    return 64;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Json request = Json::parse(text, nullptr, false);
  if (!in || request.is_discarded() || !request.is_object()) {
    std::fprintf(stderr, "skiff agent data: cannot read the request in %s\n", argv[1]);
    return 64;
  }
  if (std::string failure = request.value("failure", std::string()); !failure.empty()) {
    print(Json{{"error", failure}});
    return 0;
  }
  if (auto listed = request.find("paths"); listed != request.end() && listed->is_array()) {
    print(Json{{"paths", *listed}});
    return 0;
  }
  const fs::path root = request.value("directory", std::string());
  std::string prefix = request.value("prefix", std::string());
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  std::error_code ec;
  std::vector<std::string> paths;
  if (fs::is_regular_file(root, ec)) {
    paths.push_back(prefix);
  } else if (fs::is_directory(root, ec)) {
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string relative = fs::relative(it->path(), root, ec).generic_string();
      paths.push_back(prefix.empty() ? relative : prefix + "/" + relative);
    }
  } else {
    print(Json{{"error", "key " + prefix + " does not exist"}});
    return 0;
  }
  if (ec) {
    print(Json{{"error", "cannot list " + prefix + ": " + ec.message()}});
    return 0;
  }
  std::sort(paths.begin(), paths.end());
  print(Json{{"paths", paths}});
  return 0;
}

}  // namespace skiff::agent
