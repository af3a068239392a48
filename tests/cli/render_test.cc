// The CLI's workflow views, checked against hand-written Argo-shaped
// workflows (tests/cli/data/*.json) and the exact text argo prints for them
// (tests/cli/data/*.txt, trailing spaces included: argo's tabwriter pads
// every cell, so its lines end in spaces too).
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/time.h"
#include "cli/render.h"

namespace skiff::cli {
namespace {

using nlohmann::json;

const std::string kData = std::string(SKIFF_TEST_DATA) + "/cli/data/";

Time at(const std::string& rfc3339) { return *parse_rfc3339(rfc3339); }

json load(const std::string& name) {
  std::string content;
  EXPECT_TRUE(read_file(kData + name, &content)) << name;
  return json::parse(content);
}

std::string expected_text(const std::string& name) {
  std::string content;
  EXPECT_TRUE(read_file(kData + name, &content)) << name;
  return content;
}

RenderOptions options_at_five_past() {
  RenderOptions options;
  options.now = at("2024-03-01T10:05:00Z");
  return options;
}

struct GetCase {
  const char* input;
  const char* expected;
  std::function<void(RenderOptions&)> adjust;
};

class RenderGetTest : public ::testing::TestWithParam<GetCase> {};

TEST_P(RenderGetTest, MatchesArgoText) {
  const GetCase& c = GetParam();
  RenderOptions options = options_at_five_past();
  if (c.adjust) c.adjust(options);
  EXPECT_EQ(render_get(load(c.input), options), expected_text(c.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, RenderGetTest,
    ::testing::Values(
        GetCase{"single_pod.json", "single_pod.get.txt", nullptr},
        GetCase{"single_pod.json", "single_pod.color.txt", [](RenderOptions& o) { o.color = true; }},
        GetCase{"steps_parallel.json", "steps_parallel.get.txt", nullptr},
        GetCase{"steps_parallel.json", "steps_parallel.short-ascii.txt",
                [](RenderOptions& o) {
                  o.short_tree = true;
                  o.no_utf8 = true;
                }},
        GetCase{"dag_diamond.json", "dag_diamond.get.txt", nullptr},
        GetCase{"dag_diamond.json", "dag_diamond.wide.txt", [](RenderOptions& o) { o.wide = true; }},
        GetCase{"steps_failed.json", "steps_failed.get.txt", nullptr},
        GetCase{"steps_skipped.json", "steps_skipped.get.txt", nullptr},
        GetCase{"steps_retry.json", "steps_retry.get.txt", nullptr},
        GetCase{"dag_running.json", "dag_running.get.txt", nullptr},
        GetCase{"dag_running.json", "dag_running.running-only.txt",
                [](RenderOptions& o) { o.node_field_selector = "phase=Running"; }}),
    [](const ::testing::TestParamInfo<GetCase>& info) {
      std::string name = info.param.expected;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST(RenderGet, WatchFrameIsTheGetText) {
  json wf = load("dag_running.json");
  RenderOptions options = options_at_five_past();
  EXPECT_EQ(render_watch_frame(wf, options), render_get(wf, options));
}

TEST(RenderGet, RunningDurationsFollowTheGivenClock) {
  json wf = load("dag_running.json");
  RenderOptions options = options_at_five_past();
  options.now = at("2024-03-01T11:00:40Z");
  std::string text = render_get(wf, options);
  EXPECT_NE(text.find("Duration:            1 hour 0 minutes\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  1h  "), std::string::npos) << text;  // the running test pod
}

TEST(RenderGet, WithoutNodesPrintsOnlyTheHeader) {
  json wf = {{"metadata", {{"name", "fresh"}, {"namespace", "ns"}}}, {"spec", json::object()}};
  RenderOptions options = options_at_five_past();
  EXPECT_EQ(render_get(wf, options),
            "Name:                fresh\n"
            "Namespace:           ns\n"
            "ServiceAccount:      unset (will run with the default ServiceAccount)\n"
            "Status:              Unknown\n"
            "Created:             Mon Jan 01 00:00:00 +0000 (a long while ago)\n"
            "Progress:            \n");
}

TEST(RenderGet, TimesUseTheViewersOffset) {
  json wf = load("single_pod.json");
  RenderOptions options = options_at_five_past();
  options.utc_offset = std::chrono::hours(2);
  std::string text = render_get(wf, options);
  EXPECT_NE(text.find("Created:             Fri Mar 01 12:00:00 +0200 (5 minutes ago)\n"), std::string::npos)
      << text;
}

TEST(RenderGet, PodNameFormatV1UsesNodeIds) {
  json wf = load("dag_diamond.json");
  wf["metadata"]["annotations"] = {{"workflows.argoproj.io/pod-name-format", "v1"}};
  std::string id_of_a = "dag-diamond-8q7vm-1561691119";
  std::string text = render_get(wf, options_at_five_past());
  EXPECT_NE(text.find("  " + id_of_a + "  "), std::string::npos) << text;
  EXPECT_EQ(text.find("-echo-"), std::string::npos) << text;
}

TEST(RenderGet, TemplateRefShowsNameSlashTemplate) {
  json wf = load("single_pod.json");
  json& node = wf["status"]["nodes"]["hello-world-x7k2p"];
  node.erase("templateName");
  node["templateRef"] = {{"name", "shared"}, {"template", "say"}};
  std::string text = render_get(wf, options_at_five_past());
  EXPECT_NE(text.find("  shared/say  "), std::string::npos) << text;
}

TEST(RenderGet, HeaderListsConditionsAndWorkflowOutputs) {
  json wf = load("single_pod.json");
  wf["status"]["conditions"] = {{{"type", "SpecWarning"}, {"status", "True"}, {"message", "deprecated field"}}};
  wf["status"]["outputs"] = {
      {"parameters",
       {{{"name", "answer"}, {"value", "42"}},
        {{"name", "fallback"}, {"default", "7"}},
        {{"name", "unset"}},
        {{"name", "sourced"}, {"valueFrom", {{"path", "/tmp/x"}}}}}},
      {"artifacts",
       {{{"name", "report"}, {"s3", {{"endpoint", "minio:9000"}, {"bucket", "out"}, {"key", "r.tgz"}}}},
        {{"name", "site"}, {"http", {{"url", "https://example.com/site.tgz"}}}}}}};
  std::string text = render_get(wf, options_at_five_past());
  EXPECT_NE(text.find("Conditions:          \n"
                      "⚠ SpecWarning        deprecated field\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ResourcesDuration:   1s*(1 cpu),5s*(100Mi memory)\n"
                      "Output Parameters:   \n"
                      "  answer:            42\n"
                      "  fallback:          7\n"
                      "  sourced:           \n"
                      "Output Artifacts:    \n"
                      "  report:            https://minio:9000/out/r.tgz\n"
                      "  site:              https://example.com/site.tgz\n"
                      "\nSTEP"),
            std::string::npos)
      << text;
}

// withItems expansions that start together are ordered by their index, not
// alphabetically ("sleep(10:ten)" after "sleep(9:nine)"); the TaskGroup that
// holds them is not drawn, its members hang off the DAG.
TEST(RenderGet, ExpandedItemsOrderByIndexUnderTheirDag) {
  const std::string wf_name = "items-f7k2q";
  const char* words[] = {"zero", "one", "two", "three", "four", "five", "six",
                         "seven", "eight", "nine", "ten", "eleven"};
  json nodes = json::object();
  json group_children = json::array();
  nodes[wf_name] = {{"id", wf_name},          {"name", wf_name},   {"displayName", wf_name},
                    {"type", "DAG"},          {"phase", "Running"}, {"templateName", "main"},
                    {"startedAt", "2024-03-01T10:00:00Z"}};
  nodes["items-f7k2q-group"] = {{"id", "items-f7k2q-group"}, {"name", wf_name + ".sleep"},
                                {"displayName", "sleep"},     {"type", "TaskGroup"},
                                {"phase", "Running"},         {"boundaryID", wf_name},
                                {"startedAt", "2024-03-01T10:00:00Z"}};
  for (int i = 11; i >= 0; --i) {  // reverse order: the output must not depend on it
    std::string display = "sleep(" + std::to_string(i) + ":" + words[i] + ")";
    std::string id = "items-f7k2q-" + std::to_string(100 + i);
    nodes[id] = {{"id", id},           {"name", wf_name + "." + display}, {"displayName", display},
                 {"type", "Pod"},      {"phase", "Running"},             {"templateName", "sleep"},
                 {"boundaryID", wf_name}, {"startedAt", "2024-03-01T10:00:01Z"}};
    group_children.push_back(id);
  }
  nodes["items-f7k2q-group"]["children"] = group_children;
  json wf = {{"metadata", {{"name", wf_name}}}, {"status", {{"phase", "Running"}, {"nodes", nodes}}}};

  std::string text = render_get(wf, options_at_five_past());
  size_t last = 0;
  for (int i = 0; i < 12; ++i) {
    std::string display = "sleep(" + std::to_string(i) + ":" + words[i] + ")";
    size_t at = text.find("─● " + display + " ");
    ASSERT_NE(at, std::string::npos) << display << "\n" << text;
    EXPECT_GT(at, last) << display << "\n" << text;
    last = at;
  }
  EXPECT_NE(text.find(" └─● sleep(11:eleven) "), std::string::npos) << text;
  EXPECT_EQ(text.find("● sleep "), std::string::npos) << "the TaskGroup row is hidden\n" << text;
}

// An entrypoint with a retryStrategy makes the root a Retry node: drawn with
// its attempts beneath it, or replaced by its only attempt.
TEST(RenderGet, RetryAtTheRootShowsAttemptsOrItsOnlyAttempt) {
  auto attempt = [](int i, const std::string& phase) {
    std::string name = "retry-root-x1(" + std::to_string(i) + ")";
    return json{{"id", "retry-root-x1-" + std::to_string(i)}, {"name", name}, {"displayName", name},
                {"type", "Pod"}, {"phase", phase}, {"templateName", "main"},
                {"startedAt", "2024-03-01T10:00:0" + std::to_string(i) + "Z"},
                {"finishedAt", "2024-03-01T10:00:0" + std::to_string(i + 1) + "Z"}};
  };
  json root = {{"id", "retry-root-x1"}, {"name", "retry-root-x1"}, {"displayName", "retry-root-x1"},
               {"type", "Retry"}, {"phase", "Succeeded"}, {"templateName", "main"},
               {"startedAt", "2024-03-01T10:00:00Z"},
               {"children", {"retry-root-x1-0", "retry-root-x1-1"}}};
  json wf = {{"metadata", {{"name", "retry-root-x1"}}},
             {"status",
              {{"phase", "Succeeded"},
               {"nodes",
                {{"retry-root-x1", root},
                 {"retry-root-x1-0", attempt(0, "Failed")},
                 {"retry-root-x1-1", attempt(1, "Succeeded")}}}}}};
  std::string text = render_get(wf, options_at_five_past());
  EXPECT_NE(text.find("\n ✔ retry-root-x1  "), std::string::npos) << text;
  EXPECT_NE(text.find("\n ├─✖ retry-root-x1(0)  "), std::string::npos) << text;
  EXPECT_NE(text.find("\n └─✔ retry-root-x1(1)  "), std::string::npos) << text;

  wf["status"]["nodes"].erase("retry-root-x1-1");
  wf["status"]["nodes"]["retry-root-x1"]["children"] = {"retry-root-x1-0"};
  text = render_get(wf, options_at_five_past());
  EXPECT_EQ(text.find("● retry-root-x1 "), std::string::npos) << text;
  EXPECT_EQ(text.find("✔ retry-root-x1 "), std::string::npos) << text;
  EXPECT_NE(text.find("\n ✖ retry-root-x1(0)  "), std::string::npos) << text;
}

TEST(RenderName, PrintsNameAndNewline) {
  EXPECT_EQ(render_name(load("single_pod.json")), "hello-world-x7k2p\n");
}

TEST(RenderWatch, ClearScreenIsArgosSequence) { EXPECT_EQ(watch_clear_screen(), "\x1b[H\x1b[2J\x1b[0;0H"); }

TEST(RenderWatch, RedrawPrefixMovesUpOverThePreviousFrame) {
  EXPECT_EQ(watch_redraw_prefix(0), "");
  EXPECT_EQ(watch_redraw_prefix(12), "\r\x1b[12A\x1b[J");
}

TEST(RenderWatch, TerminalRowsCountWrappedLinesAndIgnoreEscapes) {
  struct Case {
    std::string text;
    int columns;
    int rows;
  };
  const Case cases[] = {
      {"", 80, 0},
      {"a\nb\n", 80, 2},
      {"\n\n", 80, 2},
      {"no newline", 80, 1},
      {std::string(81, 'x') + "\n", 80, 2},
      {std::string(80, 'x') + "\n", 80, 1},
      {std::string(200, 'x') + "\n", 0, 1},
      {"\x1b[32m✔\x1b[0m ok\n", 4, 1},
      {"✔✔✔✔✔\n", 4, 2},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(terminal_rows(c.text, c.columns), c.rows) << c.text << " @" << c.columns;
  }
  std::string frame = render_watch_frame(load("steps_parallel.json"), options_at_five_past());
  int lines = 0;
  for (char ch : frame) lines += ch == '\n';
  EXPECT_EQ(terminal_rows(frame, 0), lines);
}

json node(const std::string& name, const std::string& phase, const std::string& started,
          const std::string& finished = "", const std::string& message = "") {
  json n = {{"name", name}, {"displayName", name.substr(name.rfind('.') + 1)}, {"phase", phase},
            {"startedAt", started}};
  if (!finished.empty()) n["finishedAt"] = finished;
  if (!message.empty()) n["message"] = message;
  return n;
}

json with_nodes(json nodes) { return {{"metadata", {{"name", "wf"}}}, {"status", {{"nodes", std::move(nodes)}}}}; }

TEST(RenderNodeChanges, ReportsNewAndChangedNodesInTimeOrder) {
  json before = with_nodes({
      {"wf", node("wf", "Running", "2024-03-01T10:00:00Z")},
      {"wf-1", node("wf[0].a", "Running", "2024-03-01T10:00:01Z")},
      {"wf-2", node("wf[0].b", "Running", "2024-03-01T10:00:01Z")},
  });
  json after = with_nodes({
      {"wf", node("wf", "Running", "2024-03-01T10:00:00Z")},
      {"wf-1", node("wf[0].a", "Succeeded", "2024-03-01T10:00:01Z", "2024-03-01T10:00:09Z")},
      {"wf-2", node("wf[0].b", "Failed", "2024-03-01T10:00:01Z", "2024-03-01T10:00:04Z", "Error (exit code 2)")},
      {"wf-3", node("wf[1].c", "Pending", "2024-03-01T10:00:10Z")},
  });
  std::vector<std::string> expected = {
      "2024-03-01T10:00:04Z Failed    b (wf[0].b): Error (exit code 2)",
      "2024-03-01T10:00:09Z Succeeded a (wf[0].a)",
      "2024-03-01T10:00:10Z Pending   c (wf[1].c)",
  };
  EXPECT_EQ(render_node_changes(before, after), expected);
}

TEST(RenderNodeChanges, MessageOnlyChangeIsReportedAndNoChangeIsSilent) {
  json before = with_nodes({{"wf-1", node("wf[0].a", "Running", "2024-03-01T10:00:01Z")}});
  json after = with_nodes({{"wf-1", node("wf[0].a", "Running", "2024-03-01T10:00:01Z", "", "waiting for lock")}});
  EXPECT_EQ(render_node_changes(before, after),
            std::vector<std::string>{"2024-03-01T10:00:01Z Running   a (wf[0].a): waiting for lock"});
  EXPECT_TRUE(render_node_changes(after, after).empty());
}

TEST(RenderNodeChanges, EverythingIsNewAgainstAnEmptyWorkflow) {
  json after = load("steps_parallel.json");
  EXPECT_EQ(render_node_changes(json::object(), after).size(), after["status"]["nodes"].size());
}

TEST(RenderSummary, FinishedRunningAndFailed) {
  RenderOptions options = options_at_five_past();
  EXPECT_EQ(render_summary(load("steps_parallel.json"), options), "steps-4bm2q Succeeded in 1m30s");
  EXPECT_EQ(render_summary(load("dag_running.json"), options), "dag-running-m2n8c Running for 5m0s");
  EXPECT_EQ(render_summary(load("steps_failed.json"), options),
            "steps-fail-9dx4t Failed in 2m3s: child 'steps-fail-9dx4t-1458868059' failed");
}

TEST(RenderWaitLine, MatchesArgoWait) {
  RenderOptions options = options_at_five_past();
  EXPECT_EQ(render_wait_line(load("single_pod.json"), options),
            "hello-world-x7k2p Succeeded at 2024-03-01 10:00:12 +0000 UTC");
  options.utc_offset = std::chrono::minutes(-150);
  options.zone_name = "NDT";
  EXPECT_EQ(render_wait_line(load("single_pod.json"), options),
            "hello-world-x7k2p Succeeded at 2024-03-01 07:30:12 -0230 NDT");
}

}  // namespace
}  // namespace skiff::cli
