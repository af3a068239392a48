// The template language and the YAML reader under Google Benchmark:
// substitutions, expr-lang expressions and `when` conditions per second, and
// the time to read a 10 MB workflow; each beside a baseline that does the
// least work the same answer needs (plain string replacement, libyaml's own
// event stream).
#include <yaml.h>

#include <benchmark/benchmark.h>

#include <string>

#include "expr/expr.h"
#include "spec/spec.h"

namespace {

using skiff::expr::Scope;

Scope sample_scope() {
  Scope scope;
  scope["workflow.name"] = "bench-x7k2p";
  scope["workflow.namespace"] = "default";
  scope["inputs.parameters.message"] = "hello world";
  scope["inputs.parameters.count"] = "42";
  scope["steps.gen.outputs.result"] = "[1,2,3]";
  for (int i = 0; i < 20; ++i) scope["steps.s" + std::to_string(i) + ".outputs.result"] = std::to_string(i);
  return scope;
}

const std::string kTemplate =
    "echo {{inputs.parameters.message}} from {{workflow.name}} with {{steps.gen.outputs.result}} "
    "and {{inputs.parameters.count}}";

void BM_Substitute(benchmark::State& state) {
  Scope scope = sample_scope();
  for (auto _ : state) {
    auto out = skiff::expr::substitute(kTemplate, scope);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Substitute);

// The least a substitution must do: find each tag and copy its value in.
void BM_SubstituteBaseline(benchmark::State& state) {
  Scope scope = sample_scope();
  for (auto _ : state) {
    std::string out;
    size_t pos = 0;
    for (;;) {
      size_t open = kTemplate.find("{{", pos);
      if (open == std::string::npos) break;
      size_t close = kTemplate.find("}}", open);
      out.append(kTemplate, pos, open - pos);
      out += scope.find(kTemplate.substr(open + 2, close - open - 2))->second;
      pos = close + 2;
    }
    out.append(kTemplate, pos);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubstituteBaseline);

void BM_Expression(benchmark::State& state) {
  Scope scope = sample_scope();
  skiff::expr::Json env = skiff::expr::expand_scope(scope);
  const std::string expression =
      "asInt(inputs.parameters.count) * 2 + 1 > 10 && workflow.name != 'other' ? 'big' : 'small'";
  for (auto _ : state) {
    auto out = skiff::expr::evaluate_expression(expression, env);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Expression);

void BM_Condition(benchmark::State& state) {
  for (auto _ : state) {
    auto out = skiff::expr::evaluate_condition("heads == heads && 42 > 10 || tails != heads");
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Condition);

// About 10 MB: a DAG of many tasks with arguments, and one template per task.
const std::string& ten_megabyte_workflow() {
  static const std::string text = [] {
    std::string y =
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: big-\nspec:\n"
        "  entrypoint: main\n  templates:\n  - name: main\n    dag:\n      tasks:\n";
    std::string templates;
    for (int i = 0; y.size() + templates.size() < 10 * 1000 * 1000; ++i) {
      std::string n = std::to_string(i);
      y += "      - name: task-" + n + "\n        template: work-" + n + "\n";
      if (i > 0) y += "        dependencies: [task-" + std::to_string(i - 1) + "]\n";
      y += "        arguments:\n          parameters:\n          - name: message\n            value: \"item " + n +
           " of the big workflow\"\n";
      templates += "  - name: work-" + n + "\n    inputs:\n      parameters:\n      - name: message\n";
      templates += "    container:\n      image: alpine:3.19\n      command: [sh, -c]\n";
      templates += "      args: [\"echo {{inputs.parameters.message}} && sleep 0\"]\n";
      templates += "      env:\n      - {name: STEP, value: \"" + n + "\"}\n";
    }
    return y + templates;
  }();
  return text;
}

void BM_ParseYaml10MB(benchmark::State& state) {
  const std::string& text = ten_megabyte_workflow();
  for (auto _ : state) {
    auto docs = skiff::spec::parse_documents(text, "big.yaml");
    if (!docs) state.SkipWithError(docs.status().message().c_str());
    benchmark::DoNotOptimize(docs);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["megabytes"] = static_cast<double>(text.size()) / 1e6;
}
BENCHMARK(BM_ParseYaml10MB)->Unit(benchmark::kMillisecond)->Iterations(3);

// libyaml's event stream over the same text: the reader Skiff builds on.
void BM_ParseYaml10MBBaseline(benchmark::State& state) {
  const std::string& text = ten_megabyte_workflow();
  for (auto _ : state) {
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    size_t events = 0;
    for (bool done = false; !done;) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        state.SkipWithError("libyaml failed");
        break;
      }
      done = event.type == YAML_STREAM_END_EVENT;
      yaml_event_delete(&event);
      ++events;
    }
    yaml_parser_delete(&parser);
    benchmark::DoNotOptimize(events);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseYaml10MBBaseline)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
