// Random token soup through every evaluator: each call must return a value
// or an error, never crash, hang or trip the sanitizers.
#include <gtest/gtest.h>

#include <random>

#include "expr/expr.h"

namespace skiff::expr {
namespace {

std::string random_expression(std::mt19937& rng) {
  static const char* kPieces[] = {
      "1", "2.5", "0x1F", "-", "+", "*", "/", "%", "**", "^", "==", "!=", "<", ">=", "&&", "||", "!", "not ",
      " and ", " or ", " in ", " matches ", " contains ", "?", ":", "??", "?.", ".", "..", "(", ")", "[", "]", "{",
      "}", ",", "#", "#index", "'a'", "\"b\"", "`c`", "'", "\"", "\\", "x", "m", "list", "len(", "filter(", "map(",
      "sprig.upper(", "sprig.add(", "jsonpath(", "toJson(", "asInt(", "int(", "let v = 1; ", " ", "{{", "}}", "{{=",
      "[a b]", "=~", "nil", "true", "1e999", "99999999999999999999", "~", "<<", ">>", "$", "@", ";", "|"};
  std::uniform_int_distribution<size_t> piece(0, sizeof(kPieces) / sizeof(kPieces[0]) - 1);
  std::uniform_int_distribution<int> length(1, 24);
  std::string out;
  for (int i = length(rng); i > 0; --i) out += kPieces[piece(rng)];
  return out;
}

TEST(Hostile, RandomInputNeverCrashes) {
  std::mt19937 rng(20240501);
  const Json env = Json::parse(R"({"x": 3, "m": {"a": [1, 2]}, "list": [1, "a", null]})");
  const Scope scope = {{"x", "3"}, {"m.a", "[1,2]"}};
  int ok = 0, errors = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string text = random_expression(rng);
    auto value = evaluate_expression(text, env);
    auto condition = evaluate_condition(text);
    auto replaced = substitute("{{=" + text + "}} {{" + text + "}}", scope);
    for (bool good : {value.is_ok(), condition.is_ok(), replaced.is_ok()}) (good ? ok : errors)++;
    if (!value.is_ok()) {
      EXPECT_FALSE(value.status().message().empty()) << text;
    }
    if (!condition.is_ok()) {
      EXPECT_FALSE(condition.status().message().empty()) << text;
    }
  }
  // Both outcomes occur, so the generator exercises parsers and evaluators.
  EXPECT_GT(ok, 100);
  EXPECT_GT(errors, 100);
}

}  // namespace
}  // namespace skiff::expr
