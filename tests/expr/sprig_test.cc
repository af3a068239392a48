#include <gtest/gtest.h>

#include "expr/expr.h"

namespace skiff::expr {
namespace {

struct Case {
  const char* expression;
  const char* expected;  // JSON text
};

const Json& env() {
  static const Json e = Json::parse(R"({"s": "Hello World", "n": "12", "list": [3, 1, 2], "d": {"a": 1},
                                        "ts": 1709647629, "temps": [21.5, 25, 19.25, 30, 22]})");
  return e;
}

class Sprig : public ::testing::TestWithParam<Case> {};

TEST_P(Sprig, Evaluates) {
  auto result = evaluate_expression(GetParam().expression, env());
  ASSERT_TRUE(result.is_ok()) << GetParam().expression << ": " << result.status().message();
  EXPECT_EQ(result->dump(), Json::parse(GetParam().expected).dump()) << GetParam().expression;
}

INSTANTIATE_TEST_SUITE_P(
    Strings, Sprig,
    ::testing::Values(
        Case{"sprig.upper(s)", "\"HELLO WORLD\""}, Case{"sprig.lower(s)", "\"hello world\""},
        Case{"sprig.title('hello there')", "\"Hello There\""}, Case{"sprig.trim('  x ')", "\"x\""},
        Case{"sprig.trimAll('$', '$5.00$')", "\"5.00\""}, Case{"sprig.trimPrefix('He', s)", "\"llo World\""},
        Case{"sprig.trimSuffix('ld', s)", "\"Hello Wor\""}, Case{"sprig.contains('World', s)", "true"},
        Case{"sprig.hasPrefix('Hell', s)", "true"}, Case{"sprig.hasSuffix('x', s)", "false"},
        Case{"sprig.replace('o', '0', s)", "\"Hell0 W0rld\""}, Case{"sprig.repeat(3, 'ab')", "\"ababab\""},
        Case{"sprig.substr(0, 5, s)", "\"Hello\""}, Case{"sprig.trunc(5, s)", "\"Hello\""},
        Case{"sprig.trunc(-5, s)", "\"World\""}, Case{"sprig.quote('a', 1)", "\"\\\"a\\\" \\\"1\\\"\""},
        Case{"sprig.squote('a')", "\"'a'\""}, Case{"sprig.cat('a', 1, nil, 'b')", "\"a 1 b\""},
        Case{"sprig.indent(2, 'a\\nb')", "\"  a\\n  b\""}, Case{"sprig.nindent(2, 'a')", "\"\\n  a\""},
        Case{"sprig.nospace('a b  c')", "\"abc\""}, Case{"sprig.splitList(',', 'a,b')", "[\"a\",\"b\"]"},
        Case{"sprig.split(',', 'a,b')", "{\"_0\":\"a\",\"_1\":\"b\"}"}, Case{"sprig.join('-', list)", "\"3-1-2\""},
        Case{"sprig.toString(5)", "\"5\""}, Case{"sprig.toStrings([1, 'x'])", "[\"1\",\"x\"]"},
        Case{"sprig.b64enc('hi')", "\"aGk=\""}, Case{"sprig.b64dec('aGk=')", "\"hi\""},
        Case{"sprig.toJson(d)", "\"{\\\"a\\\":1}\""}, Case{"sprig.toPrettyJson(d)", "\"{\\n  \\\"a\\\": 1\\n}\""},
        Case{"sprig.fromJson('{\"x\": 2}').x", "2.0"}, Case{"sprig.regexMatch('^H.*d$', s)", "true"},
        Case{"sprig.regexFind('[0-9]+', 'ab123c45')", "\"123\""},
        Case{"sprig.regexFindAll('[0-9]', 'a1b2c3', 2)", "[\"1\",\"2\"]"},
        Case{"sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "\"-W-xxW-\""},
        Case{"sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '$1W')", "\"---\""},
        Case{"sprig.regexSplit('z+', 'pizza', -1)", "[\"pi\",\"a\"]"},
        Case{"sprig.date('2006', ts)", "\"2024\""}, Case{"sprig.date('2006-01-02 15:04:05', ts)", "\"2024-03-05 14:07:09\""},
        Case{"sprig.date('Jan 2, Mon 3:04PM', ts)", "\"Mar 5, Tue 2:07PM\""}, Case{"sprig.date('2006-01-02', 0)", "\"1970-01-01\""}));

INSTANTIATE_TEST_SUITE_P(
    Collections, Sprig,
    ::testing::Values(
        Case{"sprig.default('x', '')", "\"x\""}, Case{"sprig.default('x', 'y')", "\"y\""}, Case{"sprig.default('x', nil)", "\"x\""},
        Case{"sprig.default(5, 0)", "5"}, Case{"sprig.empty('')", "true"}, Case{"sprig.empty([1])", "false"},
        Case{"sprig.coalesce('', nil, 'z')", "\"z\""}, Case{"sprig.ternary('y', 'n', true)", "\"y\""},
        Case{"sprig.list(1, 'a')", "[1,\"a\"]"}, Case{"sprig.first(list)", "3"}, Case{"sprig.last(list)", "2"},
        Case{"sprig.rest(list)", "[1,2]"}, Case{"sprig.initial(list)", "[3,1]"}, Case{"sprig.append(list, 4)", "[3,1,2,4]"},
        Case{"sprig.prepend(list, 0)", "[0,3,1,2]"}, Case{"sprig.concat(list, [9])", "[3,1,2,9]"},
        Case{"sprig.reverse(list)", "[2,1,3]"}, Case{"sprig.uniq([1, 1, 2])", "[1,2]"}, Case{"sprig.has(1, list)", "true"},
        Case{"sprig.without(list, 1)", "[3,2]"}, Case{"sprig.compact(['a', '', nil])", "[\"a\"]"},
        Case{"sprig.slice(list, 1, 2)", "[1]"}, Case{"sprig.sortAlpha(['b', 'a'])", "[\"a\",\"b\"]"},
        Case{"sprig.until(3)", "[0,1,2]"}, Case{"sprig.untilStep(0, 10, 4)", "[0,4,8]"},
        Case{"sprig.dict('a', 1, 'b', 'x')", "{\"a\":1,\"b\":\"x\"}"}, Case{"sprig.get(d, 'a')", "1"},
        Case{"sprig.get(d, 'zz')", "\"\""}, Case{"sprig.set(d, 'b', 2)", "{\"a\":1,\"b\":2}"},
        Case{"sprig.unset(d, 'a')", "{}"}, Case{"sprig.hasKey(d, 'a')", "true"}, Case{"sprig.keys(d)", "[\"a\"]"},
        Case{"sprig.values(d)", "[1]"}, Case{"sprig.pluck('a', d, {a: 2})", "[1,2]"},
        Case{"sprig.merge({a: 1}, {a: 2, b: 3})", "{\"a\":1,\"b\":3}"}));

INSTANTIATE_TEST_SUITE_P(
    Math, Sprig,
    ::testing::Values(
        Case{"sprig.add(1, 2, 3)", "6"}, Case{"sprig.add(n, 1)", "13"}, Case{"sprig.add(1.9, 1)", "2"},
        Case{"sprig.add('x', 1)", "1"}, Case{"sprig.add1(1)", "2"}, Case{"sprig.sub(5, 7)", "-2"}, Case{"sprig.mul(2, 3, 4)", "24"},
        Case{"sprig.div(7, 2)", "3"}, Case{"sprig.mod(7, 2)", "1"}, Case{"sprig.max(1, 9, 3)", "9"}, Case{"sprig.min(4, 2, 8)", "2"},
        Case{"sprig.addf(1.5, 1)", "2.5"}, Case{"sprig.subf(5, 1.5)", "3.5"}, Case{"sprig.mulf(1.5, 2)", "3.0"},
        Case{"sprig.divf(1, 4)", "0.25"}, Case{"sprig.maxf(1, 2.5)", "2.5"}, Case{"sprig.minf(1, 2.5)", "1.0"},
        Case{"sprig.floor(1.7)", "1.0"}, Case{"sprig.ceil(1.2)", "2.0"}, Case{"sprig.round(3.14159, 2)", "3.14"},
        Case{"sprig.int('42')", "42"}, Case{"sprig.int64(3.7)", "3"}, Case{"sprig.atoi('9')", "9"},
        Case{"sprig.float64('1.5')", "1.5"},
        Case{"sprig.add(temps[0], temps[1], temps[2], temps[3], temps[4]) / 5", "23.4"},
        Case{"sprig.max(temps[0], temps[1], temps[2], temps[3], temps[4])", "30"},
        Case{"sprig.min(temps[0], temps[1], temps[2], temps[3], temps[4])", "19"}));

TEST(SprigErrors, UnknownFunctionAndDivideByZero) {
  auto unknown = evaluate_expression("sprig.nope(1)", env());
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("unknown func sprig.nope"), std::string::npos);
  auto divide = evaluate_expression("sprig.div(1, 0)", env());
  ASSERT_FALSE(divide.is_ok());
  EXPECT_NE(divide.status().message().find("integer divide by zero"), std::string::npos);
}

TEST(SprigInSubstitution, ArgoExampleShapes) {
  Scope scope = {{"inputs.parameters.foo", "3"}, {"workflow.creationTimestamp", "2023-01-02T03:04:05Z"},
                 {"workflow.parameters.weather", R"({"weekWeather":"eyJ0ZW1wcyI6IFszNC4wLCAyNy4wLCAxNS4wLCAxOC4wLCAzMS4wXX0="})"}};
  // sprig.date given a string formats the current time, as sprig does.
  set_clock(scope, Time(std::chrono::seconds(1672628645)));  // 2023-01-02T03:04:05Z
  auto result = substitute("hello {{=asInt(inputs.parameters.foo) * 10}} @ {{=sprig.date('2006', workflow.creationTimestamp)}}", scope);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(*result, "hello 30 @ 2023");
  auto weather = substitute(
      "{{=map([jsonpath(sprig.b64dec(jsonpath(workflow.parameters.weather, '$.weekWeather')), '$.temps')], "
      "{toJson({avg: sprig.add(#[0], #[1], #[2], #[3], #[4]) / 5, min: sprig.min(#[0], #[1], #[2], #[3], #[4]), "
      "max: sprig.max(#[0], #[1], #[2], #[3], #[4])})})[0]}}",
      scope);
  ASSERT_TRUE(weather.is_ok()) << weather.status().message();
  EXPECT_EQ(*weather, R"({"avg":25,"max":34,"min":15})");
}

}  // namespace
}  // namespace skiff::expr
