// to_yaml: block-style output that reads back to the same JSON.
#include <gtest/gtest.h>

#include "spec/spec.h"

namespace skiff::spec {
namespace {

struct WriterCase {
  const char* name;
  const char* json;
  const char* yaml;
};

const WriterCase kCases[] = {
    {"PlainScalars", R"({"a":"hello world","b":3,"c":true,"d":null,"e":1.5})",
     "a: hello world\nb: 3\nc: true\nd: null\ne: 1.5\n"},
    {"StringsThatReadAsOtherTypesAreQuoted", R"({"a":"3","b":"true","c":"yes","d":"null","e":"~","f":"1.0","g":"0x1F","h":""})",
     "a: \"3\"\nb: \"true\"\nc: \"yes\"\nd: \"null\"\ne: \"~\"\nf: \"1.0\"\ng: \"0x1F\"\nh: \"\"\n"},
    {"SpecialCharactersAreQuoted", R"({"a":"{{inputs.parameters.x}}","b":"key: value","c":"- item","d":"#comment","e":" lead","f":"*ref","g":"tab\there"})",
     "a: \"{{inputs.parameters.x}}\"\nb: \"key: value\"\nc: \"- item\"\nd: \"#comment\"\ne: \" lead\"\nf: \"*ref\"\ng: \"tab\\there\"\n"},
    {"SafeStringsStayPlain", R"({"a":"-c","b":"alpine:3.19","c":"echo {{x}}","d":"café"})",
     "a: -c\nb: alpine:3.19\nc: echo {{x}}\nd: café\n"},
    {"NestedBlocks", R"({"spec":{"templates":[{"name":"a","args":["x","y"]},{"name":"b"}],"empty":{},"none":[]}})",
     "spec:\n  empty: {}\n  none: []\n  templates:\n    - args:\n        - x\n        - \"y\"\n      name: a\n    - name: b\n"},
    {"NestedSequences", R"({"steps":[[{"name":"a"}],[{"name":"b"},{"name":"c"}]]})",
     "steps:\n  - - name: a\n  - - name: b\n    - name: c\n"},
    {"MultiLineLiteral", R"({"source":"echo 1\necho 2\n"})", "source: |\n  echo 1\n  echo 2\n"},
    {"MultiLineStrip", R"({"source":"a\n\nb"})", "source: |-\n  a\n\n  b\n"},
    {"MultiLineKeep", R"({"source":"a\n\n"})", "source: |+\n  a\n\n"},
    {"LeadingSpaceMultiLineIsQuoted", R"({"source":"  indented\nnext"})", "source: \"  indented\\nnext\"\n"},
    {"QuotedKeys", R"({"workflows.argoproj.io/description":"x","on":"y","a: b":"z"})",
     "\"a: b\": z\n\"on\": \"y\"\nworkflows.argoproj.io/description: x\n"},
};

TEST(ToYaml, WritesBlockStyle) {
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(to_yaml(Json::parse(c.json)), c.yaml);
  }
}

TEST(ToYaml, RoundTripsThroughParse) {
  Json doc = Json::parse(R"({
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
    "metadata": {"generateName": "rt-", "labels": {"n": "7", "flag": "off"},
                 "annotations": {"note": "line one\nline two\n", "odd": "\u0001 control", "trail": "x\n\n\n"}},
    "spec": {"entrypoint": "main", "parallelism": 2, "suspend": false,
             "arguments": {"parameters": [{"name": "p", "value": "1.0"}, {"name": "q", "value": "  padded  "},
                                          {"name": "r", "value": "- dash"}, {"name": "s", "value": ""}]},
             "templates": [{"name": "main", "steps": [[{"name": "a", "template": "t",
                                                        "withItems": [1, "1", true, "true", null, {"k": [1, 2]}]}]]},
                           {"name": "t", "script": {"image": "python:3", "command": ["python"],
                                                     "source": "import sys\nprint(sys.argv)\n"}}]}
  })");
  std::string yaml = to_yaml(doc);
  auto objects = parse_documents(yaml, "rt.yaml");
  ASSERT_TRUE(objects.is_ok()) << objects.status().message() << "\n" << yaml;
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ((*objects)[0].doc, doc) << yaml;
}

TEST(ToYaml, TopLevelScalarsAndEmptyContainers) {
  EXPECT_EQ(to_yaml(Json("yes")), "\"yes\"\n");
  EXPECT_EQ(to_yaml(Json(42)), "42\n");
  EXPECT_EQ(to_yaml(Json::object()), "{}\n");
  EXPECT_EQ(to_yaml(Json::array()), "[]\n");
  EXPECT_EQ(to_yaml(Json("a\nb\n")), "|\n  a\n  b\n");
}

}  // namespace
}  // namespace skiff::spec
