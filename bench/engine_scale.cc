// Engine and controller cost alone: a generated workflow of N nodes runs
// through the real controller loop (LocalRun) on a runtime whose steps end
// the moment they start, so no process is spawned and every second spent is
// Skiff's own.
//
//   bench_engine --shape steps|dag --nodes N [--batch B] [--status FILE]
//   bench_engine --store-from WORKFLOW_JSON   (only the storage figure of a
//                                              workflow.json skiff run wrote)
//
// The workflow's pods are spread so that the node count comes out near N:
//   steps: main -> loop over K inner Steps templates -> each a loop of M pods
//   dag:   a chain of W tasks, each a loop of M pods (1000 per task)
// The final status is written as skiff run writes it (workflow.json in a
// run directory, streamed one node at a time). Its nodes are then written
// through the server's SQLite store into a fresh database, whose size is
// the storage figure (after the peak memory was taken: it is not part of
// the run). Prints one line of JSON: nodes, seconds, peak RSS, workflow.json
// bytes (status_bytes) and the database's bytes (store_bytes).
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>

#include "controller/controller.h"
#include "runtime/runtime.h"
#include "spec/spec.h"
#include "stored_nodes.h"

namespace {

using skiff::Result;
using skiff::Status;
using skiff::Time;
namespace runtime = skiff::runtime;

// Every launched step completes at once, reported in batches of up to
// `batch` per wait() as an epoll loop would report them.
class InstantRuntime final : public runtime::Runtime {
 public:
  explicit InstantRuntime(size_t batch) : batch_(batch) {}

  Status launch(const runtime::StepSpec& spec) override {
    pending_.push_back(spec.id);
    ++launched_;
    return Status::ok();
  }
  void cancel(const std::string&) override {}
  std::vector<runtime::Completion> wait(std::optional<Time>) override {
    std::vector<runtime::Completion> done;
    while (!pending_.empty() && done.size() < batch_) {
      runtime::Completion c;
      c.id = std::move(pending_.front());
      pending_.pop_front();
      done.push_back(std::move(c));
    }
    ++waits_;
    return done;
  }
  void wake() override {}
  void wake_on_readable(int) override {}
  size_t running() const override { return pending_.size(); }
  Result<std::string> logs(const std::string& id) const override { return skiff::not_found(id); }

  size_t launched() const { return launched_; }
  size_t waits() const { return waits_; }

 private:
  size_t batch_;
  std::deque<std::string> pending_;
  size_t launched_ = 0;
  size_t waits_ = 0;
};

const char* kLeaf = R"(
  - name: noop
    container:
      image: alpine:3.19
      command: ["true"]
)";

std::string steps_workflow(long nodes) {
  // K inner loops of M pods: K*M + 2K + 2 nodes.
  const long k = 10;
  const long m = std::max(1L, (nodes - 2) / k - 2);
  std::string y = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: scale\nspec:\n"
                  "  entrypoint: main\n  templates:\n"
                  "  - name: main\n    steps:\n    - - name: outer\n        template: inner\n"
                  "        withSequence: {count: \"" + std::to_string(k) + "\"}\n"
                  "  - name: inner\n    steps:\n    - - name: leaf\n        template: noop\n"
                  "        withSequence: {count: \"" + std::to_string(m) + "\"}\n";
  return y + kLeaf;
}

std::string dag_workflow(long nodes) {
  // A chain of W tasks, each a loop of M pods: W*M + W + 1 nodes.
  const long m = std::min(1000L, std::max(1L, nodes / 10));
  const long w = std::max(1L, nodes / (m + 1));
  std::string y = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: scale\nspec:\n"
                  "  entrypoint: main\n  templates:\n  - name: main\n    dag:\n      tasks:\n";
  for (long i = 0; i < w; ++i) {
    y += "      - name: t" + std::to_string(i) + "\n        template: noop\n";
    y += "        withSequence: {count: \"" + std::to_string(m) + "\"}\n";
    if (i > 0) y += "        dependencies: [t" + std::to_string(i - 1) + "]\n";
  }
  return y + kLeaf;
}

long peak_rss_kb() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A field of /proc/self/status in kB ("VmRSS:", "VmHWM:"), or -1.
long status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + field.size());
  }
  return -1;
}

// Parsing a big workflow can peak above the run itself: the run's peak is
// measured from a peak reset to the resident size it starts with (Linux
// resets VmHWM on "5" to clear_refs). Returns that size.
long reset_peak_rss_kb() {
  std::ofstream("/proc/self/clear_refs") << "5";
  return status_kb("VmRSS:");
}

// The peak since reset_peak_rss_kb(); getrusage's, which no reset touches,
// where /proc does not say.
long run_peak_rss_kb() {
  long hwm = status_kb("VmHWM:");
  return hwm >= 0 ? hwm : peak_rss_kb();
}

// Nodes in a written workflow.json, counted without loading it: every node
// has one displayName key, and nothing else in these workflows does (a quote
// inside a string is escaped, so the key cannot be matched in a value).
size_t count_nodes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string key = "\"displayName\":";
  std::string carry, chunk(1 << 20, '\0');
  size_t count = 0;
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    std::string text = carry + chunk.substr(0, static_cast<size_t>(in.gcount()));
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) ++count;
    carry = text.size() >= key.size() ? text.substr(text.size() - key.size() + 1) : text;
  }
  return count;
}

int store_only(const std::string& workflow_json) {
  char dir_template[] = "/tmp/skiff-bench-store-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (!dir) {
    std::perror("mkdtemp");
    return 2;
  }
  const skiff::bench::StoredSize stored = skiff::bench::store_nodes(workflow_json, dir);
  std::filesystem::remove_all(dir);
  if (!stored.error.empty()) {
    std::fprintf(stderr, "storing the nodes: %s\n", stored.error.c_str());
    return 1;
  }
  std::printf("{\"stored_nodes\": %zu, \"store_bytes\": %lld}\n", stored.nodes, stored.db_bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string shape = "steps", status_file, store_from;
  long nodes = 10000;
  size_t batch = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--shape") shape = argv[i + 1];
    else if (flag == "--nodes") nodes = std::atol(argv[i + 1]);
    else if (flag == "--batch") batch = std::max(1L, std::atol(argv[i + 1]));
    else if (flag == "--status") status_file = argv[i + 1];
    else if (flag == "--store-from") store_from = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (!store_from.empty()) return store_only(store_from);
  const std::string text = shape == "dag" ? dag_workflow(nodes) : steps_workflow(nodes);
  auto documents = skiff::spec::parse_documents(text, shape + ".yaml");
  if (!documents) {
    std::fprintf(stderr, "%s\n", documents.status().message().c_str());
    return 2;
  }
  const long rss_before = reset_peak_rss_kb();

  char dir_template[] = "/tmp/skiff-bench-engine-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (!dir) {
    std::perror("mkdtemp");
    return 2;
  }
  InstantRuntime instant(batch);
  skiff::controller::RunOptions options;
  options.engine.name = "scale";
  options.engine.uid = "00000000-0000-4000-8000-000000000000";
  options.run_dir = dir;
  options.result_nodes = false;
  skiff::controller::LocalRun run(instant, options);

  auto start = std::chrono::steady_clock::now();
  auto result = run.run(documents->front(), {});
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (!result) {
    std::fprintf(stderr, "%s\n", result.status().message().c_str());
    return 1;
  }
  const long peak = run_peak_rss_kb();
  const std::string written = std::string(dir) + "/workflow.json";
  const std::string phase = (*result)["status"].value("phase", "");
  const size_t node_count = count_nodes(written);
  struct stat st {};
  ::stat(written.c_str(), &st);
  if (!status_file.empty()) std::filesystem::copy_file(written, status_file, std::filesystem::copy_options::overwrite_existing);
  const std::string store_dir = std::string(dir) + "/store";
  std::filesystem::create_directories(store_dir);
  const skiff::bench::StoredSize stored = skiff::bench::store_nodes(written, store_dir);
  std::filesystem::remove_all(dir);
  if (!stored.error.empty()) {
    std::fprintf(stderr, "storing the nodes: %s\n", stored.error.c_str());
    return 1;
  }
  std::printf(
      "{\"shape\": \"%s\", \"nodes\": %zu, \"pods\": %zu, \"phase\": \"%s\", \"seconds\": %.3f, "
      "\"peak_rss_kb\": %ld, \"rss_before_kb\": %ld, \"status_bytes\": %lld, \"store_bytes\": %lld, "
      "\"stored_nodes\": %zu, \"waits\": %zu}\n",
      shape.c_str(), node_count, instant.launched(), phase.c_str(), took.count(), peak, rss_before,
      static_cast<long long>(st.st_size), stored.db_bytes, stored.nodes, instant.waits());
  return phase == "Succeeded" && stored.nodes == node_count ? 0 : 1;
}
