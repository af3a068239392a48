// Internals of spec::lint, shared by the lint_*.cc files. Not a public API.
//
// Lint follows Argo's ValidateWorkflow / ValidateWorkflowTemplate rules and
// message texts, with two deliberate differences: every problem is reported
// (Argo stops at the first), and each message is prefixed with the file:line
// and field it is about. Templates are checked once each, on their own, and
// each call site (step, task, hook, onExit, entrypoint) is checked against
// the template it calls.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "spec/spec.h"

namespace skiff::spec::lint_internal {

// --- JSON access ----------------------------------------------------------

// The member `key` of obj when obj is an object holding a non-null `key`.
const Json* member(const Json& obj, std::string_view key);
// The string member `key`, or "" when absent or not a string.
std::string text(const Json& obj, std::string_view key);
bool has(const Json& obj, std::string_view key);
// The array member `key`, or an empty array.
const Json& list(const Json& obj, std::string_view key);
// JSON pointer of a child.
std::string child(std::string_view pointer, std::string_view key);
std::string child(std::string_view pointer, size_t index);

// --- Problems -------------------------------------------------------------

class Problems {
 public:
  explicit Problems(const Object& object) : object_(object) {}
  // Records "file:line:col: field: message" for the value at pointer.
  void add(std::string_view pointer, const std::string& message);
  Status to_status() const;

 private:
  struct Entry {
    int line;
    int column;
    std::string text;
  };
  const Object& object_;
  std::vector<Entry> entries_;  // reported in file order
  std::set<std::string> seen_;  // the same problem reached twice is said once
};

// --- Names (lint_names.cc) ------------------------------------------------

enum class NameKind { kField, kParameterOrArtifact };
// Why name is not acceptable ("" when it is): Argo's regexes and length limit.
std::string name_error(std::string_view name, NameKind kind);
// Argo's validateWorkflowFieldNames over a list of named items: each has a
// name, a valid one, and no two share it. Messages read "<context>[i].name ...".
void check_names(const Json& items, NameKind kind, const std::string& context, const std::string& pointer,
                 Problems& problems);

// --- Template kinds (lint_templates.cc) -----------------------------------

// The template type fields present ("container", "steps", ...).
std::vector<std::string> template_types(const Json& tmpl);
bool is_leaf(const Json& tmpl);
bool has_output(const Json& tmpl);
// Argo's type name as used in messages ("Container", "Steps", "DAG", ...).
std::string type_name(const Json& tmpl);
// True when an artifact names where it lives (s3, git, http, raw, ...).
bool has_artifact_location(const Json& artifact);
bool contains_tag(std::string_view s);

// --- Variables (lint_variables.cc) ----------------------------------------

// The {{variables}} a piece of a template may reference.
struct Scope {
  std::set<std::string, std::less<>> names;
  std::set<std::string, std::less<>> open_prefixes;  // anything under these resolves
  bool any_item = false;                             // withParam: item.* is unknowable
  bool any_workflow_output_parameter = false;
  bool any_workflow_output_artifact = false;
  bool open_workflow_parameters = false;  // a WorkflowTemplate's callers supply them

  void add(std::string name) { names.insert(std::move(name)); }
  void merge(const Scope& other);
  bool resolves(std::string_view tag) const;
};

// Calls fn for the text between each "{{" and the next "}}".
void for_each_tag(std::string_view text, const std::function<void(std::string_view)>& fn);
// Reports "<context><sep>failed to resolve {{tag}}" for every unresolvable
// tag in any string (or key) under value.
void check_tags(const Json& value, const std::string& pointer, const Scope& scope, const std::string& context,
                Problems& problems);
// Adds what a finished step or task exposes ("steps.x.outputs.result", ...).
// callee may be null when the called template cannot be known statically.
void add_outputs(const Json* callee, const std::string& prefix, bool aggregate, bool ancestor, Scope& scope);
// Adds item / item.key for withItems, withParam and withSequence.
void add_items(const Json& holder, Scope& scope);

// --- The lint run (lint.cc) -----------------------------------------------

// A template a step, task, hook or entrypoint calls.
struct Callee {
  const Json* tmpl = nullptr;  // null when unknown statically or broken
  bool broken = false;         // the reference itself is wrong (already reported)
};

struct Context {
  Context(const Object& object, const std::vector<Object>& library) : object(object), library(library), problems(object) {}

  const Object& object;
  const std::vector<Object>& library;
  std::string spec_pointer;  // "/spec", or "/spec/workflowSpec" for a CronWorkflow
  const Json* spec = nullptr;
  bool template_validation = false;   // WorkflowTemplate / ClusterWorkflowTemplate
  const Json* referenced_spec = nullptr;  // the spec behind workflowTemplateRef
  Scope globals;
  Problems problems;

  // The template called `name` in this object (or the referenced template).
  const Json* local_template(std::string_view name) const;
  // Resolves a step, task, hook or the like. Broken references are reported
  // at pointer as "<context> <Argo message>".
  Callee resolve(const Json& holder, const std::string& pointer, const std::string& context);
  // Checks that `arguments` supply every input of callee that has no value.
  void check_supplied(const Json& callee, const Json* arguments, const std::string& pointer,
                      const std::string& context);
};

// lint_arguments.cc: Argo's validateArguments for spec.arguments and the
// arguments of steps and tasks. allow_empty: a parameter may lack a value.
void check_arguments(const Json& arguments, const std::string& prefix, const std::string& pointer, bool allow_empty,
                     Problems& problems);
// Lifecycle hooks: a non-exit hook needs an expression, and every hook's
// template must resolve.
void check_hooks(Context& ctx, const Json& holder, const std::string& pointer, const std::string& context);

// lint_templates.cc: everything about one template, its body included.
void check_template(Context& ctx, const Json& tmpl, const std::string& pointer);
// lint_graph.cc
// Both add what the template's steps or tasks expose to scope, so that the
// template's outputs can be checked against it afterwards.
void check_steps(Context& ctx, const Json& tmpl, const std::string& pointer, Scope& scope);
void check_dag(Context& ctx, const Json& tmpl, const std::string& pointer, Scope& scope);

}  // namespace skiff::spec::lint_internal
