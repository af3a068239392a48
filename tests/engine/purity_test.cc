// The engine is pure (DESIGN.md): no I/O, no threads, no clock of its own.
// These checks read the engine's sources and build file so that a stray
// include or dependency fails the suite instead of creeping in.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/strings.h"

namespace skiff {
namespace {

const std::string kEngineDir = std::string(SKIFF_TEST_DATA) + "/../src/engine";

struct Forbidden {
  const char* pattern;
  const char* why;
};

const std::vector<Forbidden> kForbidden = {
    {R"(#include\s*<(fstream|iostream|filesystem)>)", "file or console I/O"},
    {R"(\b(fopen|freopen|fprintf|printf|puts|fputs|fwrite|fread|perror)\s*\()", "stdio I/O"},
    {R"(#include\s*<(thread|mutex|future|condition_variable|atomic|semaphore)>)", "threads"},
    {R"(#include\s*<(sys/|unistd\.h|fcntl\.h|netinet/|arpa/|netdb\.h|poll\.h|signal\.h|dirent\.h))", "system calls"},
    {R"(#include\s*<(random|ctime|time\.h)>)", "randomness or the wall clock"},
    {R"(#include\s*["<](runtime|store|controller|server|agent|artifacts|cli)/)", "layers above the engine"},
    {R"(::now\s*\()", "reading a clock"},
    {R"(\b(getenv|fopen|popen|system|rand|srand|sleep|usleep)\s*\()", "the environment, files or processes"},
    {R"(\bstd::(cout|cerr|clog|thread|jthread|async|random_device)\b)", "console, threads or randomness"},
};

std::vector<std::filesystem::path> engine_sources() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kEngineDir)) {
    auto ext = entry.path().extension();
    if (ext == ".cc" || ext == ".h") files.push_back(entry.path());
  }
  return files;
}

TEST(EnginePurity, SourcesExist) { EXPECT_GE(engine_sources().size(), 5u) << kEngineDir; }

TEST(EnginePurity, NoIoThreadsOrClocks) {
  for (const auto& path : engine_sources()) {
    std::string text;
    ASSERT_TRUE(read_file(path.string(), &text)) << path;
    for (const auto& rule : kForbidden) {
      std::smatch match;
      if (std::regex_search(text, match, std::regex(rule.pattern))) {
        ADD_FAILURE() << path.filename().string() << " uses " << rule.why << ": '" << match.str() << "'";
      }
    }
  }
}

// The engine library links only the layers DESIGN.md allows below it.
TEST(EnginePurity, LinksOnlySpecAndExpr) {
  std::string cmake;
  ASSERT_TRUE(read_file(kEngineDir + "/CMakeLists.txt", &cmake));
  std::regex link(R"(target_link_libraries\s*\(\s*skiff_engine\s+([^)]*)\))");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(cmake, match, link)) << "no target_link_libraries(skiff_engine ...)";
  std::regex word(R"([A-Za-z0-9_:\-]+)");
  std::string deps = match[1].str();
  for (auto it = std::sregex_iterator(deps.begin(), deps.end(), word); it != std::sregex_iterator(); ++it) {
    std::string dep = it->str();
    bool allowed = dep == "PUBLIC" || dep == "PRIVATE" || dep == "INTERFACE" || dep == "skiff_spec" ||
                   dep == "skiff_expr" || dep == "skiff_base" || dep == "nlohmann_json::nlohmann_json" ||
                   dep == "yaml-cpp";
    EXPECT_TRUE(allowed) << "skiff_engine links " << dep;
  }
}

// The expression layer the engine evaluates with is pure too: it reads no
// files, environment or clock (time zones come from a source the program
// installs, the time from the caller's scope).
TEST(EnginePurity, ExpressionsReadNoFilesOrClock) {
  const std::string expr_dir = std::string(SKIFF_TEST_DATA) + "/../src/expr";
  const std::vector<Forbidden> forbidden = {
      {R"(#include\s*<(fstream|iostream|filesystem)>)", "file or console I/O"},
      {R"(\b(fopen|freopen|fprintf|printf|puts|fputs|fwrite|fread|getenv|popen|system)\s*\()", "files or the environment"},
      {R"(::now\s*\()", "reading a clock"},
      {R"(#include\s*<(sys/|unistd\.h|fcntl\.h|dirent\.h|ctime|time\.h))", "system calls or the wall clock"},
  };
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(expr_dir)) {
    auto ext = entry.path().extension();
    if (ext != ".cc" && ext != ".h") continue;
    ++files;
    std::string text;
    ASSERT_TRUE(read_file(entry.path().string(), &text)) << entry.path();
    for (const auto& rule : forbidden) {
      std::smatch match;
      if (std::regex_search(text, match, std::regex(rule.pattern))) {
        ADD_FAILURE() << entry.path().filename().string() << " uses " << rule.why << ": '" << match.str() << "'";
      }
    }
  }
  EXPECT_GE(files, 10);
}

}  // namespace
}  // namespace skiff
