// BackQuery: the query template, the cache (hits, expiry, invalidation by the queried row's
// key, the bound on entries) and the answers for NULLs and missing rows, with a connection that
// answers from a table in memory and counts the queries it ran.
#include "sink/enrich/back_query.h"

#include <gtest/gtest.h>

#include <map>

namespace vimur::sink {
namespace {

class TableConnection : public SqlConnection {
 public:
  explicit TableConnection(std::map<std::string, TextRow> rows)
      : SqlConnection(DatabaseUrl{}), rows_(std::move(rows)) {}
  Dialect dialect() const override { return Dialect::kMariaDb; }
  Status Connect() override {
    return down ? Status::Unavailable("connection refused") : Status::Ok();
  }
  void Disconnect() override {}
  Status Execute(const std::string&) override { return Status::Ok(); }
  // Answers "... = LITERAL" with the row stored under LITERAL.
  Result<std::vector<TextRow>> Query(const std::string& sql) override {
    ran.push_back(sql);
    if (down) return Status::Unavailable("server has gone away");
    auto it = rows_.find(sql.substr(sql.rfind('=') + 2));
    if (it == rows_.end()) return std::vector<TextRow>{};
    return std::vector<TextRow>{it->second};
  }
  std::string Literal(const SqlValue& v) override {
    return v.kind == SqlKind::kNumber ? v.text : "'" + v.text + "'";
  }
  std::string Name(const std::string& identifier) const override { return identifier; }
  Result<std::vector<ColumnInfo>> Columns(const std::string&) override {
    return std::vector<ColumnInfo>{};
  }
  Result<std::vector<std::string>> PrimaryKey(const std::string&) override {
    return std::vector<std::string>{};
  }
  std::map<std::string, TextRow> rows_;
  std::vector<std::string> ran;
  bool down = false;
};

Row OrderRow(std::optional<int> user_id) {
  Row row;
  row.names = {"id", "user_id"};
  row.values = {SqlValue::Number("1"),
                user_id ? SqlValue::Number(std::to_string(*user_id)) : SqlValue::Null()};
  return row;
}

struct Fixture {
  explicit Fixture(int64_t ttl_ms = 60000, int max_entries = 100) {
    config.name = "user";
    config.query = "SELECT name, tier FROM users WHERE id = ${user_id}";
    config.columns = {"user_name", "user_tier"};
    config.ttl_ms = ttl_ms;
    config.cache_max_entries = max_entries;
    auto owned = std::make_unique<TableConnection>(
        std::map<std::string, TextRow>{{"1", {"Ada", "3"}}, {"2", {"Bo", std::nullopt}}});
    connection = owned.get();
    query = std::make_unique<BackQuery>(config, "sink s: enrich user",
                                        *BackQuery::ParseTemplate(config.query), std::move(owned));
  }
  SinkEnrichConfig config;
  TableConnection* connection;
  std::unique_ptr<BackQuery> query;
};

using Answer = BackQuery::Answer;

TEST(BackQueryTest, TemplatesNameColumnsOfTheRow) {
  auto parts = BackQuery::ParseTemplate("SELECT a FROM t WHERE x = ${x} AND y = ${y}");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0], (std::pair<std::string, std::string>{"SELECT a FROM t WHERE x = ", "x"}));
  EXPECT_EQ((*parts)[1], (std::pair<std::string, std::string>{" AND y = ", "y"}));
  EXPECT_EQ((*parts)[2], (std::pair<std::string, std::string>{"", ""}));
  EXPECT_FALSE(BackQuery::ParseTemplate("SELECT 1").ok());
  EXPECT_FALSE(BackQuery::ParseTemplate("SELECT ${x").ok());
  EXPECT_FALSE(BackQuery::ParseTemplate("SELECT ${}").ok());
}

TEST(BackQueryTest, AnswersAreCachedUntilTheyExpireOrTheRowChanges) {
  Fixture f;
  const auto t0 = BackQuery::Clock::now();
  EXPECT_EQ(*f.query->Lookup(OrderRow(1), t0), (Answer{"Ada", "3"}));
  EXPECT_EQ(f.connection->ran,
            std::vector<std::string>{"SELECT name, tier FROM users WHERE id = 1"});
  EXPECT_EQ(*f.query->Lookup(OrderRow(1), t0 + std::chrono::seconds(59)), (Answer{"Ada", "3"}));
  EXPECT_EQ(f.query->queries(), 1u);
  // The database changed: the cached answer stays until the users row's change drops it.
  f.connection->rows_["1"] = {"Ada L.", "4"};
  EXPECT_EQ(*f.query->Lookup(OrderRow(1), t0), (Answer{"Ada", "3"}));
  f.query->Invalidate("1");
  EXPECT_EQ(*f.query->Lookup(OrderRow(1), t0), (Answer{"Ada L.", "4"}));
  EXPECT_EQ(f.query->queries(), 2u);
  // ... or until it expires.
  f.connection->rows_["1"] = {"Ada M.", "5"};
  EXPECT_EQ(*f.query->Lookup(OrderRow(1), t0 + std::chrono::seconds(61)), (Answer{"Ada M.", "5"}));
  EXPECT_EQ(f.query->queries(), 3u);
}

TEST(BackQueryTest, NullsMissingRowsAndMissingColumns) {
  Fixture f;
  EXPECT_EQ(*f.query->Lookup(OrderRow(std::nullopt)), (Answer{std::nullopt, std::nullopt}));
  EXPECT_EQ(f.query->queries(), 0u);  // a NULL matches nothing: not asked
  EXPECT_EQ(*f.query->Lookup(OrderRow(2)), (Answer{"Bo", std::nullopt}));
  EXPECT_EQ(*f.query->Lookup(OrderRow(9)), (Answer{std::nullopt, std::nullopt}));
  EXPECT_EQ(*f.query->LookupAll(OrderRow(2)), std::vector<Answer>{(Answer{"Bo", std::nullopt})});
  EXPECT_TRUE(f.query->LookupAll(OrderRow(9))->empty());
  EXPECT_TRUE(f.query->LookupAll(OrderRow(std::nullopt))->empty());
  Row no_user;
  no_user.names = {"id"};
  no_user.values = {SqlValue::Number("1")};
  auto missing = f.query->Lookup(no_user);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no column 'user_id'"), std::string::npos);
  EXPECT_FALSE(missing.status().retriable());
}

TEST(BackQueryTest, AnUnreachableDatabaseIsRetriable) {
  Fixture f;
  f.connection->down = true;
  auto down = f.query->Lookup(OrderRow(1));
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.status().retriable()) << down.status().message();
  EXPECT_NE(down.status().message().find("enrich user"), std::string::npos);
  f.connection->down = false;
  EXPECT_EQ(*f.query->Lookup(OrderRow(1)), (Answer{"Ada", "3"}));
}

TEST(BackQueryTest, TheCacheKeepsAtMostItsBoundAndNothingWithoutTtl) {
  Fixture bounded(60000, 2);
  for (int id : {1, 2, 3, 1, 2, 3, 4, 5, 6}) ASSERT_TRUE(bounded.query->Lookup(OrderRow(id)).ok());
  EXPECT_LE(bounded.query->cached(), 2u);
  Fixture uncached(0, 100);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(uncached.query->Lookup(OrderRow(1)).ok());
  EXPECT_EQ(uncached.query->queries(), 3u);
  EXPECT_EQ(uncached.query->cached(), 0u);
}

}  // namespace
}  // namespace vimur::sink
