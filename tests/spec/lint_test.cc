// spec::lint: Argo's validation rules, each problem named by file:line.
// Each case is a YAML document and the problems expected, as (line, text)
// pairs; a case with none must lint clean.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "base/strings.h"
#include "spec/spec.h"

namespace skiff::spec {
namespace {

// A small library the cases resolve templateRef / workflowTemplateRef against.
constexpr const char* kLibrary = R"(apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greetings
spec:
  entrypoint: hello
  arguments:
    parameters:
    - name: who
      value: world
  templates:
  - name: hello
    inputs:
      parameters:
      - name: who
    container:
      image: alpine
      command: [echo, "{{inputs.parameters.who}}"]
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterWorkflowTemplate
metadata:
  name: cluster-tools
spec:
  templates:
  - name: print
    script:
      image: alpine
      command: [sh]
      source: echo hi
)";

struct Expected {
  int line;
  std::string text;
};

struct LintCase {
  std::string name;
  std::string yaml;
  std::vector<Expected> problems;  // empty: lints clean
};

std::vector<Object> parse(const std::string& yaml, const std::string& file) {
  auto objects = parse_documents(yaml, file);
  EXPECT_TRUE(objects.is_ok()) << objects.status().message();
  return objects.is_ok() ? *objects : std::vector<Object>{};
}

std::vector<std::string> lines_of(const std::string& message) {
  std::vector<std::string> out;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

class LintCases : public testing::TestWithParam<LintCase> {};

TEST_P(LintCases, ReportsExactlyTheExpectedProblems) {
  const LintCase& c = GetParam();
  std::vector<Object> library = parse(kLibrary, "library.yaml");
  std::vector<Object> objects = parse(c.yaml, "wf.yaml");
  ASSERT_EQ(objects.size(), 1u);
  Status status = lint(objects[0], library);
  if (c.problems.empty()) {
    EXPECT_TRUE(status.is_ok()) << status.message();
    return;
  }
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  std::vector<std::string> reported = lines_of(status.message());
  EXPECT_EQ(reported.size(), c.problems.size()) << status.message();
  for (const auto& want : c.problems) {
    std::string place = "wf.yaml:" + std::to_string(want.line) + ":";
    bool found = std::any_of(reported.begin(), reported.end(), [&](const std::string& line) {
      return starts_with(line, place) && line.find(want.text) != std::string::npos;
    });
    EXPECT_TRUE(found) << "expected at " << place << " \"" << want.text << "\" in:\n" << status.message();
  }
}

// Wraps templates (indented as list items under spec.templates) in a
// Workflow whose entrypoint is `main`; `templates:` is line 7 plus the
// lines of extra_spec.
std::string workflow(const std::string& templates, const std::string& extra_spec = "") {
  return "apiVersion: argoproj.io/v1alpha1\n"
         "kind: Workflow\n"
         "metadata:\n"
         "  generateName: lint-\n"
         "spec:\n"
         "  entrypoint: main\n" +
         extra_spec + "  templates:\n" + templates;
}

constexpr const char* kEcho = R"(  - name: echo
    inputs:
      parameters:
      - name: msg
    container:
      image: alpine
      command: [echo, "{{inputs.parameters.msg}}"]
)";

const LintCase kCases[] = {
    {"HelloWorldIsClean", workflow(R"(  - name: main
    container:
      image: alpine
      command: [echo, "{{workflow.name}} {{pod.name}}"]
)"),
     {}},
    {"StepsPassingOutputsAreClean", workflow(R"(  - name: main
    steps:
    - - name: first
        template: echo
        arguments:
          parameters: [{name: msg, value: "{{workflow.parameters.greeting}}"}]
    - - name: second
        template: echo
        arguments:
          parameters: [{name: msg, value: "{{steps.first.outputs.result}} {{steps.first.status}}"}]
        when: "{{steps.first.exitCode}} == 0"
)" + std::string(kEcho),
                                              "  arguments:\n    parameters:\n    - name: greeting\n      value: hi\n"),
     {}},
    {"EntrypointRequired",
     "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: x\nspec:\n  templates:\n"
     "  - name: main\n    suspend: {}\n",
     {{5, "spec.entrypoint is required"}}},
    {"EntrypointUndefined",
     "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: x\nspec:\n  entrypoint: mian\n"
     "  templates:\n  - name: main\n    suspend: {}\n",
     {{6, "spec.entrypoint: template name 'mian' undefined"}}},
    {"StepTemplateUndefined", workflow(R"(  - name: main
    steps:
    - - name: a
        template: missing
)"),
     {{11, "templates.main.steps[0].a template name 'missing' undefined"}}},
    {"TaskTemplateRefNotFound", workflow(R"(  - name: main
    dag:
      tasks:
      - name: a
        templateRef: {name: greetings, template: nope}
      - name: b
        templateRef: {name: greetings, template: hello}
        arguments:
          parameters: [{name: who, value: me}]
      - name: c
        templateRef: {name: cluster-tools, template: print, clusterScope: true}
)"),
     {{12, "templates.main.tasks.a template reference greetings.nope not found"}}},
    {"WorkflowTemplateRefResolves",
     "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: x-\nspec:\n"
     "  workflowTemplateRef:\n    name: greetings\n",
     {}},
    {"WorkflowTemplateRefNotFound",
     "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: x-\nspec:\n"
     "  workflowTemplateRef:\n    name: farewells\n",
     {{6, "workflowtemplates.argoproj.io \"farewells\" not found"}}},
    {"DuplicateTemplateNames", workflow(R"(  - name: main
    suspend: {}
  - name: main
    suspend: {}
)"),
     {{10, "spec.templates[1].name 'main' is not unique"}}},
    {"DuplicateStepNames", workflow(R"(  - name: main
    steps:
    - - name: a
        template: main2
    - - name: a
        template: main2
  - name: main2
    suspend: {}
)"),
     {{12, "templates.main.steps[1].name 'a' is not unique"}}},
    {"DuplicateTaskNames", workflow(R"(  - name: main
    dag:
      tasks:
      - name: a
        template: s
      - name: a
        template: s
  - name: s
    suspend: {}
)"),
     {{13, "templates.main.tasks[1].name 'a' is not unique"}}},
    {"TemplateTypeCount", workflow(R"(  - name: main
    steps:
    - - name: a
        template: none
    - - name: b
        template: two
  - name: none
    inputs: {}
  - name: two
    suspend: {}
    container:
      image: alpine
)"),
     {{14, "templates.none template type unspecified. choose one of: container"},
      {16, "templates.two multiple template types specified"}}},
    {"DependsAndDependencies", workflow(R"(  - name: main
    dag:
      tasks:
      - name: a
        template: s
      - name: b
        depends: a
        template: s
      - name: c
        dependencies: [a]
        template: s
  - name: s
    suspend: {}
)"),
     {{17, "templates.main cannot use both 'depends' and 'dependencies' in the same DAG template"}}},
    {"UnknownDependencyAndCycle", workflow(R"(  - name: main
    dag:
      tasks:
      - name: a
        depends: c.Succeeded
        template: s
      - name: b
        depends: a || nope
        template: s
      - name: c
        depends: "b && !a.Failed"
        template: s
  - name: s
    suspend: {}
)"),
     {{15, "templates.main.tasks.b dependency 'nope' not defined"},
      {11, "templates.main.tasks dependency cycle detected: a->c->b->a"},
      {11, "templates.main.tasks dependency cycle detected: a->c->a"}}},
    {"InvalidNames", workflow(R"(  - name: main_tmpl
    inputs:
      parameters:
      - name: "bad name"
        value: x
    steps:
    - - name: Step.1
        template: main_tmpl
)"),
     {{8, "spec.templates[0].name: 'main_tmpl' is invalid: name must consist of alpha-numeric characters or '-'"},
      {11, "templates.main_tmpl.inputs.parameters[0].name: 'bad name' is invalid: Parameter/Artifact name"},
      {14, "templates.main_tmpl.steps[0].name 'Step.1' is invalid"},
      {6, "spec.entrypoint: template name 'main' undefined"}}},
    {"UnresolvedVariables", workflow(R"(  - name: main
    steps:
    - - name: a
        template: echo
        arguments:
          parameters:
          - name: msg
            value: "{{steps.b.outputs.result}} {{tasks.a.outputs.result}} {{inputs.parameters.nope}}"
    - - name: b
        template: echo
        arguments:
          parameters: [{name: msg, value: "{{workflow.parameters.missing}}"}]
  - name: echo
    inputs:
      parameters:
      - name: msg
    container:
      image: alpine
      args: ["{{inputs.parameters.mgs}}", "{{=inputs.parameters.whatever}}", "{{item}}"]
)"),
     {{15, "templates.main.steps failed to resolve {{steps.b.outputs.result}}"},
      {15, "templates.main.steps failed to resolve {{tasks.a.outputs.result}}"},
      {15, "templates.main.steps failed to resolve {{inputs.parameters.nope}}"},
      {19, "templates.main.steps failed to resolve {{workflow.parameters.missing}}"},
      {26, "templates.echo: failed to resolve {{inputs.parameters.mgs}}"}}},
    {"InputsNotSupplied", workflow(R"(  - name: main
    inputs:
      parameters:
      - name: greeting
    steps:
    - - name: a
        template: echo
)" + std::string(kEcho)),
     {{13, "templates.main.steps[0].a templates.echo inputs.parameters.msg was not supplied"},
      {6, "templates.main inputs.parameters.greeting was not supplied"}}},
    {"LoopConflictsAndExitHandler", workflow(R"(  - name: main
    steps:
    - - name: a
        template: echo
        arguments:
          parameters: [{name: msg, value: "{{item}}"}]
        withItems: [1, 2]
        withParam: "[3, 4]"
)" + std::string(kEcho),
                                              "  onExit: cleanup\n"),
     {{7, "spec.onExit: template name 'cleanup' undefined"},
      {11, "templates.main.steps[0].a only one of withItems, withParam, withSequence can be specified"}}},
    {"DeadlinesAndHooks", workflow(R"(  - name: main
    activeDeadlineSeconds: -5
    container:
      image: alpine
)",
                                   "  hooks:\n    running:\n      template: main\n"),
     {{8, "hooks.running Expression required"},
      {12, "templates.main.activeDeadlineSeconds must be a positive integer > 0 or an argo variable"}}},
    {"DagArgumentNeedsDependency", workflow(R"(  - name: main
    dag:
      tasks:
      - name: a
        template: echo
        arguments:
          parameters: [{name: msg, value: hi}]
      - name: b
        template: echo
        arguments:
          parameters: [{name: msg, value: "{{tasks.a.outputs.result}}"}]
)" + std::string(kEcho)),
     {{18, "templates.main.tasks.b missing dependency 'a' for parameter 'msg'"}}},
    {"ItemsConditionNeedsItems", workflow(R"(  - name: main
    dag:
      tasks:
      - name: a
        template: s
      - name: b
        depends: a.AnySucceeded
        template: s
  - name: s
    suspend: {}
)"),
     {{14, "dependency 'a' uses an items-based condition"}}},
    {"WorkflowTemplateNeedsNoEntrypoint",
     "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: t\nspec:\n  templates:\n"
     "  - name: echo\n    container:\n      image: alpine\n      args: [\"{{workflow.parameters.anything}}\"]\n",
     {}},
    {"ArgumentAndOutputRules", workflow(R"(  - name: main
    steps:
    - - name: a
        template: echo
        arguments:
          parameters: [{name: msg}]
    outputs:
      parameters:
      - name: out
        valueFrom: {path: /tmp/x}
)" + std::string(kEcho)),
     {{13, "templates.main.steps[0].a.arguments.msg.value or templates.main.steps[0].a.arguments.msg.valueFrom is "
           "required"},
      {12, "templates.main.steps[0].a templates.echo inputs.parameters.msg was not supplied"},
      {17, "templates.main.outputs.parameters.out.parameter or expression must be specified for Steps templates"}}},
    {"InlineTemplatesAndStepExitHandlers", workflow(R"(  - name: main
    steps:
    - - name: a
        onExit: gone
        inline:
          inputs:
            parameters: [{name: n, value: "1"}]
          container:
            image: alpine
            args: ["{{inputs.parameters.n}}", "{{inputs.parameters.m}}"]
)"),
     {{11, "templates.main.steps[0].a.onExit template name 'gone' undefined"},
      {17, "templates.a: failed to resolve {{inputs.parameters.m}}"}}},
    {"CronWorkflowSpec",
     "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: nightly\nspec:\n"
     "  schedule: \"0 1 * * *\"\n  concurrencyPolicy: Sometimes\n  workflowSpec:\n    entrypoint: main\n"
     "    templates:\n    - name: main\n      container:\n        image: alpine\n"
     "        args: [\"{{workflow.scheduledTime}}\", \"{{workflow.parameters.day}}\"]\n",
     {{7, "'Sometimes' is not a valid concurrencyPolicy"},
      {14, "templates.main: failed to resolve {{workflow.parameters.day}}"}}},
};

INSTANTIATE_TEST_SUITE_P(Rules, LintCases, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<LintCase>& info) { return info.param.name; });

TEST(Lint, ProblemsAreReportedInFileOrder) {
  auto objects = parse_documents(workflow(R"(  - name: main
    dag:
      tasks:
      - name: z
        template: nope
      - name: y
        depends: x
        template: main
)"),
                                 "wf.yaml");
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  Status status = lint((*objects)[0], {});
  std::vector<std::string> reported = lines_of(status.message());
  ASSERT_EQ(reported.size(), 2u) << status.message();
  EXPECT_TRUE(starts_with(reported[0], "wf.yaml:12:")) << status.message();
  EXPECT_TRUE(starts_with(reported[1], "wf.yaml:14:")) << status.message();
}

// Objects built from JSON alone carry no positions: messages name the file
// and the field.
TEST(Lint, ObjectsWithoutPositionsNameFileAndField) {
  Object object;
  object.kind = "Workflow";
  object.file = "api";
  object.doc = Json::parse(R"({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
      "metadata": {"name": "w"}, "spec": {"entrypoint": "main",
      "templates": [{"name": "main", "container": {"image": ""}}]}})");
  Status status = lint(object, {});
  EXPECT_EQ(status.message(), "api: spec.templates[0].container: templates.main.container.image may not be empty");
}

// Unrelated kinds have nothing to lint.
TEST(Lint, ConfigMapsPass) {
  Object object;
  object.kind = "ConfigMap";
  object.doc = Json::parse(R"({"kind": "ConfigMap", "data": {"a": "{{inputs.parameters.x}}"}})");
  EXPECT_TRUE(lint(object, {}).is_ok());
}

}  // namespace
}  // namespace skiff::spec
