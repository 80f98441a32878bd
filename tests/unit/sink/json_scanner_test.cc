#include "sink/json_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vimur::sink {
namespace {

using Kind = JsonScalar::Kind;

// A scalar read from `text` alone; its string text copied (the scanner's buffer goes with it).
JsonScalar Scalar(std::string_view text, bool* ok) {
  static std::string copied;
  JsonScanner scanner(text);
  JsonScalar v;
  *ok = scanner.ReadScalar(&v) && scanner.AtEnd();
  copied = std::string(v.text);
  v.text = copied;
  return v;
}

TEST(JsonScannerTest, Scalars) {
  bool ok;
  EXPECT_EQ(Scalar(" null ", &ok).kind, Kind::kNull);
  EXPECT_TRUE(ok);
  JsonScalar v = Scalar("true", &ok);
  EXPECT_TRUE(ok && v.kind == Kind::kBool && v.boolean);
  v = Scalar("-12", &ok);
  EXPECT_TRUE(ok && v.kind == Kind::kInteger && v.integer == -12);
  v = Scalar("18446744073709551615", &ok);
  EXPECT_TRUE(ok && v.kind == Kind::kUnsigned && v.unsigned_integer == 18446744073709551615u);
  v = Scalar("18446744073709551616", &ok);  // beyond 64 bits: a double, as nlohmann reads it
  EXPECT_TRUE(ok && v.kind == Kind::kFloat && v.number == "18446744073709551616");
  v = Scalar("-1.5e-3", &ok);
  EXPECT_TRUE(ok && v.kind == Kind::kFloat && v.number == "-1.5e-3" && v.floating == -1.5e-3);
  v = Scalar(R"("a\"b\\c\/\n\u00e9\ud83d\ude00")", &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(v.text, "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
  v = Scalar("\"caf\xc3\xa9\"", &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(v.text, "caf\xc3\xa9");
}

TEST(JsonScannerTest, RejectsWhatNlohmannRejects) {
  for (std::string text : {"01",
                           "-",
                           "1.",
                           ".5",
                           "1e",
                           "+1",
                           "tru",
                           "nul",
                           "\"\\x\"",
                           "\"\\ud800\"",
                           "\"\\udc00\"",
                           "\"\xc3\"",
                           "\"\xed\xa0\x80\"",
                           "\"\xc0\xaf\"",
                           "\"\xf5\x80\x80\x80\"",
                           "\"a\nb\"",
                           "\"abc",
                           "1 2",
                           "1e400",
                           "-1e400"}) {
    bool ok;
    Scalar(text, &ok);
    EXPECT_FALSE(ok) << text;
  }
}

TEST(JsonScannerTest, ObjectsAndSkip) {
  JsonScanner scanner(R"( {"a": [1, {"x": []}, "s"], "b" : {"c": null}, "d": -0.5} )");
  std::vector<std::string> keys, raws;
  ASSERT_TRUE(scanner.ReadObject([&](std::string_view key) {
    keys.emplace_back(key);
    std::string_view raw;
    if (!scanner.Skip(&raw)) return false;
    raws.emplace_back(raw);
    return true;
  }));
  EXPECT_TRUE(scanner.AtEnd());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(raws, (std::vector<std::string>{R"([1, {"x": []}, "s"])", R"({"c": null})", "-0.5"}));
  for (std::string bad : {"{\"a\":1,}", "{\"a\" 1}", "{\"a\":[1,]}", "{\"a\":1", "{a:1}",
                          "{\"a\":[1 2]}", "{\"a\":1}}"}) {
    JsonScanner s(bad);
    EXPECT_FALSE(s.ReadObject([&](std::string_view) { return s.Skip(); }) && s.AtEnd()) << bad;
  }
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  JsonScanner s(deep);
  EXPECT_FALSE(s.Skip());  // too deep: declined
}

}  // namespace
}  // namespace vimur::sink
