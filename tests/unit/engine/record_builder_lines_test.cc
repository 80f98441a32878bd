// RecordBuilder::BuildLines (the stdout fast path) writes byte for byte what Build followed by
// StdoutTransport::Send writes, for every kind of record.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "../format/debezium_json_cases.h"
#include "engine/record_builder.h"
#include "transport/file_offset_store.h"
#include "transport/stdout_transport.h"

namespace vimur {
namespace {

std::vector<Transaction> Transactions(const std::vector<ChangeEvent>& events) {
  std::vector<Transaction> txns;
  // Position-only (heartbeat), DDL only, DDL with rows, chunks of one transaction, and every
  // case event, in transactions of up to 17 events.
  Transaction position_only;
  position_only.id = "heartbeat";
  position_only.end.file = "mysql-bin.000001";
  position_only.end.pos = 4;
  txns.push_back(position_only);

  auto source = events.front().source;
  SchemaChange ddl;
  ddl.database = "shop";
  ddl.ddl = "CREATE TABLE \"x\" (\n a INT)";
  ddl.source = source;
  ddl.tables = {"shop.x"};
  Transaction ddl_only;
  ddl_only.id = "0-1-1";
  ddl_only.source = source;
  ddl_only.schema_changes = {ddl};
  txns.push_back(ddl_only);

  for (size_t i = 0; i < events.size(); i += 17) {
    Transaction t;
    t.id = "0-1-" + std::to_string(i + 2);
    t.source = source;
    for (size_t j = i; j < events.size() && j < i + 17; ++j) t.events.push_back(events[j]);
    if (i == 0) t.schema_changes = {ddl};
    // Every third transaction arrives in two chunks of one transaction id.
    if (i / 17 % 3 == 1 && t.events.size() > 1) {
      Transaction first = t;
      first.complete = false;
      first.events.resize(t.events.size() / 2);
      t.events.erase(t.events.begin(), t.events.begin() + static_cast<long>(first.events.size()));
      txns.push_back(first);
    }
    txns.push_back(t);
  }
  return txns;
}

std::string ThroughRecords(RecordBuilder& builder, const std::vector<Transaction>& txns) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  StdoutTransport transport(file,
                            std::make_unique<FileOffsetStore>(::testing::TempDir(), "unused"));
  for (const Transaction& t : txns) {
    OutgoingBatch batch;
    EXPECT_TRUE(builder.Build(t, 1714557600123, &batch).ok());
    int acked = 0;
    EXPECT_TRUE(transport.Send(std::move(batch), [&](const Status& s) { acked += s.ok(); }).ok());
    EXPECT_EQ(acked, 1);
  }
  std::string out(static_cast<size_t>(std::ftell(file)), '\0');
  std::rewind(file);
  EXPECT_EQ(std::fread(out.data(), 1, out.size(), file), out.size());
  std::fclose(file);
  return out;
}

std::string ThroughLines(RecordBuilder& builder, const std::vector<Transaction>& txns) {
  std::string out;
  JsonBuffer lines;
  for (const Transaction& t : txns) {
    lines.Clear();
    EXPECT_TRUE(builder.BuildLines(t, 1714557600123, &lines).ok());
    out += lines.view();
  }
  return out;
}

TEST(RecordBuilderLinesTest, LinesMatchRecordsWrittenByStdoutTransport) {
  const auto texts = testing::CaseTexts();
  const auto events = testing::CaseEvents(texts);
  const auto txns = Transactions(events);
  for (bool metadata : {false, true}) {
    for (bool heartbeat : {false, true}) {
      for (bool schemas : {false, true}) {
        RecordBuilderOptions o;
        o.topic_prefix = "sh\"op";
        if (metadata) o.transaction_topic = "shop.transaction";
        if (heartbeat) o.heartbeat_topic = "__vimur-heartbeat.shop";
        JsonFormatOptions json{schemas, metadata, "shop"};
        RecordBuilder records(o, std::make_unique<JsonEventSerializer>(json));
        RecordBuilder lines(o, std::make_unique<JsonEventSerializer>(json));
        lines.UseJsonLines(json);
        const std::string want = ThroughRecords(records, txns);
        const std::string got = ThroughLines(lines, txns);
        EXPECT_GT(want.size(), 10000u);
        EXPECT_EQ(got, want) << "metadata " << metadata << " heartbeat " << heartbeat << " schemas "
                             << schemas;
      }
    }
  }
}

TEST(RecordBuilderLinesTest, RequiresUseJsonLines) {
  RecordBuilder b(RecordBuilderOptions{},
                  std::make_unique<JsonEventSerializer>(JsonFormatOptions{}));
  JsonBuffer out;
  EXPECT_FALSE(b.BuildLines(Transaction(), 1, &out).ok());
}

}  // namespace
}  // namespace vimur
