#include "source/capture_filter.h"

#include <gtest/gtest.h>

namespace vimur {
namespace {

SourceConfig Config(std::vector<std::string> include, std::vector<std::string> exclude = {},
                    std::vector<std::string> columns = {}) {
  SourceConfig config;
  config.include_tables = std::move(include);
  config.exclude_tables = std::move(exclude);
  config.exclude_columns = std::move(columns);
  return config;
}

TEST(CaptureFilterTest, IncludePatternsMatchTheWholeQualifiedName) {
  CaptureFilter filter(Config({R"(shop\.orders)", R"(crm\..*)"}));
  EXPECT_TRUE(filter.IncludesTable("shop", "orders"));
  EXPECT_FALSE(filter.IncludesTable("shop", "orders_archive"));  // not a search
  EXPECT_TRUE(filter.IncludesTable("crm", "contacts"));
  EXPECT_FALSE(filter.IncludesTable("billing", "orders"));
}

TEST(CaptureFilterTest, NoIncludePatternsMeansEveryTableExceptTheExcluded) {
  CaptureFilter filter(Config({}, {R"(.*\.tmp_.*)"}));
  EXPECT_TRUE(filter.IncludesTable("shop", "orders"));
  EXPECT_FALSE(filter.IncludesTable("shop", "tmp_orders"));
  EXPECT_TRUE(filter.IncludesDatabase("anything"));
}

TEST(CaptureFilterTest, DatabasesFromThePrefixOfEachIncludePattern) {
  CaptureFilter filter(Config({R"(shop\.orders)", R"(crm_[0-9]+\..*)"}));
  EXPECT_TRUE(filter.IncludesDatabase("shop"));
  EXPECT_TRUE(filter.IncludesDatabase("crm_12"));
  EXPECT_FALSE(filter.IncludesDatabase("mysql"));
  // A pattern whose prefix is no regex of its own, or with an alternation, may name any.
  EXPECT_TRUE(CaptureFilter(Config({R"((shop\.orders))"})).IncludesDatabase("mysql"));
  EXPECT_TRUE(CaptureFilter(Config({R"(a\.b|c\.d)"})).IncludesDatabase("mysql"));
}

TEST(CaptureFilterTest, ProjectedSchemaDropsExcludedColumnsAndRemapsTheKey) {
  CaptureFilter filter(Config({}, {}, {R"(shop\.users\.(password_hash|ssn))"}));
  TableSchema full;
  full.database = "shop";
  full.table = "users";
  for (const char* name : {"password_hash", "id", "ssn", "email"}) {
    ColumnSchema c;
    c.name = name;
    full.columns.push_back(c);
  }
  full.key_columns = {1};
  auto shared = std::make_shared<const TableSchema>(full);
  std::vector<size_t> kept;
  TableSchemaPtr projected = ProjectedSchema(filter, shared, &kept);
  ASSERT_EQ(projected->columns.size(), 2u);
  EXPECT_EQ(projected->columns[0].name, "id");
  EXPECT_EQ(projected->columns[1].name, "email");
  EXPECT_EQ(kept, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(projected->key_columns, (std::vector<size_t>{0}));
  // Nothing excluded: the same schema object, not a copy.
  CaptureFilter none(Config({}));
  EXPECT_EQ(ProjectedSchema(none, shared, &kept).get(), shared.get());
}

}  // namespace
}  // namespace vimur
