// spec::lint: references, names, template types and the workflow-level
// rules, each problem named by file:line.
#include "lint_cases.h"

namespace skiff::spec {
namespace {

using namespace lint_test;

const LintCase kCases[] = {
    {"HelloWorldIsClean", workflow(R"(  - name: main
    container:
      image: alpine
      command: [echo, "{{workflow.name}} {{pod.name}}"]
)"),
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
    {"WorkflowTemplateRefEntrypointAndTemplates",
     "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: x-\nspec:\n"
     "  entrypoint: goodbye\n  workflowTemplateRef:\n    name: greetings\n  templates:\n  - name: extra\n"
     "    suspend: {}\n",
     {{6, "template reference greetings.goodbye not found"},
      {9, "Templates is invalid field in spec if workflow referred WorkflowTemplate reference"}}},
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
    {"WorkflowTemplateNeedsNoEntrypoint",
     "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: t\nspec:\n  templates:\n"
     "  - name: echo\n    container:\n      image: alpine\n      args: [\"{{workflow.parameters.anything}}\"]\n",
     {}},
    {"ResourceTemplates", workflow(R"(  - name: main
    steps:
    - - name: a
        template: bad-yaml
    - - name: b
        template: no-manifest
    - - name: c
        template: good
        arguments:
          parameters: [{name: n, value: x}]
  - name: bad-yaml
    resource:
      action: create
      manifest: "kind: [unclosed"
  - name: no-manifest
    resource:
      action: launch
  - name: good
    inputs:
      parameters: [{name: n}]
    resource:
      action: apply
      manifest: |
        kind: ConfigMap
        metadata:
          name: {{inputs.parameters.n}}
          labels: {{=toJson(workflow.labels)}}
)"),
     {{21, "templates.bad-yaml.resource.manifest must be a valid yaml"},
      {23, "either templates.no-manifest.resource.manifest or templates.no-manifest.resource.manifestFrom must be "
           "specified"},
      {24, "templates.no-manifest.resource.action must be one of: get, create, apply, delete, replace, patch"}}},
    {"CronWorkflowSpec",
     "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: nightly\nspec:\n"
     "  schedule: \"0 1 * * *\"\n  concurrencyPolicy: Sometimes\n  workflowSpec:\n    entrypoint: main\n"
     "    templates:\n    - name: main\n      container:\n        image: alpine\n"
     "        args: [\"{{workflow.scheduledTime}}\", \"{{workflow.parameters.day}}\"]\n",
     {{7, "'Sometimes' is not a valid concurrencyPolicy"},
      {14, "templates.main: failed to resolve {{workflow.parameters.day}}"}}},
};

class LintReferences : public testing::TestWithParam<LintCase> {};

TEST_P(LintReferences, ReportsExactlyTheExpectedProblems) { expect_lint(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Rules, LintReferences, testing::ValuesIn(kCases),
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
