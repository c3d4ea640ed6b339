#include <cmath>
#include <functional>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "core/codec.h"

namespace wax::core {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The value of key `v` in a one-line YAML document.
json valueOf(const std::string& scalar) {
  return yamlToJson("v: " + scalar)["v"];
}

std::string badRequestMessage(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::BadRequest);
    return e.what();
  }
  ADD_FAILURE() << "no wax::Error thrown";
  return "";
}

TEST(YamlToJsonTest, PlainScalarsTakeTheirYaml12CoreTypes) {
  EXPECT_EQ(valueOf("42"), json(42));
  EXPECT_TRUE(valueOf("42").is_number_integer());
  EXPECT_EQ(valueOf("-7"), json(-7));
  EXPECT_EQ(valueOf("+7"), json(7));
  EXPECT_EQ(valueOf("0x1F"), json(31));
  EXPECT_EQ(valueOf("0o17"), json(15));
  EXPECT_EQ(valueOf("007"), json(7));
  EXPECT_TRUE(valueOf("1.5").is_number_float());
  EXPECT_EQ(valueOf("1.5"), json(1.5));
  EXPECT_EQ(valueOf(".5"), json(0.5));
  EXPECT_EQ(valueOf("1e3"), json(1000.0));
  EXPECT_EQ(valueOf("-2.5E-1"), json(-0.25));
  EXPECT_EQ(valueOf("2."), json(2.0));
  EXPECT_EQ(valueOf(".inf").get<double>(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(valueOf("-.Inf").get<double>(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(valueOf(".NaN").get<double>()));
  for (const char* yes : {"true", "True", "TRUE"}) {
    EXPECT_EQ(valueOf(yes), json(true)) << yes;
  }
  for (const char* no : {"false", "False", "FALSE"}) {
    EXPECT_EQ(valueOf(no), json(false)) << no;
  }
  for (const char* null : {"null", "Null", "NULL", "~", ""}) {
    EXPECT_TRUE(valueOf(null).is_null()) << null;
  }
}

TEST(YamlToJsonTest, WordsThatAreNotCoreSchemaValuesStayStrings) {
  // YAML 1.1 read these as booleans or numbers; YAML 1.2 core does not.
  for (const char* text : {"yes", "no", "on", "off", "y", "tRUE", "0.21.1", "1_000", "12:30",
                           "0b101", "nan", "inf", "1e", "e3", "+", "."}) {
    EXPECT_EQ(valueOf(text), json(text)) << text;
  }
}

TEST(YamlToJsonTest, QuotedAndBlockScalarsAreAlwaysStrings) {
  EXPECT_EQ(valueOf("\"1\""), json("1"));
  EXPECT_EQ(valueOf("'1'"), json("1"));
  EXPECT_EQ(valueOf("\"true\""), json("true"));
  EXPECT_EQ(valueOf("'null'"), json("null"));
  EXPECT_EQ(valueOf("\"\""), json(""));
  EXPECT_EQ(valueOf("'~'"), json("~"));
  EXPECT_EQ(yamlToJson("v: |\n  123\n")["v"], json("123\n"));
  EXPECT_EQ(yamlToJson("v: >-\n  true\n")["v"], json("true"));
}

TEST(YamlToJsonTest, ExplicitCoreTagsAreHonoured) {
  EXPECT_EQ(valueOf("!!str 1"), json("1"));
  EXPECT_EQ(valueOf("!!int \"3\""), json(3));
  EXPECT_TRUE(valueOf("!!float 1").is_number_float());
  EXPECT_EQ(valueOf("!!bool 'true'"), json(true));
  EXPECT_THAT(badRequestMessage([] { valueOf("!!int abc"); }), HasSubstr("!!int"));
  EXPECT_THAT(badRequestMessage([] { valueOf("!custom x"); }), HasSubstr("unsupported tag"));
}

TEST(YamlToJsonTest, MappingKeysBecomeStringsAndCollectionsNest) {
  json document = yamlToJson("1: a\ntrue: b\nlist:\n  - [1, two]\n  - {}\nempty: []\n");
  EXPECT_EQ(document, json::parse(R"({"1": "a", "true": "b", "list": [[1, "two"], {}],
                                      "empty": []})"));
}

TEST(YamlToJsonTest, AliasesAreExpanded) {
  EXPECT_EQ(yamlToJson("a: &x {k: 1}\nb: *x\n")["b"], json::parse(R"({"k": 1})"));
}

TEST(YamlToJsonTest, SyntaxErrorsNameLineAndColumn) {
  std::string message = badRequestMessage([] { yamlToJson("a: 1\nb: [1, 2\nc: 3\n"); });
  EXPECT_THAT(message, StartsWith("invalid YAML at line 3, column "));

  message = badRequestMessage([] { yamlToJson("spec:\n  image:\n    tag: x\n   bad: 1\n"); });
  EXPECT_THAT(message, StartsWith("invalid YAML at line 4, column "));
}

TEST(YamlToJsonTest, DuplicateKeysAreRejectedWhereTheSecondOneIs) {
  std::string message = badRequestMessage([] { yamlToJson("a: 1\nb: 2\na: 3\n"); });
  EXPECT_EQ(message, "invalid YAML at line 3, column 1: duplicate key \"a\"");
}

TEST(YamlToJsonTest, IntegersMustFitInSixtyFourBits) {
  EXPECT_EQ(valueOf("9223372036854775807"), json(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(valueOf("-9223372036854775808"), json(std::numeric_limits<int64_t>::min()));
  EXPECT_THAT(badRequestMessage([] { valueOf("9223372036854775808"); }),
              HasSubstr("integer out of range"));
  EXPECT_THAT(badRequestMessage([] { valueOf("0xFFFFFFFFFFFFFFFFFF"); }),
              HasSubstr("integer out of range"));
}

TEST(YamlToJsonTest, HostileInputsHitLimitsInsteadOfExhaustingMemory) {
  std::string deep = "v: " + std::string(150, '[') + std::string(150, ']');
  EXPECT_THAT(badRequestMessage([&] { yamlToJson(deep); }), HasSubstr("nesting deeper"));

  // Each level doubles the size: 2^20 values once expanded.
  std::string bomb = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 20; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  EXPECT_THAT(badRequestMessage([&] { yamlToJson(bomb); }), HasSubstr("more than"));
}

// yaml-cpp 0.7 reads these as endless runs of empty documents; found by schemathesis, where a
// Dataflow with chartValues ",O" made waxd grow past 20 GB until the kernel killed it.
TEST(YamlToJsonTest, TextTheParserCannotGetPastIsRejectedInsteadOfExhaustingMemory) {
  for (const std::string text : {",", ",O", "a: 1\n---\n,x"}) {
    EXPECT_THAT(badRequestMessage([&] { yamlToJsonDocuments(text); }), HasSubstr("cannot get past"))
        << text;
  }
  EXPECT_EQ(yamlToJsonDocuments("a: 1\n---\nb: 2\n...\nc: 3\n").size(), 3u);
}

TEST(YamlToJsonTest, InvalidUtf8IsRejected) {
  EXPECT_THAT(badRequestMessage([] { yamlToJson("v: \"a\xff\"\n"); }), HasSubstr("UTF-8"));
}

TEST(YamlToJsonTest, DocumentsAreSplitAndEmptyOnesSkipped) {
  std::vector<json> documents = yamlToJsonDocuments("a: 1\n---\n# nothing\n---\nb: 2\n---\n");
  ASSERT_EQ(documents.size(), 2u);
  EXPECT_EQ(documents[1], json::parse(R"({"b": 2})"));
  EXPECT_THAT(badRequestMessage([] { yamlToJson("a: 1\n---\nb: 2\n"); }),
              HasSubstr("2 YAML documents"));
  EXPECT_TRUE(yamlToJson("# only a comment\n").is_null());
}

TEST(ParseManifestTest, ReadsYamlAndJson) {
  EXPECT_EQ(parseManifest("kind: Dataflow\n"), json::parse(R"({"kind": "Dataflow"})"));
  EXPECT_EQ(parseManifest("\n  {\"kind\": \"Dataflow\", \"n\": 1}"),
            json::parse(R"({"kind": "Dataflow", "n": 1})"));
  EXPECT_EQ(parseManifest("\xEF\xBB\xBF{\"kind\": \"Dataflow\"}"),
            json::parse(R"({"kind": "Dataflow"})"));
}

TEST(ParseManifestTest, RejectsEmptyInputAndSeveralDocuments) {
  EXPECT_THAT(badRequestMessage([] { parseManifest("  \n"); }), HasSubstr("empty"));
  EXPECT_THAT(badRequestMessage([] { parseManifest("# just a comment\n"); }), HasSubstr("empty"));
  EXPECT_EQ(badRequestMessage([] { parseManifest("kind: A\n---\nkind: B\n"); }),
            "the manifest holds 2 YAML documents; pass one Dataflow manifest at a time");
}

TEST(ParseManifestTest, JsonErrorsNameTheirPosition) {
  EXPECT_THAT(badRequestMessage([] { parseManifest("{\n  \"kind\": ,\n}"); }),
              StartsWith("invalid JSON at line 2, column "));
}

TEST(ParseManifestTest, JsonErrorsNeverQuoteTheTextTheyStoppedAt) {
  const std::string manifest =
      "{\"spec\": {\"recovery\": {\"cloudBackup\": {\"s3\": "
      "{\"secretAccessKey\": \"SUPERSECRET\tVALUE\"}}}}}";
  const std::string message = badRequestMessage([&] { parseManifest(manifest); });
  EXPECT_THAT(message, StartsWith("invalid JSON at line 1"));
  EXPECT_THAT(message, Not(HasSubstr("SUPERSECRET")));
  const std::string badEscape = "{\"token\": \"SUPERSECRET\\q\"}";
  EXPECT_THAT(badRequestMessage([&] { parseManifest(badEscape); }), Not(HasSubstr("SUPERSECRET")));
}

TEST(ParseManifestTest, DuplicateJsonKeysAreRejectedAtAnyDepth) {
  EXPECT_THAT(badRequestMessage([] { parseManifest(R"({"spec": {"a": 1, "a": 2}})"); }),
              HasSubstr("duplicate key \"a\""));
  // The same key in sibling objects is fine.
  EXPECT_NO_THROW(parseManifest(R"({"x": {"a": 1}, "y": {"a": 2}, "z": [{"a": 1}, {"a": 2}]})"));
}

// A string written as YAML must read back as the same string, whatever it looks like.
class StringRoundTripTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StringRoundTripTest, ReadsBackUnchanged) {
  json document = {{"key", GetParam()}, {GetParam().empty() ? "empty" : GetParam(), 1}};
  std::string yaml = jsonToYaml(document);
  EXPECT_EQ(yamlToJson(yaml), document) << yaml;
}

INSTANTIATE_TEST_SUITE_P(
    Strings, StringRoundTripTest,
    ::testing::Values("true", "False", "yes", "off", "1", "-1", "1.5", "1e3", ".inf", ".nan",
                      "0x1F", "0o7", "null", "~", "", " ", " leading", "trailing ", "0.21.1",
                      "*/15 * * * *", "a: b", "a:", "#comment", "a #b", "- item", "? q", "@at",
                      "%pct", "!bang", "&anchor", "*alias", "|pipe", ">gt", "'single'",
                      "\"double\"", "{flow}", "[flow]", "back\\slash", "tab\there", "cr\rhere",
                      "bell\x07", "del\x7f", "caf\xc3\xa9", "line\xe2\x80\xa8sep",
                      "snow \xe2\x98\x83", "https://example.com/a?b=c#d", "kafka-0:9092", "---",
                      "...", "<<", "a\nb", "a\nb\n", "a\n\n\n", "\n\nlead", " indented\nx",
                      "a\n  \nb", "x\n  deeper\n", "tab\n\tline\n", "crlf\r\nline\n",
                      "end spaces  \nx", "last line only spaces\n   ", "10Gi", "3d", "2025-01-15",
                      "1_000", "12:30"));

TEST(JsonToYamlTest, QuotesStringsThatWouldReadAsAnotherType) {
  EXPECT_EQ(jsonToYaml({{"a", "true"}}), "a: \"true\"\n");
  EXPECT_EQ(jsonToYaml({{"a", "1"}}), "a: \"1\"\n");
  EXPECT_EQ(jsonToYaml({{"a", "null"}}), "a: \"null\"\n");
  EXPECT_EQ(jsonToYaml({{"a", "1.5"}}), "a: \"1.5\"\n");
  EXPECT_EQ(jsonToYaml({{"a", ""}}), "a: \"\"\n");
  EXPECT_EQ(jsonToYaml({{"a", "plain text"}}), "a: plain text\n");
  EXPECT_EQ(jsonToYaml({{"true", 1}}), "\"true\": 1\n");
  // Strings YAML 1.1 tools would read as booleans, numbers or timestamps are quoted as well.
  for (const char* text : {"yes", "n", "0b101", "1_000", "12:30", "2025-01-15", "0.21.1"}) {
    EXPECT_EQ(jsonToYaml({{"a", text}}), "a: \"" + std::string(text) + "\"\n");
  }
  for (const char* text : {"10Gi", "3d-model", "1.5Ti", "6f1c2a4e-9b1d"}) {
    EXPECT_EQ(jsonToYaml({{"a", text}}), "a: " + std::string(text) + "\n");
  }
}

TEST(JsonToYamlTest, WritesMultiLineStringsAsLiteralBlocks) {
  json document = {{"spec", {{"chartValues", "resources:\n  limits:\n    memory: 2Gi\n"}}}};
  EXPECT_EQ(jsonToYaml(document),
            "spec:\n"
            "  chartValues: |\n"
            "    resources:\n"
            "      limits:\n"
            "        memory: 2Gi\n");
  EXPECT_EQ(jsonToYaml({{"a", "x\ny"}}), "a: |-\n  x\n  y\n");
  EXPECT_EQ(jsonToYaml({{"a", "x\n\n"}}), "a: |+\n  x\n\n");
  EXPECT_EQ(jsonToYaml({{"a", json::array({"x\n"})}}), "a:\n  - |\n    x\n");
}

TEST(JsonToYamlTest, WritesOtherScalarsAndEmptyCollections) {
  json document = json::parse(R"({"b": true, "f": 1.5, "g": 100.0, "i": -3, "z": null,
                                  "o": {}, "l": [], "nested": [[1, 2], {"k": [3]}]})");
  std::string yaml = jsonToYaml(document);
  EXPECT_EQ(yaml,
            "b: true\nf: 1.5\ng: 100.0\ni: -3\nl: []\nnested:\n  - - 1\n    - 2\n  - k:\n"
            "      - 3\no: {}\nz: null\n");
  EXPECT_EQ(yamlToJson(yaml), document);
  EXPECT_EQ(jsonToYaml(json::object()), "{}\n");
  EXPECT_EQ(jsonToYaml("text"), "text\n");
}

TEST(JsonToYamlTest, PutsKubernetesKeysFirst) {
  json document = {{"spec", {{"pythonFileName", "x.py"}, {"image", {{"tag", "1"}}}}},
                   {"kind", "Dataflow"},
                   {"apiVersion", "bytewax.io/v1alpha1"},
                   {"metadata", {{"namespace", "ns"}, {"name", "f"}}}};
  EXPECT_EQ(jsonToYaml(document),
            "apiVersion: bytewax.io/v1alpha1\n"
            "kind: Dataflow\n"
            "metadata:\n"
            "  name: f\n"
            "  namespace: ns\n"
            "spec:\n"
            "  image:\n"
            "    tag: \"1\"\n"
            "  pythonFileName: x.py\n");
}

}  // namespace
}  // namespace wax::core
