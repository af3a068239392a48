// Shared by the lint tests: a case is a YAML document and the problems
// expected, as (line, text) pairs; a case with none must lint clean.
#pragma once

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/strings.h"
#include "spec/spec.h"

namespace skiff::spec::lint_test {

// A small library the cases resolve templateRef / workflowTemplateRef against.
inline constexpr const char* kLibrary = R"(apiVersion: argoproj.io/v1alpha1
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

inline std::vector<Object> parse(const std::string& yaml, const std::string& file) {
  auto objects = parse_documents(yaml, file);
  EXPECT_TRUE(objects.is_ok()) << objects.status().message();
  return objects.is_ok() ? *objects : std::vector<Object>{};
}

inline std::vector<std::string> lines_of(const std::string& message) {
  std::vector<std::string> out;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Lints the case's document against kLibrary and checks the problems reported.
inline void expect_lint(const LintCase& c) {
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
inline std::string workflow(const std::string& templates, const std::string& extra_spec = "") {
  return "apiVersion: argoproj.io/v1alpha1\n"
         "kind: Workflow\n"
         "metadata:\n"
         "  generateName: lint-\n"
         "spec:\n"
         "  entrypoint: main\n" +
         extra_spec + "  templates:\n" + templates;
}

inline constexpr const char* kEcho = R"(  - name: echo
    inputs:
      parameters:
      - name: msg
    container:
      image: alpine
      command: [echo, "{{inputs.parameters.msg}}"]
)";

}  // namespace skiff::spec::lint_test
