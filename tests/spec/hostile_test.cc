// Hostile input is refused with a clear error, never a crash or a hang.
#include <string>

#include <gtest/gtest.h>

#include "spec/spec.h"

namespace skiff::spec {
namespace {

constexpr const char* kHeader = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: w\n";

TEST(Hostile, AliasBombIsBounded) {
  // Nine levels of nine-fold aliases: 9^9 (~387 million) values expanded.
  std::string yaml = std::string(kHeader) + "spec:\n  arguments:\n    parameters:\n    - name: p\n";
  yaml += "      valueFrom:\n        supplied:\n          a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    yaml += "          a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 0; k < 8; ++k) yaml += ", " + prev;
    yaml += "]\n";
  }
  auto objects = parse_documents(yaml, "bomb.yaml");
  ASSERT_FALSE(objects.is_ok());
  EXPECT_EQ(objects.status().code(), Code::kResourceExhausted);
  EXPECT_NE(objects.status().message().find("document too large"), std::string::npos) << objects.status().message();
}

TEST(Hostile, MergeKeyBombIsBounded) {
  std::string yaml = std::string(kHeader) + "spec:\n  affinity:\n    m0: &m0 {a: 1, b: 2, c: 3, d: 4}\n";
  for (int i = 1; i < 30; ++i) {
    std::string prev = "*m" + std::to_string(i - 1);
    yaml += "    m" + std::to_string(i) + ": &m" + std::to_string(i) + " {x: [" + prev + ", " + prev + ", " + prev +
            "], <<: " + prev + "}\n";
  }
  auto objects = parse_documents(yaml, "bomb.yaml");
  ASSERT_FALSE(objects.is_ok());
  EXPECT_EQ(objects.status().code(), Code::kResourceExhausted);
}

TEST(Hostile, DeepNestingIsBounded) {
  for (const char* open_close : {"[]", "{}"}) {
    std::string deep;
    for (int i = 0; i < 5000; ++i) deep += open_close[0] == '[' ? "[" : "{a: ";
    deep += "1";
    for (int i = 0; i < 5000; ++i) deep += open_close[1];
    auto objects = parse_documents(std::string(kHeader) + "spec:\n  affinity: {x: " + deep + "}\n", "deep.yaml");
    ASSERT_FALSE(objects.is_ok()) << open_close;
    EXPECT_NE(objects.status().message().find("deep.yaml:"), std::string::npos) << objects.status().message();
  }
}

TEST(Hostile, ModeratelyDeepButLegalNestingDecodes) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  auto objects = parse_documents(std::string(kHeader) + "spec:\n  affinity: {x: " + deep + "}\n", "deep.yaml");
  EXPECT_TRUE(objects.is_ok()) << objects.status().message();
}

TEST(Hostile, GarbageNeverCrashes) {
  const char* inputs[] = {
      "\t\tkind: Workflow",
      "kind: [Workflow",
      "{\"kind\": ",
      "kind: Workflow\nmetadata: !!binary AAAA\n",
      "*undefined_alias\n",
      "kind: Workflow\n? [complex, key]\n: value\n",
      "\xff\xfe\x00k\x00i",
      "%YAML 9.9\n---\nkind: Workflow\n",
      "kind: Workflow\nspec: &s {templates: [*s]}\n",
  };
  for (const char* in : inputs) {
    auto objects = parse_documents(in, "junk.yaml");
    if (!objects.is_ok()) {
      EXPECT_NE(objects.status().message().find("junk.yaml"), std::string::npos) << in;
    }
  }
}

TEST(Hostile, LargeDocumentDecodes) {
  // ~2 MB of templates: must decode completely, with positions.
  std::string yaml = std::string(kHeader) + "spec:\n  entrypoint: t0\n  templates:\n";
  const int kTemplates = 8000;
  for (int i = 0; i < kTemplates; ++i) {
    yaml += "  - name: t" + std::to_string(i) +
            "\n    inputs:\n      parameters:\n      - name: message\n        value: \"hello {{workflow.name}}\"\n"
            "    container:\n      image: alpine:3.19\n      command: [sh, -c]\n      args: [\"echo {{inputs.parameters.message}}\"]\n"
            "      resources: {limits: {cpu: 100m, memory: 32Mi}}\n";
  }
  auto objects = parse_documents(yaml, "big.yaml");
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  const Object& o = (*objects)[0];
  EXPECT_EQ(o.doc["spec"]["templates"].size(), static_cast<size_t>(kTemplates));
  EXPECT_EQ(o.locate("/spec/templates/7999/container/image").line, 8 + 7999 * 10 + 6);
}

}  // namespace
}  // namespace skiff::spec
