#include "registry/compatibility.h"

#include <gtest/gtest.h>

namespace vimur::registry {
namespace {

std::shared_ptr<const AvroSchema> P(const std::string& text) {
  auto s = AvroSchema::Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

std::string Rec(const std::string& fields, const std::string& name = "r") {
  return R"({"type":"record","name":")" + name + R"(","namespace":"ns","fields":[)" + fields + "]}";
}

struct Pair {
  const char* what;
  std::string reader;
  std::string writer;
  bool can_read;
};

TEST(CompatibilityTest, SchemaResolutionTable) {
  const std::string enum_ab = R"({"type":"enum","name":"e","symbols":["A","B"]})";
  const std::string enum_abc = R"({"type":"enum","name":"e","symbols":["A","B","C"]})";
  const std::string enum_ab_default =
      R"({"type":"enum","name":"e","symbols":["A","B"],"default":"A"})";
  const Pair cases[] = {
      {"same primitive", R"("int")", R"("int")", true},
      {"int promotes to long", R"("long")", R"("int")", true},
      {"int promotes to float", R"("float")", R"("int")", true},
      {"int promotes to double", R"("double")", R"("int")", true},
      {"long promotes to double", R"("double")", R"("long")", true},
      {"long promotes to float", R"("float")", R"("long")", true},
      {"float promotes to double", R"("double")", R"("float")", true},
      {"string reads bytes", R"("string")", R"("bytes")", true},
      {"bytes reads string", R"("bytes")", R"("string")", true},
      {"long does not narrow to int", R"("int")", R"("long")", false},
      {"double does not narrow to float", R"("float")", R"("double")", false},
      {"string is not int", R"("int")", R"("string")", false},
      {"boolean is not int", R"("int")", R"("boolean")", false},
      {"reader union with the writer type", R"(["null","string"])", R"("string")", true},
      {"reader union with a promotion", R"(["null","long"])", R"("int")", true},
      {"reader union lacking the type", R"(["null","int"])", R"("string")", false},
      {"writer union all readable", R"(["null","long"])", R"(["null","int"])", true},
      {"writer union with an unreadable branch", R"("string")", R"(["null","string"])", false},
      {"writer union into a wider union", R"(["null","string","int"])", R"(["string","null"])",
       true},
      {"writer union into a narrower union", R"(["null","string"])", R"(["null","string","int"])",
       false},
      {"added field with default",
       Rec(R"({"name":"a","type":"int"},{"name":"b","type":"int","default":0})"),
       Rec(R"({"name":"a","type":"int"})"), true},
      {"added optional field",
       Rec(R"({"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null})"),
       Rec(R"({"name":"a","type":"int"})"), true},
      {"added field without default", Rec(R"({"name":"a","type":"int"},{"name":"b","type":"int"})"),
       Rec(R"({"name":"a","type":"int"})"), false},
      {"removed field is ignored", Rec(R"({"name":"a","type":"int"})"),
       Rec(R"({"name":"a","type":"int"},{"name":"b","type":"int"})"), true},
      {"field type promoted", Rec(R"({"name":"a","type":"long"})"),
       Rec(R"({"name":"a","type":"int"})"), true},
      {"field type changed", Rec(R"({"name":"a","type":"string"})"),
       Rec(R"({"name":"a","type":"int"})"), false},
      {"field renamed with alias", Rec(R"({"name":"b","type":"int","aliases":["a"]})"),
       Rec(R"({"name":"a","type":"int"})"), true},
      {"field renamed without alias", Rec(R"({"name":"b","type":"int"})"),
       Rec(R"({"name":"a","type":"int"})"), false},
      {"record renamed", Rec(R"({"name":"a","type":"int"})", "s"),
       Rec(R"({"name":"a","type":"int"})"), false},
      {"record renamed with alias",
       R"({"type":"record","name":"s","namespace":"ns","aliases":["r"],"fields":[{"name":"a","type":"int"}]})",
       Rec(R"({"name":"a","type":"int"})"), true},
      {"record namespace changed",
       R"({"type":"record","name":"r","namespace":"other","fields":[]})", Rec(""), true},
      {"enum symbol added", enum_abc, enum_ab, true},
      {"enum symbol removed", enum_ab, enum_abc, false},
      {"enum symbol removed with reader default", enum_ab_default, enum_abc, true},
      {"array items promoted", R"({"type":"array","items":"long"})",
       R"({"type":"array","items":"int"})", true},
      {"array items changed", R"({"type":"array","items":"int"})",
       R"({"type":"array","items":"string"})", false},
      {"map values promoted", R"({"type":"map","values":"double"})",
       R"({"type":"map","values":"float"})", true},
      {"map is not array", R"({"type":"map","values":"int"})", R"({"type":"array","items":"int"})",
       false},
      {"fixed same", R"({"type":"fixed","name":"f","size":4})",
       R"({"type":"fixed","name":"f","size":4})", true},
      {"fixed size changed", R"({"type":"fixed","name":"f","size":8})",
       R"({"type":"fixed","name":"f","size":4})", false},
      {"nested record field added without default",
       Rec(R"({"name":"in","type":)" +
           Rec(R"({"name":"x","type":"int"},{"name":"y","type":"int"})", "inner") + "}"),
       Rec(R"({"name":"in","type":)" + Rec(R"({"name":"x","type":"int"})", "inner") + "}"), false},
      {"recursive list",
       R"({"type":"record","name":"node","fields":[{"name":"v","type":"long"},{"name":"next","type":["null","node"],"default":null}]})",
       R"({"type":"record","name":"node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","node"],"default":null}]})",
       true},
  };
  for (const Pair& c : cases) {
    auto reader = P(c.reader);
    auto writer = P(c.writer);
    ASSERT_TRUE(reader && writer) << c.what;
    auto messages = ReaderCanRead(*reader, *writer);
    EXPECT_EQ(messages.empty(), c.can_read)
        << c.what << (messages.empty() ? std::string() : ": " + messages[0]);
  }
}

TEST(CompatibilityTest, LevelsCheckTheRightDirectionAndVersions) {
  auto v1 = P(Rec(R"({"name":"a","type":"int"})"));
  auto v2 = P(Rec(R"({"name":"a","type":"int"},{"name":"b","type":"string","default":""})"));
  // Adds a required field: readers of it cannot read v1 data, v1 readers ignore it.
  auto required = P(Rec(R"({"name":"a","type":"int"},{"name":"c","type":"int"})"));
  // Drops a required field: old readers cannot read its data.
  auto dropped = P(Rec(R"({"name":"b","type":"string","default":""})"));

  using L = CompatibilityLevel;
  std::vector<const AvroSchema*> one = {v1.get()};
  EXPECT_TRUE(CheckCompatibility(L::kBackward, *v2, one).empty());
  EXPECT_TRUE(CheckCompatibility(L::kForward, *v2, one).empty());
  EXPECT_TRUE(CheckCompatibility(L::kFull, *v2, one).empty());
  EXPECT_FALSE(CheckCompatibility(L::kBackward, *required, one).empty());
  EXPECT_TRUE(CheckCompatibility(L::kForward, *required, one).empty());
  EXPECT_FALSE(CheckCompatibility(L::kFull, *required, one).empty());
  EXPECT_TRUE(CheckCompatibility(L::kNone, *required, one).empty());
  EXPECT_TRUE(CheckCompatibility(L::kBackward, *dropped, one).empty());  // b defaults
  EXPECT_FALSE(CheckCompatibility(L::kForward, *dropped, one).empty());
  EXPECT_TRUE(CheckCompatibility(L::kBackward, *required, {}).empty());  // first version

  // Transitive levels also check older versions; plain ones only the latest.
  auto v3 =
      P(Rec(R"({"name":"b","type":"string","default":""},{"name":"a","type":"int","default":0})"));
  auto v4 = P(Rec(R"({"name":"b","type":"string","default":""})"));
  // v4 reads v3 (drops a); v4 reads v1 (b defaults): backward-compatible with both.
  std::vector<const AvroSchema*> history = {v1.get(), v3.get()};
  EXPECT_TRUE(CheckCompatibility(L::kBackward, *v4, history).empty());
  EXPECT_TRUE(CheckCompatibility(L::kBackwardTransitive, *v4, history).empty());
  // Forward: v3 can read v4 data (a defaults) but v1 cannot (a required, missing).
  EXPECT_TRUE(CheckCompatibility(L::kForward, *v4, history).empty());
  auto messages = CheckCompatibility(L::kForwardTransitive, *v4, history);
  ASSERT_FALSE(messages.empty());
  EXPECT_NE(messages[0].find("/a"), std::string::npos) << messages[0];
  EXPECT_FALSE(CheckCompatibility(L::kFullTransitive, *v4, history).empty());
  EXPECT_TRUE(CheckCompatibility(L::kFull, *v4, history).empty());
}

TEST(CompatibilityTest, ParsesLevels) {
  EXPECT_EQ(ParseCompatibilityLevel("backward"), CompatibilityLevel::kBackward);
  EXPECT_EQ(ParseCompatibilityLevel("FULL_TRANSITIVE"), CompatibilityLevel::kFullTransitive);
  EXPECT_EQ(ParseCompatibilityLevel("NONE"), CompatibilityLevel::kNone);
  EXPECT_FALSE(ParseCompatibilityLevel("SIDEWAYS").has_value());
  EXPECT_STREQ(CompatibilityLevelName(CompatibilityLevel::kForwardTransitive),
               "FORWARD_TRANSITIVE");
}

TEST(CompatibilityTest, InvalidSchemasAreRejectedWithWhere) {
  const char* bad[] = {
      "not json",
      R"({"type":"record","fields":[]})",                                       // no name
      R"({"type":"record","name":"r","fields":[{"name":"a"}]})",                // no type
      R"({"type":"record","name":"r","fields":[{"name":"a","type":"nope"}]})",  // unknown type
      R"({"type":"record","name":"r","fields":[{"name":"a","type":"int","default":"x"}]})",
      R"({"type":"record","name":"r","fields":[{"name":"a","type":["null","int"],"default":1}]})",
      R"({"type":"enum","name":"e","symbols":["A","A"]})",
      R"({"type":"enum","name":"e","symbols":["A"],"default":"B"})",
      R"({"type":"fixed","name":"f"})",
      R"(["int","int"])",
      R"(["null",["int"]])",
      R"({"type":"record","name":"1r","fields":[]})",
      R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]})",
      R"({"type":"array"})",
      R"(42)",
  };
  for (const char* text : bad) {
    auto s = AvroSchema::Parse(text);
    EXPECT_FALSE(s.ok()) << text;
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << text;
    }
  }
  auto s =
      AvroSchema::Parse(R"({"type":"record","name":"r","fields":[{"name":"a","type":"nope"}]})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("the top level.a"), std::string::npos)
      << s.status().message();
}

TEST(CompatibilityTest, DeepNestingIsRejectedNotACrash) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"type":"array","items":)";
  deep += R"("int")";
  for (int i = 0; i < 5000; ++i) deep += "}";
  auto s = AvroSchema::Parse(deep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("nesting"), std::string::npos) << s.status().message();
}

TEST(CompatibilityTest, CanonicalFormIgnoresWhitespaceAndKeyOrder) {
  auto a = P(R"({"type":"record","name":"r","fields":[{"name":"a","type":"int"}]})");
  auto b = P(R"({ "name" : "r", "fields" : [ {"type":"int", "name":"a"} ], "type":"record" })");
  auto c = P(R"({"type":"record","name":"r","fields":[{"name":"a","type":"long"}]})");
  EXPECT_EQ(a->canonical(), b->canonical());
  EXPECT_NE(a->canonical(), c->canonical());
  EXPECT_EQ(b->compact(), R"({"name":"r","fields":[{"type":"int","name":"a"}],"type":"record"})");
}

}  // namespace
}  // namespace vimur::registry
