// spec::lint: steps and DAG rules and {{variable}} resolution, each
// problem named by file:line.
#include "lint_cases.h"

namespace skiff::spec {
namespace {

using namespace lint_test;

const LintCase kCases[] = {
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
    {"RealtimeGaugeOfResourcesDuration", workflow(R"(  - name: main
    metrics:
      prometheus:
      - name: rt
        help: realtime cpu
        gauge: {realtime: true, value: "{{resourcesDuration.cpu}}"}
      - name: fine
        help: realtime duration
        gauge: {realtime: true, value: "{{duration}}"}
    container:
      image: alpine
)"),
     {{11, "templates.main metric 'rt' error: 'resourcesDuration.*' metrics cannot be used in real-time"}}},
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
};

class LintGraphs : public testing::TestWithParam<LintCase> {};

TEST_P(LintGraphs, ReportsExactlyTheExpectedProblems) { expect_lint(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Rules, LintGraphs, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<LintCase>& info) { return info.param.name; });

}  // namespace
}  // namespace skiff::spec
