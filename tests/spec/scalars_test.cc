// How YAML values become JSON: typed by the field they land in, quoted
// scalars always strings, merge keys, multi-document text, JSON input and
// the positions recorded for later errors.
#include <gtest/gtest.h>

#include "spec/spec.h"

namespace skiff::spec {
namespace {

constexpr const char* kHeader = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: w\n";

Json decode_spec(const std::string& spec_body) {
  std::string yaml = std::string(kHeader) + "spec:\n" + spec_body;
  auto objects = parse_documents(yaml, "t.yaml");
  EXPECT_TRUE(objects.is_ok()) << objects.status().message();
  if (!objects.is_ok() || objects->empty()) return nullptr;
  return (*objects)[0].doc["spec"];
}

struct ScalarCase {
  const char* name;
  const char* spec_body;
  const char* pointer;   // under spec
  const char* expected;  // JSON
};

const ScalarCase kScalars[] = {
    // Parameter.value is Argo's AnyString: the text exactly as written.
    {"AnyStringKeepsFloatText", "  arguments: {parameters: [{name: p, value: 1.0}]}\n", "/arguments/parameters/0/value", R"("1.0")"},
    {"AnyStringKeepsBoolText", "  arguments: {parameters: [{name: p, value: yes}]}\n", "/arguments/parameters/0/value", R"("yes")"},
    {"AnyStringKeepsNullWord", "  arguments: {parameters: [{name: p, default: 'null'}]}\n", "/arguments/parameters/0/default", R"("null")"},
    {"EnumOfNumbers", "  arguments: {parameters: [{name: p, enum: [1, 2.5, true]}]}\n", "/arguments/parameters/0/enum", R"(["1","2.5","true"])"},
    {"StringFieldTakesPlainNumberText", "  entrypoint: 0123\n", "/entrypoint", R"("0123")"},
    {"IntField", "  parallelism: 3\n", "/parallelism", "3"},
    {"IntFieldWholeFloat", "  parallelism: 3.0\n", "/parallelism", "3"},
    {"IntFieldHex", "  priority: 0x1F\n", "/priority", "31"},
    {"BoolTrue", "  suspend: true\n", "/suspend", "true"},
    {"BoolYaml11Yes", "  suspend: yes\n", "/suspend", "true"},
    {"BoolYaml11Off", "  suspend: off\n", "/suspend", "false"},
    {"IntOrStringPlainInt", "  retryStrategy: {limit: 3}\n", "/retryStrategy/limit", "3"},
    {"IntOrStringQuotedInt", "  retryStrategy: {limit: \"3\"}\n", "/retryStrategy/limit", R"("3")"},
    {"IntOrStringExpression", "  retryStrategy: {limit: \"{{workflow.parameters.n}}\"}\n", "/retryStrategy/limit", R"("{{workflow.parameters.n}}")"},
    {"QuantityKeepsText", "  templates: [{name: a, container: {image: x, resources: {limits: {cpu: 1, memory: 32Mi}}}}]\n",
     "/templates/0/container/resources/limits", R"({"cpu":"1","memory":"32Mi"})"},
    {"WithItemsUntyped", "  templates: [{name: a, steps: [[{name: s, template: a, withItems: [1, 2.5, yes, ~, \"3\", x, {k: v}]}]]}]\n",
     "/templates/0/steps/0/0/withItems", R"([1, 2.5, true, null, "3", "x", {"k":"v"}])"},
    {"LabelsMapOfStrings", "  podMetadata: {labels: {team: 7, on: true}}\n", "/podMetadata/labels", R"({"team":"7","on":"true"})"},
    {"NullFieldOmitted", "  onExit:\n  entrypoint: main\n", "", R"({"entrypoint":"main"})"},
    {"BlockScalarKeepsNewlines", "  templates:\n  - name: a\n    script:\n      image: x\n      source: |\n        echo 1\n        echo 2\n",
     "/templates/0/script/source", R"("echo 1\necho 2\n")"},
    {"UnicodeAndEscapes", "  entrypoint: \"caf\\u00e9\\t!\"\n", "/entrypoint", R"("café\t!")"},
    {"AffinityAcceptsAnyObject", "  affinity: {nodeAffinity: {whatever: [1, {deep: true}]}}\n", "/affinity/nodeAffinity/whatever/1/deep", "true"},
    {"AnnotationKeyWithSlash", "  podMetadata: {annotations: {example.com/a~b: v}}\n", "/podMetadata/annotations/example.com~1a~0b", R"("v")"},
};

TEST(Scalars, ConvertByFieldType) {
  for (const auto& c : kScalars) {
    SCOPED_TRACE(c.name);
    Json spec = decode_spec(c.spec_body);
    ASSERT_FALSE(spec.is_null());
    Json::json_pointer ptr(c.pointer);
    ASSERT_TRUE(spec.contains(ptr)) << spec.dump();
    EXPECT_EQ(spec.at(ptr), Json::parse(c.expected));
  }
}

TEST(MergeKeys, ExpandWithExplicitKeysWinning) {
  Json spec = decode_spec(R"(  templates:
  - name: base
    container: &c
      image: alpine
      command: [sh]
      args: [base]
  - name: derived
    container:
      <<: *c
      args: [derived]
  - name: two
    container:
      <<: [{image: first, workingDir: /a}, {image: second, tty: true}]
)");
  EXPECT_EQ(spec["templates"][1]["container"],
            Json::parse(R"({"args":["derived"],"image":"alpine","command":["sh"]})"));
  EXPECT_EQ(spec["templates"][2]["container"], Json::parse(R"({"image":"first","workingDir":"/a","tty":true})"));
}

TEST(MergeKeys, MergedUnknownFieldIsStillAnError) {
  auto objects = parse_documents(std::string(kHeader) + "x: &x {imagee: a}\n", "t.yaml");
  ASSERT_FALSE(objects.is_ok());
  EXPECT_NE(objects.status().message().find("unknown field \"x\""), std::string::npos);
  objects = parse_documents(std::string(kHeader) +
                                "spec:\n  templates:\n  - name: a\n    container:\n      <<: {imagee: a}\n",
                            "t.yaml");
  ASSERT_FALSE(objects.is_ok());
  EXPECT_NE(objects.status().message().find("spec.templates[0].container.imagee: unknown field \"imagee\""),
            std::string::npos)
      << objects.status().message();
}

TEST(Aliases, AreResolved) {
  Json spec = decode_spec("  nodeSelector: &sel {disk: ssd}\n  podMetadata: {labels: *sel}\n");
  EXPECT_EQ(spec["podMetadata"]["labels"], Json::parse(R"({"disk":"ssd"})"));
}

TEST(MultiDocument, DecodesEachAndSkipsEmptyOnes) {
  std::string text = std::string("---\n# only a comment\n---\n") + kHeader + "---\n---\n" +
                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n...\n";
  auto objects = parse_documents(text, "m.yaml");
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].kind, "Workflow");
  EXPECT_EQ((*objects)[1].kind, "ConfigMap");
  EXPECT_EQ((*objects)[1].name(), "c");
  EXPECT_EQ((*objects)[1].locate("/data/a").to_string(), "m.yaml:13:8");
}

TEST(JsonInput, DecodesWithPositions) {
  std::string text = R"({
  "apiVersion": "argoproj.io/v1alpha1",
  "kind": "Workflow",
  "metadata": {"name": "j"},
  "spec": {"entrypoint": "main", "parallelism": 2,
           "templates": [{"name": "main", "suspend": {}}]}
})";
  auto objects = parse_documents(text, "w.json");
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ((*objects)[0].doc["spec"]["parallelism"], 2);
  EXPECT_EQ((*objects)[0].locate("/spec/templates/0/suspend").line, 6);
}

TEST(JsonInput, TabIndentedJsonStillDecodes) {
  std::string text = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"ConfigMap\",\n\t\"metadata\": {\n\t\t\"name\": \"t\"\n\t},\n"
                     "\t\"data\": {\"n\": \"1\"}\n}\n";
  auto objects = parse_documents(text, "c.json");
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  EXPECT_EQ((*objects)[0].doc["data"]["n"], "1");
}

TEST(JsonInput, UnknownFieldIsAnError) {
  auto objects = parse_documents(R"({"apiVersion": "v1", "kind": "ConfigMap", "dta": {}})", "c.json");
  ASSERT_FALSE(objects.is_ok());
  EXPECT_NE(objects.status().message().find("dta: unknown field \"dta\""), std::string::npos);
}

TEST(Positions, EveryValueIsLocatedAtItsKey) {
  auto objects = parse_documents(std::string(kHeader) +
                                     "spec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n"
                                     "      image: alpine\n      args:\n      - one\n      - two\n",
                                 "p.yaml");
  ASSERT_TRUE(objects.is_ok()) << objects.status().message();
  const Object& o = (*objects)[0];
  EXPECT_EQ(o.locate("/spec").to_string(), "p.yaml:5:1");
  EXPECT_EQ(o.locate("/spec/entrypoint").to_string(), "p.yaml:6:3");
  EXPECT_EQ(o.locate("/spec/templates/0").to_string(), "p.yaml:8:5");
  EXPECT_EQ(o.locate("/spec/templates/0/container/image").to_string(), "p.yaml:10:7");
  EXPECT_EQ(o.locate("/spec/templates/0/container/args/1").to_string(), "p.yaml:13:9");
  // Missing values fall back to the nearest located ancestor.
  EXPECT_EQ(o.locate("/spec/templates/0/container/env").to_string(), "p.yaml:9:5");
  Status s = o.error_at("/spec/entrypoint", "bad");
  EXPECT_EQ(s.message(), "p.yaml:6:3: spec.entrypoint: bad");
}

}  // namespace
}  // namespace skiff::spec
