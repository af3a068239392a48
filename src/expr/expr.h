// The Argo template language.
//
//  - `{{name}}` simple tags, substituted from a Scope of dotted names
//    ("inputs.parameters.message", "steps.gen.outputs.result");
//  - `{{=expression}}` expr-lang expressions (with sprig and Argo's helpers);
//  - govaluate conditions for `when`, evaluated after substitution;
//  - expr-lang expressions for `depends`, retry `expression`, hooks, ...
//
// Pure functions: no I/O, no clock, no global state. The time now() and
// sprig's clock-reading functions see is the one the caller put in the scope
// with set_clock(); without it they fail ("now(): the evaluation has no
// clock"). Regular expressions are Go's (RE2). Hostile input is bounded:
// nesting deeper than 200, collections over 100,000 elements, strings over
// 16 MiB and evaluations over a million steps are errors, never crashes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "base/time.h"

namespace skiff::expr {

using Json = nlohmann::json;

// Variables visible to a template, keyed by their full dotted name. Values are
// strings, as in Argo's substitution map (JSON documents stay JSON text).
using Scope = std::unordered_map<std::string, std::string>;

// Makes `now` the time expressions evaluated with this scope read (expr-lang
// now(), sprig.now/ago/date with no time given). The key it uses is not a
// name any tag or expression can spell.
void set_clock(Scope& scope, Time now);

// Makes `seed` the entropy sprig's random functions (randAlphaNum, uuidv4,
// shuffle, encryptAES, ...) draw from with this scope; mixed with the
// expression and the scope, so that an evaluation is repeatable. Without it
// they fail ("sprig.randAlpha: the evaluation has no source of randomness").
void set_entropy(Scope& scope, std::string_view seed);

// Where named time zones (timezone(), Time.In, sprig's zoned dates) come
// from: given a name such as "Europe/Paris", the bytes of its TZif file, or
// nullopt when there is no such zone. The program installs one at startup,
// before any evaluation (the controller reads the system's tz database);
// this layer only parses what it is given, and keeps each zone once read.
// Without a source only UTC is known ("UTC", "" and "Local").
using ZoneSource = std::function<std::optional<std::string>(const std::string& name)>;
void set_zone_source(ZoneSource source);

enum class Unresolved {
  kKeep,   // an unknown simple tag is left in place, as Argo does while a
           // value is not yet known
  kError,  // an unknown tag is an error: "failed to resolve {{x}}"
};

// Replaces every tag in text, as Argo's util/template does on plain text:
//  - a tag runs from "{{" to the next "}}"; an unclosed "{{" is an error in
//    both modes (`cannot find end tag="}}" ...`);
//  - simple tags are looked up with surrounding whitespace trimmed; unknown
//    ones are kept verbatim (kKeep) or fail with "failed to resolve {{x}}";
//  - `{{=expr}}` sees the scope expanded into nested maps plus Argo's
//    functions (asInt, asFloat, jsonpath, toJson, sprig.*). A string result is
//    inserted as is, anything else as Go's JSON encoding ("3", "[1,2]",
//    "{\"a\":1}"). While the expression names something not in scope the tag
//    is kept if evaluation fails or yields nil (kKeep), or fails with
//    "failed to evaluate expression: x is missing" (kError). Syntax errors
//    fail in both modes.
Result<std::string> substitute(std::string_view text, const Scope& scope,
                               Unresolved mode = Unresolved::kKeep);

// Applies substitute() to every string value inside a JSON value (keys are
// left alone). Errors name the JSON path of the string that failed.
Status substitute_json(Json& value, const Scope& scope, Unresolved mode = Unresolved::kKeep);

// A time.Time an environment may hold (for evaluate_template_condition or
// evaluate_expression with a Json env): expressions compare and subtract it
// (`(now() - t).Seconds()`).
Json time_value(Time t);

// A condition over typed variables, as Argo evaluates a CronWorkflow's
// `when`: `{{=expr}}` tags are evaluated against env and `{{a.b}}` tags
// looked up in it by dotted path (anything unresolved is an error), then
// the text that remains is evaluated as an expr-lang expression against env
// and must give a boolean. now() reads `now`.
Result<bool> evaluate_template_condition(std::string_view text, const Json& env, Time now);
// The syntax of such a condition alone: tags closed, expressions parse.
Status check_template_condition(std::string_view text);

// The names of the simple tags in text, in order ("{{inputs.parameters.x}}"
// -> "inputs.parameters.x"); expression tags are not included.
std::vector<std::string> simple_tags(std::string_view text);

// govaluate, as Argo uses it for `when` after substitution: bare words are
// strings (Argo turns govaluate variables into string literals, so
// `heads == heads` is true), numbers are float64, quoted ISO dates are times.
// Error texts are Argo's: "Invalid 'when' expression '...': ...",
// "Failed to evaluate 'when' condition '...': ...",
// "Expected boolean evaluation for '...'. Got ...".
Result<bool> evaluate_condition(std::string_view expression);

// expr-lang evaluation against an environment object. Integers stay int64
// and floats float64 as in expr-lang ("/" always gives a float). Errors carry
// expr-lang's position form: "message (line:column)\n | source\n | ..^".
Result<Json> evaluate_expression(std::string_view expression, const Json& env);
// The same with the scope expanded into nested maps, plus Argo's functions.
Result<Json> evaluate_expression(std::string_view expression, const Scope& scope);

// The environment an expression sees for a scope: dotted names expanded into
// nested objects ("a.b" = "1" -> {"a": {"b": "1"}}).
Json expand_scope(const Scope& scope);

// Enhanced depends logic ("A && (B.Failed || C.Skipped)").
//
// task_results maps each task name the expression mentions to its outcome:
//   {"Succeeded": bool, "Failed": bool, "Errored": bool, "Skipped": bool,
//    "Omitted": bool, "Daemoned": bool, "AnySucceeded": bool, "AllFailed": bool,
//    "ContinueOnFailed": bool, "ContinueOnError": bool}
// (missing fields are false). A bare task name means
// (T.Succeeded || T.Skipped || T.Daemoned), plus T.Errored / T.Failed when the
// task has continueOn error / failed, as in Argo. Task names may contain '-'.
// The caller decides readiness (every named task fulfilled) before calling.
Result<bool> evaluate_depends(std::string_view depends, const Json& task_results);

// The depends expression with bare task names expanded (Argo's form, used in
// messages), given the same task_results as evaluate_depends.
std::string expand_depends(std::string_view depends, const Json& task_results);

// The task names a depends expression refers to, in order of first appearance
// ("A.Succeeded || B" -> {"A", "B"}).
std::vector<std::string> depends_task_names(std::string_view depends);

// The task names whose results are requested as a group (".AnySucceeded",
// ".AllFailed"): for these the engine fills in the group fields.
std::vector<std::string> depends_item_tasks(std::string_view depends);

}  // namespace skiff::expr

namespace skiff::expr {

// Go's renderings, which Argo's names and values are made of: fmt's %v of a
// decoded JSON value ("a", "1.5", "[a b]", "map[k:v]") and encoding/json's
// Marshal (sorted keys, HTML characters escaped).
std::string format_go_value(const Json& value);
std::string format_go_json(const Json& value);
// JSON text decoded with its nesting bounded: a document nested deeper than
// kMaxJsonDepth is refused, since everything that later walks it recurses.
inline constexpr int kMaxJsonDepth = 512;
Result<Json> parse_json(std::string_view text);
// time.Time.Format with Go's reference layout ("2006-01-02T15:04:05Z07:00"), in UTC.
std::string format_go_time(std::string_view layout, Time t);

}  // namespace skiff::expr
