#include <gtest/gtest.h>

#include "expr/expr.h"

namespace skiff::expr {
namespace {

const Json& test_env() {
  static const Json env = Json::parse(R"({
    "n": 7, "f": 2.5, "s": "hello", "t": true, "z": null,
    "list": [1, 2, 3, 4], "words": ["b", "a", "c"],
    "people": [{"name": "ann", "age": 30}, {"name": "bob", "age": 17}],
    "m": {"a": 1, "b-c": "dash", "nested": {"x": "y"}},
    "inputs": {"parameters": {"foo": "42", "should-print": "true", "json": "{\"a\":[1,2]}"}}
  })");
  return env;
}

struct Case {
  const char* expression;
  const char* expected;  // JSON text; numbers keep their int/float kind
};

class ExprValues : public ::testing::TestWithParam<Case> {};

TEST_P(ExprValues, Evaluates) {
  auto result = evaluate_expression(GetParam().expression, test_env());
  ASSERT_TRUE(result.is_ok()) << GetParam().expression << ": " << result.status().message();
  EXPECT_EQ(result->dump(), Json::parse(GetParam().expected).dump()) << GetParam().expression;
}

INSTANTIATE_TEST_SUITE_P(
    Literals, ExprValues,
    ::testing::Values(
        Case{"1", "1"}, Case{"1.5", "1.5"}, Case{"1e3", "1000.0"}, Case{"1_000", "1000"}, Case{"0x1F", "31"},
        Case{"0b101", "5"}, Case{"0o17", "15"}, Case{"'single'", "\"single\""}, Case{"\"double\"", "\"double\""},
        Case{"\"a\\nb\"", "\"a\\nb\""}, Case{"'it\\'s'", "\"it's\""}, Case{"\"\\u00e9\"", "\"\\u00e9\""},
        Case{"`raw\\n`", "\"raw\\\\n\""}, Case{"nil", "null"}, Case{"true", "true"}, Case{"false", "false"},
        Case{"[1, 'a', nil]", "[1, \"a\", null]"}, Case{"[]", "[]"}, Case{"{a: 1, 'b': 2}", "{\"a\":1,\"b\":2}"},
        Case{"{}", "{}"}, Case{"[1, 2,]", "[1, 2]"}, Case{"/* note */ 1 // trailing", "1"}));

INSTANTIATE_TEST_SUITE_P(
    Arithmetic, ExprValues,
    ::testing::Values(
        Case{"1 + 2", "3"}, Case{"1 + 2.0", "3.0"}, Case{"7 - 10", "-3"}, Case{"3 * 4", "12"},
        Case{"10 / 4", "2.5"}, Case{"10 / 5", "2.0"}, Case{"10 % 3", "1"}, Case{"-7 % 3", "-1"},
        Case{"2 ** 10", "1024.0"}, Case{"2 ^ 3", "8.0"}, Case{"2 ** 3 ** 2", "512.0"}, Case{"-n", "-7"},
        Case{"+n", "7"}, Case{"-f", "-2.5"}, Case{"1 + 2 * 3", "7"}, Case{"(1 + 2) * 3", "9"},
        Case{"n * f", "17.5"}, Case{"'a' + 'b'", "\"ab\""}, Case{"s + ' world'", "\"hello world\""},
        Case{"9223372036854775807 + 1", "-9223372036854775808"}, Case{"1 - 2 - 3", "-4"}, Case{"100 / 10 / 5", "2.0"}));

INSTANTIATE_TEST_SUITE_P(
    Comparison, ExprValues,
    ::testing::Values(
        Case{"1 == 1", "true"}, Case{"1 == 1.0", "true"}, Case{"1 != 2", "true"}, Case{"'a' == 'a'", "true"},
        Case{"'1' == 1", "false"}, Case{"nil == nil", "true"}, Case{"z == nil", "true"}, Case{"n > 5", "true"},
        Case{"n >= 7", "true"}, Case{"n < 7", "false"}, Case{"f <= 2.5", "true"}, Case{"'abc' < 'abd'", "true"},
        Case{"[1, 2] == [1, 2]", "true"}, Case{"{a: 1} == {a: 1}", "true"}, Case{"true == true", "true"},
        Case{"inputs.parameters.foo == '42'", "true"}, Case{"inputs.parameters.foo == 42", "false"}));

INSTANTIATE_TEST_SUITE_P(
    Logic, ExprValues,
    ::testing::Values(
        Case{"true && false", "false"}, Case{"true and true", "true"}, Case{"false || true", "true"},
        Case{"false or false", "false"}, Case{"!true", "false"}, Case{"not false", "true"},
        Case{"not (1 > 2)", "true"}, Case{"false && undefinedName", "false"}, Case{"true || undefinedName", "true"},
        Case{"t ? 'yes' : 'no'", "\"yes\""}, Case{"!t ? 'yes' : 'no'", "\"no\""},
        Case{"n > 5 ? n > 6 ? 'big' : 'mid' : 'small'", "\"big\""}, Case{"z ?? 'dflt'", "\"dflt\""},
        Case{"s ?? 'dflt'", "\"hello\""}, Case{"m.missing ?? 3", "3"}, Case{"z?.field", "null"},
        Case{"z?.a.b", "null"}, Case{"m?.a", "1"}, Case{"m.nothing?.x", "null"}));

INSTANTIATE_TEST_SUITE_P(
    Membership, ExprValues,
    ::testing::Values(
        Case{"2 in list", "true"}, Case{"9 in list", "false"}, Case{"9 not in list", "true"},
        Case{"'a' in m", "true"}, Case{"'zz' in m", "false"}, Case{"'ell' in ['ell']", "true"},
        Case{"s contains 'ell'", "true"}, Case{"s not contains 'x'", "true"}, Case{"s startsWith 'he'", "true"},
        Case{"s endsWith 'lo'", "true"}, Case{"s matches '^h.*o$'", "true"}, Case{"s matches 'x'", "false"},
        Case{"s not matches 'x'", "true"}, Case{"'HeLLo' matches '(?i)hello'", "true"},
        Case{"1..4", "[1,2,3,4]"}, Case{"3..1", "[]"}, Case{"1 in 0..2", "true"}));

INSTANTIATE_TEST_SUITE_P(
    Access, ExprValues,
    ::testing::Values(
        Case{"m.a", "1"}, Case{"m['a']", "1"}, Case{"m[\"b-c\"]", "\"dash\""}, Case{"m.nested.x", "\"y\""},
        Case{"m.missing", "null"}, Case{"list[0]", "1"}, Case{"list[-1]", "4"}, Case{"list[1:3]", "[2,3]"},
        Case{"list[:2]", "[1,2]"}, Case{"list[2:]", "[3,4]"}, Case{"list[-2:]", "[3,4]"}, Case{"list[1:99]", "[2,3,4]"},
        Case{"s[1:3]", "\"el\""}, Case{"s[0]", "104"}, Case{"people[1].name", "\"bob\""},
        Case{"inputs.parameters['should-print'] == 'true'", "true"}, Case{"let x = 2; x * n", "14"}));

INSTANTIATE_TEST_SUITE_P(
    Builtins, ExprValues,
    ::testing::Values(
        Case{"len(list)", "4"}, Case{"len(s)", "5"}, Case{"len(m)", "3"}, Case{"abs(-3)", "3"}, Case{"abs(-2.5)", "2.5"},
        Case{"ceil(1.2)", "2.0"}, Case{"floor(1.8)", "1.0"}, Case{"round(2.5)", "3.0"}, Case{"int('42')", "42"},
        Case{"int(3.9)", "3"}, Case{"float('1.5')", "1.5"}, Case{"float(2)", "2.0"}, Case{"string(12)", "\"12\""},
        Case{"string(1.5)", "\"1.5\""}, Case{"string([1, 'a'])", "\"[1 a]\""}, Case{"string({a: 1})", "\"map[a:1]\""},
        Case{"string(nil)", "\"<nil>\""}, Case{"string(1000000.0)", "\"1e+06\""}, Case{"string(123456.0)", "\"123456\""},
        Case{"string(0.0001)", "\"0.0001\""}, Case{"string(0.00001)", "\"1e-05\""}, Case{"string(-2.5e10)", "\"-2.5e+10\""},
        Case{"string(true)", "\"true\""}, Case{"upper(s)", "\"HELLO\""}, Case{"lower('AbC')", "\"abc\""},
        Case{"trim('  x  ')", "\"x\""}, Case{"trim('xxaxx', 'x')", "\"a\""}, Case{"trimPrefix('foobar', 'foo')", "\"bar\""},
        Case{"trimSuffix('foobar', 'bar')", "\"foo\""}, Case{"split('a,b,c', ',')", "[\"a\",\"b\",\"c\"]"},
        Case{"split('a,b,c', ',', 2)", "[\"a\",\"b,c\"]"}, Case{"replace('aaa', 'a', 'b')", "\"bbb\""},
        Case{"repeat('ab', 3)", "\"ababab\""}, Case{"join(words, '-')", "\"b-a-c\""}, Case{"join(['x', 'y'])", "\"xy\""},
        Case{"indexOf('hello', 'l')", "2"}, Case{"lastIndexOf('hello', 'l')", "3"}, Case{"hasPrefix(s, 'he')", "true"},
        Case{"hasSuffix(s, 'x')", "false"}, Case{"max(1, 5, 3)", "5"}, Case{"min(2.5, 1)", "1"}, Case{"max(list)", "4"},
        Case{"mean(list)", "2.5"}, Case{"median([3, 1, 2])", "2.0"}, Case{"sum(list)", "10"}, Case{"sum([1, 2.5])", "3.5"},
        Case{"first(list)", "1"}, Case{"last(list)", "4"}, Case{"first([])", "null"}, Case{"get(m, 'a')", "1"},
        Case{"get(list, 10)", "null"}, Case{"keys({b: 1, a: 2})", "[\"a\",\"b\"]"}, Case{"values({b: 1, a: 2})", "[2,1]"},
        Case{"toPairs({a: 1})", "[[\"a\",1]]"}, Case{"fromPairs([['a', 1]])", "{\"a\":1}"},
        Case{"concat([1], [2, 3])", "[1,2,3]"}, Case{"flatten([1, [2, [3]]])", "[1,2,3]"}, Case{"uniq([1, 1, 2])", "[1,2]"},
        Case{"reverse(list)", "[4,3,2,1]"}, Case{"sort(words)", "[\"a\",\"b\",\"c\"]"}, Case{"sort(list, 'desc')", "[4,3,2,1]"},
        Case{"take(list, 2)", "[1,2]"}, Case{"type(1)", "\"int\""}, Case{"type(s)", "\"string\""},
        Case{"toJSON({a: [1, 2]})", "\"{\\n  \\\"a\\\": [\\n    1,\\n    2\\n  ]\\n}\""}, Case{"toJSON('<')", "\"\\\"\\\\u003c\\\"\""},
        Case{"fromJSON('{\"a\": 1}')", "{\"a\":1.0}"}, Case{"fromJSON(inputs.parameters.json).a[1]", "2.0"},
        Case{"toBase64('hello')", "\"aGVsbG8=\""}, Case{"fromBase64('aGVsbG8=')", "\"hello\""},
        Case{"bitand(6, 3)", "2"}, Case{"bitor(4, 1)", "5"}, Case{"bitnot(0)", "-1"}, Case{"s | upper()", "\"HELLO\""},
        Case{"list | map(# * 2)", "[2,4,6,8]"}));

INSTANTIATE_TEST_SUITE_P(
    Predicates, ExprValues,
    ::testing::Values(
        Case{"filter(list, # > 2)", "[3,4]"}, Case{"filter(list, {# % 2 == 0})", "[2,4]"},
        Case{"map(list, # * 10)", "[10,20,30,40]"}, Case{"map(people, .name)", "[\"ann\",\"bob\"]"},
        Case{"map(people, {#.age})", "[30,17]"}, Case{"all(list, # > 0)", "true"}, Case{"all(list, # > 1)", "false"},
        Case{"any(list, # == 3)", "true"}, Case{"none(list, # > 9)", "true"}, Case{"one(list, # == 1)", "true"},
        Case{"count(list, # > 1)", "3"}, Case{"find(people, .age < 18).name", "\"bob\""},
        Case{"findIndex(list, # == 3)", "2"}, Case{"findLast(list, # < 3)", "2"}, Case{"findLastIndex(list, # < 3)", "1"},
        Case{"find(list, # > 9)", "null"}, Case{"sum(people, .age)", "47"}, Case{"map(list, #index)", "[0,1,2,3]"},
        Case{"reduce(list, #acc + #)", "10"}, Case{"reduce(list, #acc + #, 100)", "110"},
        Case{"groupBy(people, .age > 18)", "{\"false\":[{\"age\":17,\"name\":\"bob\"}],\"true\":[{\"age\":30,\"name\":\"ann\"}]}"},
        Case{"sortBy(people, .age)[0].name", "\"bob\""}, Case{"map(filter(list, # > 1), # + 1)", "[3,4,5]"},
        Case{"map([[1, 2], [3]], len(#))", "[2,1]"}, Case{"filter(map(list, {{n: #}}), .n > 3)", "[{\"n\":4}]"}));

INSTANTIATE_TEST_SUITE_P(
    ArgoFunctions, ExprValues,
    ::testing::Values(
        Case{"asInt(inputs.parameters.foo) * 10", "420"}, Case{"asFloat('2.5') * 2", "5.0"},
        Case{"toJson({a: 1, b: [true]})", "\"{\\\"a\\\":1,\\\"b\\\":[true]}\""}, Case{"toJson('x')", "\"\\\"x\\\"\""},
        Case{"toJson(1.0)", "\"1\""}));

struct ErrorCase {
  const char* expression;
  const char* message;
};

class ExprErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ExprErrors, Reports) {
  auto result = evaluate_expression(GetParam().expression, test_env());
  ASSERT_FALSE(result.is_ok()) << GetParam().expression << " gave " << result->dump();
  EXPECT_EQ(result.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ExprErrors,
    ::testing::Values(
        ErrorCase{"1 +", "unexpected end of expression (1:4)\n | 1 +\n | ...^"},
        ErrorCase{"(1", "unexpected token EOF (1:3)\n | (1\n | ..^"},
        ErrorCase{"1 2", "unexpected token Number(\"2\") (1:3)\n | 1 2\n | ..^"},
        ErrorCase{"'abc", "literal not terminated (1:1)\n | 'abc\n | ^"},
        ErrorCase{"a @ b", "unrecognized character: U+0040 '@' (1:3)\n | a @ b\n | ..^"},
        ErrorCase{"unknown", "unknown name unknown (1:1)\n | unknown\n | ^"},
        ErrorCase{"'a' + 1", "invalid operation: string + int (1:5)\n | 'a' + 1\n | ....^"},
        ErrorCase{"s > 1", "invalid operation: string > int (1:3)\n | s > 1\n | ..^"},
        ErrorCase{"1 % 0", "integer divide by zero (1:3)\n | 1 % 0\n | ..^"},
        ErrorCase{"1.5 % 2", "invalid operation: float64 % int (1:5)\n | 1.5 % 2\n | ....^"},
        ErrorCase{"list[9]", "index out of range: 9 (array length is 4) (1:5)\n | list[9]\n | ....^"},
        ErrorCase{"z.field", "cannot fetch field from <nil> (1:2)\n | z.field\n | .^"},
        ErrorCase{"int('x')", "strconv.Atoi: parsing \"x\": invalid syntax (1:1)\n | int('x')\n | ^"},
        ErrorCase{"nope(1)", "unknown func nope (1:1)\n | nope(1)\n | ^"},
        ErrorCase{"n ? 1 : 2", "non-bool expression (type int) used as condition (1:3)\n | n ? 1 : 2\n | ..^"},
        ErrorCase{"1 in 's'", "operator \"in\" not defined on string (1:3)\n | 1 in 's'\n | ..^"},
        ErrorCase{"len(1)", "invalid argument for len (type int) (1:1)\n | len(1)\n | ^"},
        ErrorCase{"1 +\n 2 * 'x'", "invalid operation: int * string (2:4)\n |  2 * 'x'\n | ...^"}));

TEST(ExprErrorsRegex, BadPatternNamesThePattern) {
  auto result = evaluate_expression("s matches '['", test_env());
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().message().rfind("error parsing regexp: ", 0), 0u) << result.status().message();
  EXPECT_NE(result.status().message().find("`[` (1:3)"), std::string::npos) << result.status().message();
}

TEST(ExprLimits, DeepNesting) {
  std::string deep(10000, '(');
  deep += "1";
  deep += std::string(10000, ')');
  auto result = evaluate_expression(deep, test_env());
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("nested too deeply"), std::string::npos);
}

TEST(ExprLimits, LongOperatorChain) {
  std::string chain = "1";
  for (int i = 0; i < 50000; ++i) chain += "+1";
  auto result = evaluate_expression(chain, test_env());
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("nested too deeply"), std::string::npos);
}

TEST(ExprLimits, HugeRangeIsCapped) {
  auto result = evaluate_expression("1..100000000", test_env());
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("result too large"), std::string::npos);
}

TEST(ExprLimits, ExpensiveNestingIsCapped) {
  auto result = evaluate_expression("map(1..5000, map(1..5000, #))", test_env());
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("too expensive"), std::string::npos);
}

TEST(ExprLimits, HugeRepeatIsCapped) {
  auto result = evaluate_expression("repeat('x', 100000000000)", test_env());
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("result too large"), std::string::npos);
}

TEST(ExprLimits, HugeLiteralsDoNotCrash) {
  EXPECT_FALSE(evaluate_expression("99999999999999999999999", test_env()).is_ok());
  auto big_float = evaluate_expression("1e400", test_env());
  ASSERT_TRUE(big_float.is_ok());
  std::string long_string = "'" + std::string(1 << 20, 'a') + "'";
  auto result = evaluate_expression("len(" + long_string + ")", test_env());
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(*result, Json(1 << 20));
}

TEST(ExprScope, ExpandsDottedNames) {
  Scope scope = {{"inputs.parameters.x", "5"}, {"workflow.name", "wf"}};
  auto result = evaluate_expression("asInt(inputs.parameters.x) + 1 == 6 && workflow.name == 'wf'", scope);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(*result, Json(true));
}

}  // namespace
}  // namespace skiff::expr

namespace skiff::expr {
namespace {

const char* kConfig = R"({"a": "x", "b": 2, "employees": [{"name": "Baris", "age": 43}, {"name": "Mo", "age": 30}, {"name": "Lee", "age": 50}], "nested": {"deep": {"v": true}}})";

class JsonPath : public ::testing::TestWithParam<Case> {};

TEST_P(JsonPath, Queries) {
  Json env = {{"config", kConfig}};
  std::string expression = std::string("jsonpath(config, '") + GetParam().expression + "')";
  auto result = evaluate_expression(expression, env);
  ASSERT_TRUE(result.is_ok()) << expression << ": " << result.status().message();
  EXPECT_EQ(result->dump(), Json::parse(GetParam().expected).dump()) << expression;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonPath,
    ::testing::Values(
        Case{"$.a", "\"x\""}, Case{"$.b", "2.0"}, Case{"$.employees[0].name", "\"Baris\""},
        Case{"$.employees[-1].age", "50.0"}, Case{"$[\"a\"]", "\"x\""}, Case{"$.nested.deep.v", "true"},
        Case{"$.employees[*].name", "[\"Baris\",\"Mo\",\"Lee\"]"},
        Case{"$.employees[0:1]", "[{\"age\":43.0,\"name\":\"Baris\"}]"},
        Case{"$.employees[?(@.age>42 && @.age<44)].age", "[43.0]"},
        Case{"$.employees[?(@.name==\"Baris\")].age", "[43.0]"},
        Case{"$.employees[?(@.age > 40)].name", "[\"Baris\",\"Lee\"]"},
        Case{"$.employees[0,2].name", "[\"Baris\",\"Lee\"]"}, Case{"$..v", "[true]"},
        Case{"$.employees[?(@.age < 35 || @.name == \"Lee\")].name", "[\"Mo\",\"Lee\"]"}));

TEST(JsonPathErrors, MissingKeyAndBadJson) {
  Json env = {{"config", kConfig}, {"bad", "{not json"}};
  EXPECT_FALSE(evaluate_expression("jsonpath(config, '$.missing')", env).is_ok());
  EXPECT_FALSE(evaluate_expression("jsonpath(bad, '$.a')", env).is_ok());
  EXPECT_FALSE(evaluate_expression("jsonpath(config, 'a')", env).is_ok());
}

}  // namespace
}  // namespace skiff::expr

namespace skiff::expr {
namespace {

// A CronWorkflow's `when`: typed variables (a time, or nil before the first
// run), substituted and then evaluated as a boolean.
TEST(TemplateCondition, TypedVariablesAndNow) {
  const Time now = Time(std::chrono::seconds(1767225600));
  Json env = {{"cronworkflow", {{"name", "nightly"}, {"failed", 2}, {"lastScheduledTime", nullptr},
                                {"labels", {{"team", "data"}}}}}};
  const char* recent = "{{= cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360 }}";
  auto first = evaluate_template_condition(recent, env, now);
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_TRUE(*first);
  env["cronworkflow"]["lastScheduledTime"] = time_value(now - std::chrono::seconds(60));
  auto soon = evaluate_template_condition(recent, env, now);
  ASSERT_TRUE(soon.is_ok()) << soon.status().message();
  EXPECT_FALSE(*soon);
  env["cronworkflow"]["lastScheduledTime"] = time_value(now - std::chrono::seconds(600));
  EXPECT_TRUE(*evaluate_template_condition(recent, env, now));

  EXPECT_TRUE(*evaluate_template_condition("cronworkflow.failed < 3", env, now));
  EXPECT_FALSE(*evaluate_template_condition("{{= cronworkflow.failed >= 3 }}", env, now));
  EXPECT_TRUE(*evaluate_template_condition("'{{cronworkflow.labels.team}}' == 'data'", env, now));
  EXPECT_TRUE(*evaluate_template_condition("true", env, now));

  auto not_bool = evaluate_template_condition("{{= cronworkflow.name }}", env, now);
  EXPECT_FALSE(not_bool.is_ok());
  auto missing = evaluate_template_condition("{{= cronworkflow.nope > 1 }}", env, now);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("cronworkflow.nope"), std::string::npos) << missing.status().message();
}

TEST(TemplateCondition, SyntaxChecked) {
  EXPECT_TRUE(check_template_condition("{{= cronworkflow.failed < 3 }}").is_ok());
  EXPECT_TRUE(check_template_condition("cronworkflow.failed < 3").is_ok());
  EXPECT_FALSE(check_template_condition("{{= cronworkflow.failed < }}").is_ok());
  EXPECT_FALSE(check_template_condition("{{= true ").is_ok());
  EXPECT_FALSE(check_template_condition("a <").is_ok());
}

}  // namespace
}  // namespace skiff::expr
