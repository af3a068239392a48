// parse_documents: strict, schema-driven decoding of every document kind,
// with errors that name file:line:col and the field path.
#include <algorithm>

#include <gtest/gtest.h>

#include "spec/spec.h"

namespace skiff::spec {
namespace {

std::string error_of(const std::string& yaml) {
  auto objects = parse_documents(yaml, "t.yaml");
  EXPECT_FALSE(objects.is_ok()) << "decoded without error:\n" << yaml;
  return objects.is_ok() ? "" : objects.status().message();
}

// --- every kind decodes -----------------------------------------------------

struct KindCase {
  const char* kind;
  const char* yaml;
  const char* pointer;   // a value that must be present after decoding
  const char* expected;  // its JSON
};

const KindCase kKinds[] = {
    {"Workflow", R"(apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: hello-}
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: alpine, command: [echo, hi]}
)",
     "/spec/templates/0/container/command", R"(["echo","hi"])"},
    {"WorkflowTemplate", R"(apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
  - name: t
    script: {image: python, command: [python], source: print(1)}
)",
     "/spec/templates/0/script/source", "\"print(1)\""},
    {"ClusterWorkflowTemplate", R"(apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata: {name: lib}
spec:
  templates:
  - name: wait
    suspend: {duration: "10s"}
)",
     "/spec/templates/0/suspend/duration", R"("10s")"},
    {"CronWorkflow", R"(apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: nightly}
spec:
  schedules: ["0 1 * * *"]
  timezone: Europe/Paris
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 30
  workflowSpec:
    entrypoint: main
    templates: [{name: main, suspend: {}}]
)",
     "/spec/startingDeadlineSeconds", "30"},
    {"ConfigMap", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data:
  retries: 3
  enabled: yes
)",
     "/data", R"({"enabled":"yes","retries":"3"})"},
    {"Secret", R"(apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
stringData: {user: admin}
data: {password: cGFzcw==}
)",
     "/stringData/user", R"("admin")"},
};

TEST(DecodeKinds, EachKindDecodes) {
  for (const auto& c : kKinds) {
    SCOPED_TRACE(c.kind);
    auto objects = parse_documents(c.yaml, "t.yaml");
    ASSERT_TRUE(objects.is_ok()) << objects.status().message();
    ASSERT_EQ(objects->size(), 1u);
    const Object& o = (*objects)[0];
    EXPECT_EQ(o.kind, c.kind);
    EXPECT_EQ(o.file, "t.yaml");
    EXPECT_EQ(o.doc.at(Json::json_pointer(c.pointer)), Json::parse(c.expected));
  }
}

// --- errors: unknown fields, wrong types --------------------------------------

constexpr const char* kHeader = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: w\n";

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string expected;  // a whole line of the error message
};

const ErrorCase kErrors[] = {
    {"UnknownTopLevel", std::string(kHeader) + "sepc: {}\n", "t.yaml:5:1: sepc: unknown field \"sepc\""},
    {"UnknownInMetadata", std::string(kHeader) + "  nmae: x\n", "t.yaml:5:3: metadata.nmae: unknown field \"nmae\""},
    {"UnknownInTemplate",
     std::string(kHeader) + "spec:\n  templates:\n  - name: a\n    suspend: {}\n  - name: b\n    contaner:\n      image: x\n",
     "t.yaml:10:5: spec.templates[1].contaner: unknown field \"contaner\""},
    {"UnknownInContainer",
     std::string(kHeader) + "spec:\n  templates:\n  - name: a\n    container:\n      image: x\n      comand: [ls]\n",
     "t.yaml:10:7: spec.templates[0].container.comand: unknown field \"comand\""},
    {"UnknownInStep",
     std::string(kHeader) + "spec:\n  templates:\n  - name: a\n    steps:\n    - - name: s\n        tempalte: b\n",
     "t.yaml:10:9: spec.templates[0].steps[0][0].tempalte: unknown field \"tempalte\""},
    {"UnknownInParameter",
     std::string(kHeader) + "spec:\n  arguments:\n    parameters:\n    - name: p\n      vaule: 1\n",
     "t.yaml:9:7: spec.arguments.parameters[0].vaule: unknown field \"vaule\""},
    {"UnknownInFlowMapping", std::string(kHeader) + "spec:\n  retryStrategy: {limit: 2, retyPolicy: Always}\n",
     "t.yaml:6:29: spec.retryStrategy.retyPolicy: unknown field \"retyPolicy\""},
    {"IntGivenWord", std::string(kHeader) + "spec:\n  parallelism: two\n",
     "t.yaml:6:16: spec.parallelism: cannot unmarshal value \"two\" into integer"},
    {"IntGivenQuotedNumber", std::string(kHeader) + "spec:\n  parallelism: \"2\"\n",
     "t.yaml:6:16: spec.parallelism: cannot unmarshal string \"2\" into integer"},
    {"BoolGivenWord", std::string(kHeader) + "spec:\n  suspend: maybe\n",
     "t.yaml:6:12: spec.suspend: cannot unmarshal value \"maybe\" into boolean"},
    {"ObjectGivenList", std::string(kHeader) + "spec:\n  arguments: [a]\n",
     "t.yaml:6:14: spec.arguments: cannot unmarshal array into object"},
    {"ListGivenScalar", std::string(kHeader) + "spec:\n  templates: main\n",
     "t.yaml:6:14: spec.templates: cannot unmarshal value \"main\" into array"},
    {"StringGivenMap", std::string(kHeader) + "spec:\n  entrypoint: {a: b}\n",
     "t.yaml:6:15: spec.entrypoint: cannot unmarshal object into string"},
    {"NumberInHistogram",
     std::string(kHeader) +
         "spec:\n  metrics:\n    prometheus:\n    - name: m\n      help: h\n      histogram: {value: '1', buckets: [1, x]}\n",
     "t.yaml:10:44: spec.metrics.prometheus[0].histogram.buckets[1]: cannot unmarshal value \"x\" into number"},
    {"NoKind", "apiVersion: v1\nmetadata: {name: x}\n", "t.yaml:1:1: document has no \"kind\""},
    {"UnknownKind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
     "t.yaml:1:1: unsupported kind \"Pod\" (expected Workflow, WorkflowTemplate, ClusterWorkflowTemplate, "
     "CronWorkflow, WorkflowEventBinding, ConfigMap or Secret)"},
    {"NotAnObject", "- a\n- b\n", "t.yaml:1:1: a document must be an object with apiVersion and kind"},
    {"MalformedYaml", std::string(kHeader) + "spec:\n  entrypoint: [a\n", "t.yaml:7:1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence"},
    {"BadMergeValue", std::string(kHeader) + "spec:\n  <<: 3\n", "t.yaml:6:7: spec: a merge key (<<) needs a mapping or a list of mappings"},
};

bool has_line(const std::string& message, const std::string& line) {
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    if (message.compare(start, end - start, line) == 0) return true;
    start = end + 1;
  }
  return false;
}

TEST(DecodeErrors, NameFileLineColumnAndField) {
  for (const auto& c : kErrors) {
    SCOPED_TRACE(c.name);
    std::string message = error_of(c.yaml);
    EXPECT_TRUE(has_line(message, c.expected)) << "want: " << c.expected << "\ngot:  " << message;
  }
}

TEST(DecodeErrors, ReportsEveryErrorInTheFile) {
  std::string yaml = std::string(kHeader) +
                     "spec:\n  entrypiont: a\n  templates:\n  - name: a\n    activeDeadlineSeconds: 5\n"
                     "    parallelism: lots\n---\n" + kHeader + "spce: {}\n";
  auto objects = parse_documents(yaml, "t.yaml");
  ASSERT_FALSE(objects.is_ok());
  EXPECT_EQ(objects.status().code(), Code::kInvalidArgument);
  const std::string& m = objects.status().message();
  EXPECT_TRUE(has_line(m, "t.yaml:6:3: spec.entrypiont: unknown field \"entrypiont\"")) << m;
  EXPECT_TRUE(has_line(m, "t.yaml:10:18: spec.templates[0].parallelism: cannot unmarshal value \"lots\" into integer")) << m;
  EXPECT_TRUE(has_line(m, "t.yaml:16:1: spce: unknown field \"spce\"")) << m;
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 2) << m;
}

TEST(DecodeErrors, StopsAfterAnErrorCap) {
  std::string yaml = std::string(kHeader) + "spec:\n";
  for (int i = 0; i < 500; ++i) yaml += "  bad" + std::to_string(i) + ": 1\n";
  std::string m = error_of(yaml);
  EXPECT_NE(m.find("too many errors"), std::string::npos);
  EXPECT_LT(std::count(m.begin(), m.end(), '\n'), 100);
}

}  // namespace
}  // namespace skiff::spec
