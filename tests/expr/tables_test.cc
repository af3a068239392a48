// Table-driven cases for every evaluator, one file per evaluator under
// tests/expr/tables/. Each line is a case:
//
//   <input> => <expected>
//
// where <expected> is JSON text (the value), or `!! <message>` for the exact
// error message (`\n` stands for a newline, there and in substitution
// inputs). Lines starting with `## ` set the context for the lines after them:
//
//   ## env {json}           expr-lang: the environment
//   ## now 2024-03-05T14:07:09Z   the evaluation clock (now(), sprig.ago, ...)
//   ## entropy TEXT         the seed of sprig's random functions
//   ## scope {json}         substitution: the scope (an object of strings)
//   ## mode keep|error      substitution: what unknown tags do
//   ## results {json}       depends: the task results
//
// Blank lines and lines starting with `#` (not `##`) are comments.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "base/time.h"
#include "expr/expr.h"

namespace skiff::expr {
namespace {

const std::string kTables = std::string(SKIFF_TEST_DATA) + "/expr/tables/";

// Named zones come from the system's tz database, as the controller installs
// them where a program starts.
std::optional<std::string> system_zone(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) return std::nullopt;
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct SystemZones : ::testing::Environment {
  void SetUp() override { set_zone_source(system_zone); }
};
const auto* const kSystemZones = ::testing::AddGlobalTestEnvironment(new SystemZones);

struct Context {
  Json env = Json::object();
  Scope scope;
  Unresolved mode = Unresolved::kKeep;
  Json results = Json::object();
  std::optional<Time> now;
  std::optional<std::string> entropy;
};

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 't') {
      out += '\t';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// What one case produced: a JSON value or an error message.
struct Outcome {
  bool ok = false;
  Json value;
  std::string error;
};

template <typename T>
Outcome outcome_of(const Result<T>& r) {
  Outcome o;
  o.ok = r.is_ok();
  if (o.ok) o.value = Json(*r);
  else o.error = r.status().message();
  return o;
}

Outcome run(const std::string& table, const std::string& input, const Context& ctx) {
  if (table == "exprlang" || table == "sprig" || table == "dates" || table == "strings") {
    Json env = ctx.env;
    if (ctx.now) {
      Scope clock;
      set_clock(clock, *ctx.now);
      for (const auto& [k, v] : clock) env[k] = v;
    }
    if (ctx.entropy) {
      Scope seed;
      set_entropy(seed, *ctx.entropy);
      for (const auto& [k, v] : seed) env[k] = v;
    }
    return outcome_of(evaluate_expression(input, env));
  }
  if (table == "govaluate") return outcome_of(evaluate_condition(input));
  if (table == "substitute") {
    Scope scope = ctx.scope;
    if (ctx.now) set_clock(scope, *ctx.now);
    return outcome_of(substitute(input, scope, ctx.mode));
  }
  if (table == "depends") return outcome_of(evaluate_depends(input, ctx.results));
  ADD_FAILURE() << "no evaluator for table " << table;
  return {};
}

int run_table(const std::string& table) {
  std::ifstream in(kTables + table + ".txt");
  EXPECT_TRUE(in.good()) << "cannot read " << kTables << table << ".txt";
  Context ctx;
  std::string line;
  int number = 0, cases = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string where = table + ".txt:" + std::to_string(number);
    if (line.empty() || (line[0] == '#' && line.rfind("## ", 0) != 0)) continue;
    if (line.rfind("## ", 0) == 0) {
      std::string directive = line.substr(3);
      size_t space = directive.find(' ');
      std::string key = directive.substr(0, space), arg = space == std::string::npos ? "" : directive.substr(space + 1);
      if (key == "env") ctx.env = Json::parse(arg);
      else if (key == "results") ctx.results = Json::parse(arg);
      else if (key == "mode") ctx.mode = arg == "error" ? Unresolved::kError : Unresolved::kKeep;
      else if (key == "now") ctx.now = parse_rfc3339(arg);
      else if (key == "entropy") ctx.entropy = arg;
      else if (key == "scope") {
        ctx.scope.clear();
        const Json scope = Json::parse(arg);
        for (const auto& [k, v] : scope.items()) ctx.scope[k] = v.get<std::string>();
      } else {
        ADD_FAILURE() << where << ": unknown directive " << key;
      }
      continue;
    }
    size_t arrow = line.find(" => ");
    if (arrow == std::string::npos) {
      ADD_FAILURE() << where << ": no ' => ' in case";
      continue;
    }
    ++cases;
    // Expression tables keep the input as written (their strings have their
    // own escapes); substitution inputs may spell a newline or tab.
    const std::string raw = line.substr(0, arrow);
    const std::string input = table == "substitute" ? unescape(raw) : raw;
    const std::string expected = line.substr(arrow + 4);
    Outcome got = run(table, input, ctx);
    if (expected.rfind("!! ", 0) == 0) {
      std::string message = unescape(expected.substr(3));
      if (got.ok) {
        ADD_FAILURE() << where << ": " << input << "\n  expected error: " << message << "\n  got value: " << got.value.dump();
      } else {
        EXPECT_EQ(got.error, message) << where << ": " << input;
      }
      continue;
    }
    if (!got.ok) {
      ADD_FAILURE() << where << ": " << input << "\n  expected: " << expected << "\n  got error: " << got.error;
      continue;
    }
    Json want = Json::parse(expected, nullptr, false);
    if (want.is_discarded()) {
      ADD_FAILURE() << where << ": expected value is not JSON: " << expected;
      continue;
    }
    // Integers and floats are told apart: 2 and 2.0 differ.
    EXPECT_EQ(got.value.dump(), want.dump()) << where << ": " << input;
  }
  return cases;
}

// The expression layer reads no files: a zone is what the installed source
// gives under that name, and a name it does not give is unknown.
TEST(ZoneSource, ZonesComeOnlyFromTheInstalledSource) {
  Json env = Json::object();
  Scope clock;
  set_clock(clock, *parse_rfc3339("2024-07-05T14:07:09Z"));
  for (const auto& [k, v] : clock) env[k] = v;
  set_zone_source([](const std::string& name) -> std::optional<std::string> {
    if (name == "Test/Lutetia") return system_zone("Europe/Paris");
    return std::nullopt;
  });
  auto lutetia = evaluate_expression("now().In(timezone('Test/Lutetia')).Format('15:04 MST')", env);
  auto paris = evaluate_expression("timezone('Europe/Paris')", env);
  auto utc = evaluate_expression("now().In(timezone('UTC')).Format('15:04 MST')", env);
  set_zone_source(nullptr);
  auto none = evaluate_expression("timezone('Test/Lutetia')", env);
  set_zone_source(system_zone);
  ASSERT_TRUE(lutetia.is_ok()) << lutetia.status().message();
  EXPECT_EQ(*lutetia, "16:07 CEST");
  EXPECT_FALSE(paris.is_ok());
  ASSERT_TRUE(utc.is_ok()) << utc.status().message();
  EXPECT_EQ(*utc, "14:07 UTC");
  // Zones already read are forgotten with the source that gave them.
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().message().rfind("unknown time zone Test/Lutetia", 0), 0u) << none.status().message();
}

TEST(Tables, ExprLang) { EXPECT_GE(run_table("exprlang"), 200); }
TEST(Tables, Sprig) { EXPECT_GE(run_table("sprig"), 100); }
TEST(Tables, Strings) { EXPECT_GE(run_table("strings"), 90); }
TEST(Tables, Dates) { EXPECT_GE(run_table("dates"), 50); }
TEST(Tables, Govaluate) { EXPECT_GE(run_table("govaluate"), 200); }
TEST(Tables, Substitute) { EXPECT_GE(run_table("substitute"), 100); }
TEST(Tables, Depends) { EXPECT_GE(run_table("depends"), 100); }

}  // namespace
}  // namespace skiff::expr
