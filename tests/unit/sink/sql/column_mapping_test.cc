#include "sink/sql/column_mapping.h"

#include <gtest/gtest.h>

#include "sink/sql/router.h"
#include "sink/sql/sql_sink.h"
#include "sink/sql/target_writer.h"
#include "sink/sql/type_mapping.h"

namespace vimur::sink {
namespace {

Row UserRow(const std::string& id, const std::string& status) {
  Row r;
  r.names = {"id", "email", "password_hash", "balance", "status"};
  r.values = {SqlValue::Number(id), SqlValue::Text("a@b.c"), SqlValue::Text("secret"),
              SqlValue::Number("12.50"), SqlValue::Text(status)};
  r.types = {ColumnType{"int64", "", -1, -1, false, "", {}},
             ColumnType{"string", "", -1, -1, true, "", {}},
             ColumnType{"string", "", -1, -1, true, "", {}},
             ColumnType{"bytes", "org.apache.kafka.connect.data.Decimal", 12, 2, true, "", {}},
             ColumnType{"string", "", -1, -1, false, "", {}}};
  return r;
}

std::map<std::string, SinkColumnConfig> UserColumns() {
  std::map<std::string, SinkColumnConfig> c;
  c["email"].rename = "email_address";
  c["password_hash"].drop = true;
  c["balance"].type = "NUMERIC(20,4)";
  return c;
}

TEST(ColumnMappingTest, RenameDropAndType) {
  auto m = ColumnMapping::Make("users-copy", UserColumns());
  ASSERT_TRUE(m.ok()) << m.status().message();
  Row out;
  ASSERT_TRUE(m->Apply(UserRow("1", "new"), &out).ok());
  EXPECT_EQ(out.names, (std::vector<std::string>{"id", "email_address", "balance", "status"}));
  EXPECT_EQ(*out.Find("email_address"), SqlValue::Text("a@b.c"));
  EXPECT_EQ(out.Find("password_hash"), nullptr);
  EXPECT_EQ(out.Find("email"), nullptr);
  ASSERT_EQ(out.types.size(), 4u);
  EXPECT_EQ(out.TypeOf("balance")->sql_type, "NUMERIC(20,4)");
  EXPECT_EQ(*out.Find("balance"), SqlValue::Number("12.50"));  // the value is not converted
  EXPECT_EQ(out.TypeOf("email_address")->connect_type, "string");
  // The override is the type the target gets, in either dialect; the others stay mapped.
  EXPECT_EQ(TargetType(Dialect::kPostgres, *out.TypeOf("balance"), false), "NUMERIC(20,4)");
  EXPECT_EQ(TargetType(Dialect::kMariaDb, *out.TypeOf("balance"), false), "NUMERIC(20,4)");
  EXPECT_EQ(TargetType(Dialect::kMariaDb, *out.TypeOf("email_address"), false), "LONGTEXT");
  auto maria = MakeConnection(*ParseDatabaseUrl("mariadb://u@h/d"));
  EXPECT_EQ(TargetWriter::CreateTableSql(*maria, "users", out, {"id"}),
            "CREATE TABLE IF NOT EXISTS `users` (`id` BIGINT NOT NULL, `email_address` LONGTEXT, "
            "`balance` NUMERIC(20,4), `status` LONGTEXT NOT NULL, PRIMARY KEY (`id`))");

  EXPECT_EQ(m->TargetName("email"), "email_address");
  EXPECT_EQ(m->TargetName("password_hash"), std::nullopt);
  EXPECT_EQ(m->TargetName("status"), "status");
  EXPECT_EQ(m->SourceName("email_address"), "email");
  EXPECT_EQ(m->SourceName("status"), "status");
  EXPECT_EQ(m->NotIn({"id", "email", "balance"}), (std::vector<std::string>{"password_hash"}));

  // Rows without a schema are mapped too (no types to carry).
  Row plain = UserRow("2", "x");
  plain.types.clear();
  ASSERT_TRUE(m->Apply(plain, &out).ok());
  EXPECT_EQ(out.names.size(), 4u);
  EXPECT_TRUE(out.types.empty());
}

TEST(ColumnMappingTest, KeyRenameAndDrop) {
  std::map<std::string, SinkColumnConfig> c;
  c["id"].rename = "user_id";
  auto m = ColumnMapping::Make("s", c);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m->TargetKey({"id", "status"}), (std::vector<std::string>{"user_id", "status"}));
  c["id"].rename.clear();
  c["id"].drop = true;
  m = ColumnMapping::Make("s", c);
  ASSERT_TRUE(m.ok());
  auto key = m->TargetKey({"id"});
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("key column 'id' is dropped"), std::string::npos);
}

TEST(ColumnMappingTest, SwapsAndCollisions) {
  std::map<std::string, SinkColumnConfig> swap;
  swap["email"].rename = "status";
  swap["status"].rename = "email";
  auto m = ColumnMapping::Make("s", swap);
  ASSERT_TRUE(m.ok()) << m.status().message();
  Row out;
  ASSERT_TRUE(m->Apply(UserRow("1", "new"), &out).ok());
  EXPECT_EQ(*out.Find("status"), SqlValue::Text("a@b.c"));
  EXPECT_EQ(*out.Find("email"), SqlValue::Text("new"));

  std::map<std::string, SinkColumnConfig> twice;
  twice["email"].rename = "x";
  twice["status"].rename = "x";
  auto bad = ColumnMapping::Make("s", twice);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("both renamed to 'x'"), std::string::npos);

  std::map<std::string, SinkColumnConfig> onto;
  onto["email"].rename = "status";
  onto["status"].type = "TEXT";
  bad = ColumnMapping::Make("s", onto);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("keeps as its own name"), std::string::npos);

  // Onto a column the settings do not name: found in the row.
  std::map<std::string, SinkColumnConfig> hidden;
  hidden["email"].rename = "status";
  m = ColumnMapping::Make("s", hidden);
  ASSERT_TRUE(m.ok());
  Status s = m->Apply(UserRow("1", "new"), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'email' is renamed to 'status'"), std::string::npos) << s.message();

  std::map<std::string, SinkColumnConfig> both;
  both["email"].rename = "e";
  both["email"].drop = true;
  EXPECT_FALSE(ColumnMapping::Make("s", both).ok());
}

SinkConfig UsersSink() {
  SinkConfig c;
  c.name = "users-copy";
  c.targets = {{"pg", "postgresql://u@h/d"}};
  c.table = "users_${status}";  // templates read the source's names
  c.columns = UserColumns();
  c.columns["id"].rename = "user_id";
  c.add_columns = {{"src", "${table}"}};
  c.filter = "status != 'deleted'";
  return c;
}

RowChange Change(char op, const Row* before, const Row* after) {
  RowChange c;
  c.op = op;
  c.db = "shop";
  c.table = "users";
  c.key_columns = {"id"};
  if (before) {
    c.has_before = true;
    c.before = *before;
  }
  if (after) {
    c.has_after = true;
    c.after = *after;
  }
  return c;
}

// The single action of `plan` on `target`, checked to be the only one.
std::vector<const WriteAction*> Actions(const ApplyPlan& plan) {
  std::vector<const WriteAction*> out;
  for (const auto& [target, actions] : plan.by_target) {
    for (const auto& [id, a] : actions) out.push_back(&a);
  }
  return out;
}

TEST(ColumnMappingTest, RouterWritesTheMappedRowUnderTheRenamedKey) {
  auto router = Router::Make(UsersSink());
  ASSERT_TRUE(router.ok()) << router.status().message();
  Row row = UserRow("5", "new");
  Row written;
  RowContext context{&row, "shop", "users", "t"};
  auto place = router->Locate(context, {"id"}, &written);
  ASSERT_TRUE(place.ok()) << place.status().message();
  EXPECT_EQ(place->table, "users_new");
  EXPECT_EQ(place->key_columns, (std::vector<std::string>{"user_id"}));
  EXPECT_EQ(place->key, (std::vector<SqlValue>{SqlValue::Number("5")}));
  EXPECT_EQ(written.names,
            (std::vector<std::string>{"user_id", "email_address", "balance", "status", "src"}));
  EXPECT_EQ(*written.Find("src"), SqlValue::Text("users"));
  auto pg = MakeConnection(*ParseDatabaseUrl("postgresql://u@h/d"));
  EXPECT_EQ(TargetWriter::DeleteSql(*pg, place->table, place->key_columns, {&place->key}),
            "DELETE FROM \"users_new\" WHERE \"user_id\" IN (5)");

  // `key` names target columns: a source name the mapping changes is refused at start.
  SinkConfig c = UsersSink();
  c.key = {"id"};
  auto bad = Router::Make(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("renamed to 'user_id'"), std::string::npos);
  c.key = {"user_id", "src"};
  EXPECT_TRUE(Router::Make(c).ok());
  c.key = {"password_hash"};
  EXPECT_FALSE(Router::Make(c).ok());
  // A malformed filter stops the start, naming the sink and the position.
  c = UsersSink();
  c.filter = "status != deleted";
  bad = Router::Make(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sink users-copy: filter 'status != deleted': at "
                                        "character 11"),
            std::string::npos)
      << bad.status().message();
}

TEST(ColumnMappingTest, PlanKeepsTheCopyEqualToTheFilteredSource) {
  SinkConfig config = UsersSink();
  config.table = "users";
  auto router = Router::Make(config);
  ASSERT_TRUE(router.ok());
  Row in = UserRow("5", "new"), out = UserRow("5", "deleted"), out2 = UserRow("5", "deleted");
  Row moved_in = UserRow("6", "new"), moved_out = UserRow("6", "deleted");
  out2.values[1] = SqlValue::Text("other@b.c");

  auto plan = [&](const RowChange& change) {
    ApplyPlan p;
    Status s = PlanChange(*router, change, "t", &p);
    EXPECT_TRUE(s.ok()) << s.message();
    return p;
  };
  // An insert inside the filter is an upsert; outside it, nothing.
  ApplyPlan p = plan(Change('c', nullptr, &in));
  ASSERT_EQ(Actions(p).size(), 1u);
  EXPECT_FALSE(Actions(p)[0]->remove);
  EXPECT_TRUE(Actions(plan(Change('c', nullptr, &out))).empty());
  // An update that leaves the filter deletes the row; one that enters it upserts it.
  p = plan(Change('u', &in, &out));
  ASSERT_EQ(Actions(p).size(), 1u);
  EXPECT_TRUE(Actions(p)[0]->remove);
  EXPECT_EQ(Actions(p)[0]->place.key_columns, (std::vector<std::string>{"user_id"}));
  p = plan(Change('u', &out, &in));
  ASSERT_EQ(Actions(p).size(), 1u);
  EXPECT_FALSE(Actions(p)[0]->remove);
  // An update outside before and after does nothing; without a before-image the row may have
  // been inside, so it is deleted.
  EXPECT_TRUE(Actions(plan(Change('u', &out, &out2))).empty());
  p = plan(Change('u', nullptr, &out));
  ASSERT_EQ(Actions(p).size(), 1u);
  EXPECT_TRUE(Actions(p)[0]->remove);
  // A key change that leaves the filter deletes both places.
  p = plan(Change('u', &in, &moved_out));
  ASSERT_EQ(Actions(p).size(), 2u);
  EXPECT_TRUE(Actions(p)[0]->remove && Actions(p)[1]->remove);
  // A key change inside the filter deletes the old key and upserts the new one.
  p = plan(Change('u', &in, &moved_in));
  ASSERT_EQ(Actions(p).size(), 2u);
  // Deletes apply inside and outside the filter (outside: harmless).
  for (const Row* r : {&in, &out}) {
    p = plan(Change('d', r, nullptr));
    ASSERT_EQ(Actions(p).size(), 1u);
    EXPECT_TRUE(Actions(p)[0]->remove);
  }
  // A snapshot read outside the filter deletes the row in case it is there.
  p = plan(Change('r', nullptr, &out));
  ASSERT_EQ(Actions(p).size(), 1u);
  EXPECT_TRUE(Actions(p)[0]->remove);
  // In one batch the last change of a key wins: in, then out, leaves a delete.
  ApplyPlan batch;
  ASSERT_TRUE(PlanChange(*router, Change('c', nullptr, &in), "t", &batch).ok());
  ASSERT_TRUE(PlanChange(*router, Change('u', &in, &out), "t", &batch).ok());
  ASSERT_EQ(Actions(batch).size(), 1u);
  EXPECT_TRUE(Actions(batch)[0]->remove);
  // A filter column the row lacks is an error naming the table and the column.
  Row no_status = UserRow("7", "x");
  no_status.names.pop_back();
  no_status.values.pop_back();
  no_status.types.pop_back();
  ApplyPlan failed;
  Status s = PlanChange(*router, Change('c', nullptr, &no_status), "t", &failed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("shop.users"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("column 'status'"), std::string::npos) << s.message();
}

// PostgreSQL's unchanged TOASTed values arrive as Debezium's placeholder: an update keeps the
// target's value (the column is not written) or the value an earlier change of the batch wrote.
TEST(ColumnMappingTest, UnavailableValuesKeepTheTargetsValue) {
  SinkConfig config = UsersSink();
  config.table = "users";
  auto router = Router::Make(config);
  ASSERT_TRUE(router.ok());
  Row in = UserRow("5", "new");
  Row toasted = UserRow("5", "active");
  toasted.values[1] = SqlValue::Text("__debezium_unavailable_value");
  ApplyPlan alone;
  ASSERT_TRUE(PlanChange(*router, Change('u', nullptr, &toasted), "t", &alone).ok());
  ASSERT_EQ(Actions(alone).size(), 1u);
  const Row& written = Actions(alone)[0]->row;
  EXPECT_EQ(written.Find("email_address"), nullptr);  // left out: the target keeps its value
  EXPECT_EQ(*written.Find("status"), SqlValue::Text("active"));
  EXPECT_EQ(written.names.size(), written.types.size());
  ApplyPlan batch;
  ASSERT_TRUE(PlanChange(*router, Change('c', nullptr, &in), "t", &batch).ok());
  ASSERT_TRUE(PlanChange(*router, Change('u', &in, &toasted), "t", &batch).ok());
  ASSERT_EQ(Actions(batch).size(), 1u);
  EXPECT_EQ(*Actions(batch)[0]->row.Find("email_address"), SqlValue::Text("a@b.c"));
  EXPECT_EQ(*Actions(batch)[0]->row.Find("status"), SqlValue::Text("active"));
  // Arrays: Debezium's one-element placeholder array.
  Row array_toasted = UserRow("5", "x");
  array_toasted.values[1] = SqlValue::Array({SqlValue::Text("__debezium_unavailable_value")});
  ApplyPlan arrays;
  ASSERT_TRUE(PlanChange(*router, Change('u', nullptr, &array_toasted), "t", &arrays).ok());
  EXPECT_EQ(Actions(arrays)[0]->row.Find("email_address"), nullptr);
  // An insert is written as it is.
  ApplyPlan insert;
  ASSERT_TRUE(PlanChange(*router, Change('c', nullptr, &toasted), "t", &insert).ok());
  EXPECT_NE(Actions(insert)[0]->row.Find("email_address"), nullptr);
}

}  // namespace
}  // namespace vimur::sink

namespace vimur::sink {
namespace {

// The settings as a file gives them: `columns` is a mapping of source columns to settings,
// `filter` is kept as written (no ${VAR} expansion); unknown keys under a column are refused.
TEST(ColumnMappingTest, ReadFromTheConfigurationFile) {
  const std::string head =
      "name: shop\nsources:\n  - {name: db, type: mysql, user: u}\nsinks:\n"
      "  - name: users-copy\n    type: sql\n    topics: ['shop\\.shop\\.users']\n"
      "    targets: {pg: 'postgresql://u@h/d'}\n";
  auto config = LoadConfigText(head +
                                   "    columns:\n"
                                   "      email: {rename: email_address}\n"
                                   "      password_hash: {drop: true}\n"
                                   "      balance: {type: 'NUMERIC(20,4)'}\n"
                                   "    filter: \"status != '${x}' and id in (1, 2)\"\n",
                               "p.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const SinkConfig& sink = config->sinks.at(0);
  ASSERT_EQ(sink.columns.size(), 3u);
  EXPECT_EQ(sink.columns.at("email").rename, "email_address");
  EXPECT_FALSE(sink.columns.at("email").drop);
  EXPECT_TRUE(sink.columns.at("password_hash").drop);
  EXPECT_EQ(sink.columns.at("balance").type, "NUMERIC(20,4)");
  EXPECT_EQ(sink.filter, "status != '${x}' and id in (1, 2)");
  auto bad = LoadConfigText(head + "    columns:\n      email: {renam: x}\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("renam"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace vimur::sink
