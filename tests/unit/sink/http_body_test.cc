#include "sink/http/http_body.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sink/http/http_poster.h"
#include "sink/row_json.h"

namespace vimur::sink {
namespace {

TEST(HttpBodyTest, HmacSha256MatchesTheRfc4231Vector) {
  // RFC 4231, test case 2.
  EXPECT_EQ(SignatureHeaderValue("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

constexpr const char* kDelete =
    R"({"before":{"id":3,"name":"x","ok":true},"after":null,)"
    R"("source":{"db":"shop","table":"users","ts_ms":1700000000000},"op":"d"})";

TEST(HttpBodyTest, EnvelopeOrFlattened) {
  InputRecord r{"shop.shop.users", 0, 1, R"({"id":3})", kDelete, 0};
  auto change = DecodeJsonEvent(r);
  ASSERT_TRUE(change.ok()) << change.status().message();
  EXPECT_EQ(EventJson(r, *change, false), kDelete);
  auto flat = nlohmann::json::parse(EventJson(r, *change, true));
  EXPECT_EQ(flat["id"], 3);
  EXPECT_EQ(flat["name"], "x");
  EXPECT_EQ(flat["__op"], "d");
  EXPECT_EQ(flat["__deleted"], true);
  EXPECT_EQ(flat["__table"], "users");
  EXPECT_EQ(flat["__db"], "shop");
  EXPECT_EQ(flat["__source_ts_ms"], 1700000000000);
  HttpGroup g;
  g.events = {"1", "{\"a\":2}"};
  EXPECT_EQ(g.Body(), "[1,{\"a\":2}]");
}

TEST(HttpBodyTest, OneKeyAlwaysGoesToOneGroup) {
  InputRecord a{"t", 0, 1, R"({"id":1})", "{}", 0};
  InputRecord b{"t", 1, 9, R"({"id":1})", "{}", 0};
  std::set<size_t> seen;
  for (int i = 0; i < 50; ++i) {
    InputRecord other{"t", 0, i, "{\"id\":" + std::to_string(i) + "}", "{}", 0};
    seen.insert(GroupOf(other, 4));
  }
  EXPECT_EQ(GroupOf(a, 4), GroupOf(b, 4));
  EXPECT_EQ(seen.size(), 4u);  // keys spread over every group
  EXPECT_EQ(GroupOf(a, 1), 0u);
}

TEST(HttpBodyTest, RowJsonTypes) {
  Row row;
  row.names = {"i", "big", "dec", "f", "b", "s", "raw", "n"};
  row.values = {SqlValue::Number("-5"),      SqlValue::Number("18446744073709551615"),
                SqlValue::Number("12.50"),   SqlValue::Number("1.5e3"),
                SqlValue::Bool(true),        SqlValue::Text("日本"),
                SqlValue::Bytes("\x01\x02"), SqlValue::Null()};
  EXPECT_EQ(RowToJson(row).dump(),
            R"({"i":-5,"big":18446744073709551615,"dec":12.5,"f":1500.0,"b":true,)"
            R"("s":"日本","raw":"AQI=","n":null})");
  // With the events' schema, decimals stay exact strings and float columns are numbers.
  row.types.assign(row.names.size(), ColumnType{});
  row.types.mutable_at(2).connect_type = "bytes";
  row.types.mutable_at(2).logical = "org.apache.kafka.connect.data.Decimal";
  row.types.mutable_at(3).connect_type = "double";
  auto typed = RowToJson(row);
  EXPECT_EQ(typed["dec"], "12.50");
  EXPECT_EQ(typed["f"], 1500.0);
  EXPECT_EQ(typed["big"], 18446744073709551615ull);
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
}

TEST(HttpBodyTest, AnswersThatAreRetried) {
  HttpAnswer none;
  none.error = "Couldn't connect to server";
  EXPECT_TRUE(none.retriable());
  EXPECT_FALSE(none.ok());
  for (long code : {500L, 503L, 408L, 429L}) {
    HttpAnswer a;
    a.status = code;
    EXPECT_TRUE(a.retriable()) << code;
  }
  for (long code : {400L, 401L, 404L, 422L}) {
    HttpAnswer a;
    a.status = code;
    EXPECT_FALSE(a.retriable()) << code;
    EXPECT_FALSE(a.ok()) << code;
  }
  HttpAnswer fine;
  fine.status = 204;
  EXPECT_TRUE(fine.ok());
}

// A TLS failure and refused credentials say what to check; the password is never shown.
TEST(HttpBodyTest, DescribeGivesTlsAndCredentialHints) {
  HttpAnswer tls;
  tls.error = "SSL peer certificate or SSH remote key was not OK: SSL certificate problem";
  tls.tls_failed = true;
  EXPECT_NE(tls.Describe().find("SSL certificate problem"), std::string::npos) << tls.Describe();
  EXPECT_NE(tls.Describe().find("check tls_ca"), std::string::npos) << tls.Describe();
  HttpAnswer refused;
  refused.error = "Couldn't connect to server";
  EXPECT_EQ(refused.Describe(), "no answer (Couldn't connect to server)");
  HttpAnswer unauthorized;
  unauthorized.status = 401;
  unauthorized.body = "<html>\r\n<title>401  Authorization Required</title>\n</html>\n";
  EXPECT_EQ(unauthorized.Describe(),
            "HTTP 401 (the credentials were refused: check username and password): <html> "
            "<title>401 Authorization Required</title> </html>");
  unauthorized.body = "\n";
  EXPECT_EQ(unauthorized.Describe(),
            "HTTP 401 (the credentials were refused: check username and password)");
  EXPECT_FALSE(unauthorized.retriable());
}

// Against a port nobody listens on: a transport error, reported per request.
TEST(HttpBodyTest, PosterReportsNoAnswer) {
  HttpPoster poster("http://127.0.0.1:1/events", 2000);
  HttpRequest r{"[]", {}};
  auto answers = poster.PostAll({&r, &r});
  ASSERT_EQ(answers.size(), 2u);
  for (const auto& a : answers) {
    EXPECT_EQ(a.status, 0);
    EXPECT_FALSE(a.error.empty());
    EXPECT_TRUE(a.retriable());
  }
}

}  // namespace
}  // namespace vimur::sink
