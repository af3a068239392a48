#include <gtest/gtest.h>

#include "expr/expr.h"

namespace skiff::expr {
namespace {

struct Case {
  const char* expression;
  bool expected;
};

class ConditionTrueFalse : public ::testing::TestWithParam<Case> {};

TEST_P(ConditionTrueFalse, Evaluates) {
  auto result = evaluate_condition(GetParam().expression);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  EXPECT_EQ(*result, GetParam().expected) << GetParam().expression;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConditionTrueFalse,
    ::testing::Values(
        Case{"", true},
        Case{"heads == heads", true},
        Case{"tails == heads", false},
        Case{"heads != tails", true},
        Case{"5 > 3", true},
        Case{"5 < 3", false},
        Case{"10 >= 10", true},
        Case{"2 <= 1", false},
        Case{"9 > 10", false},
        Case{"\"a\" == \"a\"", true},
        Case{"'a' == 'a'", true},
        Case{"'a' == a", true},
        Case{"foo =~ 'f.*'", true},
        Case{"foo =~ '^b'", false},
        Case{"bar !~ '^f'", true},
        Case{"true", true},
        Case{"false", false},
        Case{"!false", true},
        Case{"true && false", false},
        Case{"true || false", true},
        Case{"a == a && b == b", true},
        Case{"a == b || c == c", true},
        Case{"(a == b) || (1 < 2 && 3 > 2)", true},
        Case{"!(1 > 2)", true},
        Case{"1 + 2 == 3", true},
        Case{"2 * 3 - 1 == 5", true},
        Case{"1 - 2 - 3 == -4", true},
        Case{"10 / 4 == 2.5", true},
        Case{"7 % 4 == 3", true},
        Case{"2 ** 3 == 8", true},
        Case{"5 == 5.0", true},
        Case{"05 == 5", true},
        Case{"0x10 == 16", true},
        Case{"'5' == 5", false},
        Case{"5 == '5'", false},
        Case{"a in (a, b, c)", true},
        Case{"d in (a, b, c)", false},
        Case{"2 in (1, 2, 3)", true},
        Case{"'x' + 'y' == xy", true},
        Case{"'n' + 1 == 'n1'", true},
        Case{"abc > abb", true},
        Case{"Succeeded == Succeeded", true},
        Case{"Failed != Succeeded", true},
        Case{"[foo bar] == 'foo bar'", true},
        Case{"true ? true : false", true},
        Case{"false ? true : false", false},
        Case{"'2021-01-02' > '2021-01-01'", true},
        Case{"-1 < 0", true},
        Case{"1 > -1", true},
        Case{"3 & 1 == 1", true},
        Case{"1 << 2 == 4", true},
        Case{"hello_world == hello_world", true},
        Case{"\"hello world\" == 'hello world'", true},
        Case{"'a\\'b' == 'a\\'b'", true},
        // Shapes of Argo's example conditions after substitution.
        Case{"true == true", true},
        Case{"false == true", false},
        Case{"false", false},
        Case{"4 != 1 && 4 != 2", true},
        Case{"2 != 1 && 2 != 2", false},
        Case{"even == even", true},
        Case{"odd == even", false},
        Case{"Succeeded == Succeeded", true},
        Case{"Failed == Failed", true},
        Case{"Error != Succeeded", true},
        Case{"heads =~ hea", true},
        Case{"tails =~ hea", false},
        Case{"3 < 10", true},
        Case{"10 < 10", false},
        Case{"YES == YES", true},
        Case{"NO == YES", false},
        Case{"9 < 10.5", true},
        Case{"1.5 == 1.50", true}));

struct ErrorCase {
  const char* expression;
  const char* message;
};

class ConditionErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConditionErrors, Reports) {
  auto result = evaluate_condition(GetParam().expression);
  ASSERT_FALSE(result.is_ok()) << GetParam().expression << " gave " << *result;
  EXPECT_EQ(result.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConditionErrors,
    ::testing::Values(
        ErrorCase{"1 = 1",
                  "Invalid 'when' expression '1 = 1': Invalid token: '=' (hint: try wrapping the affected expression in quotes (\"))"},
        ErrorCase{"hello-world == hello-world",
                  "Failed to evaluate 'when' condition 'hello-world == hello-world': Value 'hello' cannot be used with the modifier '-', it is not a number"},
        ErrorCase{"10 > 5 &&", "Invalid 'when' expression '10 > 5 &&': Unexpected end of expression"},
        ErrorCase{"(1 > 2", "Invalid 'when' expression '(1 > 2': Unbalanced parenthesis"},
        ErrorCase{"a == 'b", "Invalid 'when' expression 'a == 'b': Unclosed string literal"},
        ErrorCase{"127.0.0.1 == x",
                  "Invalid 'when' expression '127.0.0.1 == x': Unable to parse numeric value '127.0.0.1' to float64\n"},
        ErrorCase{"> 10", "Invalid 'when' expression '> 10': Cannot transition token types from UNKNOWN [<nil>] to COMPARATOR [>]"},
        ErrorCase{"10 10", "Invalid 'when' expression '10 10': Cannot transition token types from NUMERIC [10] to NUMERIC [10]"},
        ErrorCase{"foo.bar == x", "Failed to evaluate 'when' condition 'foo.bar == x': No parameter 'foo' found."},
        ErrorCase{"foo. == x", "Invalid 'when' expression 'foo. == x': Hanging accessor on token 'foo.'"},
        ErrorCase{"!foo", "Failed to parse 'when' expression '!foo': Cannot transition token types from PREFIX [!] to STRING [foo]"},
        ErrorCase{"heads", "Expected boolean evaluation for 'heads'. Got heads"},
        ErrorCase{"1 + 1", "Expected boolean evaluation for '1 + 1'. Got 2"},
        ErrorCase{"a > 1", "Failed to evaluate 'when' condition 'a > 1': Value 'a' cannot be used with the comparator '>', it is not a number"},
        ErrorCase{"1 && true", "Failed to evaluate 'when' condition '1 && true': Value '1' cannot be used with the logical operator '&&', it is not a bool"},
        ErrorCase{"foobar()", "Invalid 'when' expression 'foobar()': Undefined function foobar"},
        ErrorCase{"[foo == x", "Invalid 'when' expression '[foo == x': Unclosed parameter bracket"},
        ErrorCase{"'it''s' == its", "Invalid 'when' expression ''it''s' == its': Cannot transition token types from STRING [it] to STRING [s]"},
        ErrorCase{"\"a'b\" == x", "Invalid 'when' expression '\"a'b\" == x': Unclosed string literal"}));

TEST(ConditionLimits, DeepNestingIsAnError) {
  std::string deep(5000, '(');
  deep += "true";
  deep += std::string(5000, ')');
  auto result = evaluate_condition(deep);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("nested too deeply"), std::string::npos);
}

TEST(ConditionLimits, LongChainIsAnError) {
  std::string chain = "1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  chain += " > 0";
  auto result = evaluate_condition(chain);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace skiff::expr
