#include <gtest/gtest.h>

#include "expr/expr.h"

namespace skiff::expr {
namespace {

const Scope& test_scope() {
  static const Scope scope = {
      {"inputs.parameters.message", "hello world"},
      {"inputs.parameters.foo", "7"},
      {"inputs.parameters.should-print", "true"},
      {"inputs.parameters.json", R"([{"value":"true"}])"},
      {"workflow.name", "wf-abc"},
      {"workflow.parameters.config", R"({"a":"1","b":2,"employees":[{"name":"Baris","age":43},{"name":"Mo","age":30}]})"},
      {"steps.flip-coin.outputs.result", "heads"},
      {"tasks.A.outputs.parameters.x", "line1\nline2"},
      {"item", "blue"},
      {"empty", ""},
  };
  return scope;
}

struct Case {
  const char* text;
  const char* expected;
};

class SubstituteKeep : public ::testing::TestWithParam<Case> {};

TEST_P(SubstituteKeep, Replaces) {
  auto result = substitute(GetParam().text, test_scope(), Unresolved::kKeep);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(*result, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SubstituteKeep,
    ::testing::Values(
        Case{"no tags here", "no tags here"},
        Case{"", ""},
        Case{"{{inputs.parameters.message}}", "hello world"},
        Case{"say {{inputs.parameters.message}}!", "say hello world!"},
        Case{"{{ inputs.parameters.message }}", "hello world"},
        Case{"{{\tinputs.parameters.message\n}}", "hello world"},
        Case{"{{inputs.parameters.missing}}", "{{inputs.parameters.missing}}"},
        Case{"{{ inputs.parameters.missing }}", "{{ inputs.parameters.missing }}"},
        Case{"a {{x}} b {{workflow.name}}", "a {{x}} b wf-abc"},
        Case{"{{steps.flip-coin.outputs.result}}", "heads"},
        Case{"{{tasks.A.outputs.parameters.x}}", "line1\nline2"},
        Case{"{{item}}-{{item}}", "blue-blue"},
        Case{"{{empty}}", ""},
        Case{"{{workflow.name}}}", "wf-abc}"},
        Case{"{{{workflow.name}}", "{{{workflow.name}}"},
        Case{"{{ {{item}} }}", "{{ blue }}"},
        Case{"}} stray", "}} stray"},
        Case{"{{}}", "{{}}"},
        // Expression tags.
        Case{"{{=inputs.parameters.message}}", "hello world"},
        Case{"{{=asInt(inputs.parameters.foo) * 10}}", "70"},
        Case{"{{= asInt(inputs.parameters.foo) + 1 }}", "8"},
        Case{"{{=inputs.parameters['should-print'] == 'true'}}", "true"},
        Case{"{{= inputs.parameters[\"should-print\"] == 'true'}}", "true"},
        Case{"{{=1 + 2}}", "3"},
        Case{"{{=1.5 * 2}}", "3"},
        Case{"{{=10 / 4}}", "2.5"},
        Case{"{{=1e21}}", "1e+21"},
        Case{"{{=1000000.0}}", "1000000"},
        Case{"{{='a' + 'b'}}", "ab"},
        Case{"{{=[1, 2, 'x']}}", "[1,2,\"x\"]"},
        Case{"{{={'b': 1, 'a': '<x>'} }}", "{\"a\":\"\\u003cx\\u003e\",\"b\":1}"},
        Case{"{{=item == 'blue' ? 'yes' : 'no'}}", "yes"},
        Case{"{{=jsonpath(inputs.parameters.json, '$[0].value') == 'true'}}", "true"},
        Case{"{{=toJson({'a': [1, 2]})}}", "{\"a\":[1,2]}"},
        Case{"{{=workflow.name | upper()}}", "WF-ABC"},
        // Unknown names keep the tag until the value is known.
        Case{"{{=inputs.parameters.missing}}", "{{=inputs.parameters.missing}}"},
        Case{"{{=asInt(retries) + 1}}", "{{=asInt(retries) + 1}}"},
        Case{"x {{=workflow.status == 'Succeeded' ? 'ok' : 'bad'}} y", "x {{=workflow.status == 'Succeeded' ? 'ok' : 'bad'}} y"},
        Case{"{{=nothing ?? 'default'}}", "default"},
        // Shapes from Argo's expression-tag documentation.
        Case{"{{=sprig.trim(inputs.parameters['message'])}}", "hello world"},
        Case{"{{=filter([1, 3], {# > 1})}}", "[3]"},
        Case{"{{=map([1, 2], {# * 2})}}", "[2,4]"},
        Case{"{{=steps['flip-coin'].outputs.result == 'heads'}}", "true"},
        Case{"{{=sprig.upper(item)}}", "BLUE"},
        Case{"{{=toJson(filter([{'n': 1}, {'n': 5}], {#.n > 2}))}}", "[{\"n\":5}]"},
        Case{"{{=10 / 5}}", "2"},
        Case{"{{=0.1 + 0.2}}", "0.30000000000000004"},
        Case{"{{=1e-7}}", "1e-7"},
        Case{"{{=true}}", "true"}));

struct ErrorCase {
  const char* text;
  Unresolved mode;
  const char* message;
};

class SubstituteErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SubstituteErrors, Reports) {
  auto result = substitute(GetParam().text, test_scope(), GetParam().mode);
  ASSERT_FALSE(result.is_ok()) << *result;
  EXPECT_EQ(result.status().code(), Code::kInvalidArgument);
  EXPECT_NE(result.status().message().find(GetParam().message), std::string::npos) << result.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SubstituteErrors,
    ::testing::Values(
        ErrorCase{"{{inputs.parameters.missing}}", Unresolved::kError, "failed to resolve {{inputs.parameters.missing}}"},
        ErrorCase{"{{ spaced }}", Unresolved::kError, "failed to resolve {{ spaced }}"},
        ErrorCase{"unclosed {{tag", Unresolved::kKeep, "cannot find end tag=\"}}\""},
        ErrorCase{"unclosed {{tag", Unresolved::kError, "starting from \"tag\""},
        ErrorCase{"{{=inputs.parameters.missing}}", Unresolved::kError,
                  "failed to evaluate expression: inputs.parameters.missing is missing"},
        ErrorCase{"{{=1 +}}", Unresolved::kKeep, "failed to evaluate expression: unexpected end of expression (1:4)"},
        ErrorCase{"{{='a' + 1}}", Unresolved::kKeep, "invalid operation: string + int"},
        ErrorCase{"{{={'a': 1}}}", Unresolved::kKeep, "unexpected token EOF (1:8)"},
        ErrorCase{"{{=nil}}", Unresolved::kKeep, "failed to evaluate expression \"nil\""},
        ErrorCase{"{{=1/0.0 > 0 ? 1/0.0 : 0}}", Unresolved::kKeep, "json: unsupported value: +Inf"}));

TEST(SubstituteJson, ReplacesStringsAndKeepsKeys) {
  Json doc = Json::parse(R"({"{{item}}": "{{item}}", "list": ["{{workflow.name}}", 3, {"deep": "{{empty}}x"}]})");
  ASSERT_TRUE(substitute_json(doc, test_scope()).is_ok());
  EXPECT_EQ(doc, Json::parse(R"({"{{item}}": "blue", "list": ["wf-abc", 3, {"deep": "x"}]})"));
}

TEST(SubstituteJson, ErrorNamesPath) {
  Json doc = Json::parse(R"({"spec": {"args": ["ok", "{{nope}}"]}})");
  Status status = substitute_json(doc, test_scope(), Unresolved::kError);
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.message(), "spec.args[1]: failed to resolve {{nope}}");
}

TEST(SimpleTags, ListsSimpleTagsOnly) {
  EXPECT_EQ(simple_tags("a {{x.y}} {{=z}} {{ w }} {{unclosed"), (std::vector<std::string>{"x.y", "w"}));
  EXPECT_TRUE(simple_tags("nothing").empty());
}

TEST(ExpandScope, NestsDottedNames) {
  Json env = expand_scope({{"a.b", "1"}, {"a.c.d", "2"}, {"a", "3"}, {"ab", "4"}, {"abb", "5"}});
  EXPECT_EQ(env, Json::parse(R"({"a": {"b": "1", "c": {"d": "2"}}, "ab": "4", "abb": "5"})"));
}

TEST(ExpandScope, ParentWithChildrenGivesWay) {
  Json env = expand_scope({{"inputs.parameters", "[]"}, {"inputs.parameters.x", "1"}});
  EXPECT_EQ(env, Json::parse(R"({"inputs": {"parameters": {"x": "1"}}})"));
}

}  // namespace
}  // namespace skiff::expr
