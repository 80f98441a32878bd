// Golden tests: binlogs written by a real MariaDB 10.11 server (tests/data/binlog/mariadb_10_11,
// see its README) read with BinlogFileReader and parsed with BinlogEventParser. The expected
// values come from the workload SQL and from mariadb-binlog's decoding of the same files.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "source/mysql/binlog_event_parser.h"
#include "source/mysql/binlog_file_reader.h"
#include "source/mysql/gtid_set.h"

namespace vimur::mysql {
namespace {

std::string DataFile(const char* name) {
  return std::string(VIMUR_TEST_DATA_DIR) + "/binlog/mariadb_10_11/" + name;
}

struct Parsed {
  std::vector<uint8_t> types;
  std::vector<TableMapEvent> table_maps;
  std::vector<RowsEvent> rows;  // views into `inflated` or the reader's buffer (not kept)
  std::vector<std::string> row_images;
  std::vector<QueryEvent> queries;
  std::vector<MariaGtidEvent> gtids;
  std::vector<std::string> annotations;
  MariaGtidListEvent gtid_list;
  RotateEvent rotate;
  FormatDescriptionEvent fde;
  int xids = 0;
};

// Reads the whole file, parsing every event the parser knows.
Parsed ReadAll(const std::string& path) {
  Parsed out;
  auto reader = BinlogFileReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return out;
  BinlogEventParser parser;
  std::string inflated;
  while (true) {
    auto next = (*reader)->Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) break;
    auto ev = parser.Frame(**next);
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    if (!ev.ok()) break;
    // Positions chain: each header's next_pos is where the following event starts.
    EXPECT_EQ(ev->header.next_pos, (*reader)->next_position());
    out.types.push_back(ev->header.type);
    Status s;
    switch (ev->type()) {
      case EventType::kFormatDescription: {
        auto fde = parser.ParseFormatDescription(*ev);
        s = fde.status();
        if (fde.ok()) {
          out.fde = *fde;
          parser.Apply(*fde);
        }
        break;
      }
      case EventType::kMariaGtidList: {
        auto list = parser.ParseMariaGtidList(*ev);
        s = list.status();
        if (list.ok()) out.gtid_list = *list;
        break;
      }
      case EventType::kMariaGtid: {
        auto g = parser.ParseMariaGtid(*ev);
        s = g.status();
        if (g.ok()) out.gtids.push_back(*g);
        break;
      }
      case EventType::kQuery:
      case EventType::kMariaQueryCompressed: {
        auto q = parser.ParseQuery(*ev);
        s = q.status();
        if (q.ok()) out.queries.push_back(*q);
        break;
      }
      case EventType::kMariaAnnotateRows: {
        auto a = parser.ParseAnnotateRows(*ev);
        s = a.status();
        if (a.ok()) out.annotations.push_back(a->query);
        break;
      }
      case EventType::kTableMap: {
        auto tm = parser.ParseTableMap(*ev);
        s = tm.status();
        if (tm.ok()) out.table_maps.push_back(*tm);
        break;
      }
      case EventType::kXid: {
        s = parser.ParseXid(*ev).status();
        ++out.xids;
        break;
      }
      case EventType::kRotate: {
        auto r = parser.ParseRotate(*ev);
        s = r.status();
        if (r.ok()) out.rotate = *r;
        break;
      }
      default:
        if (BinlogEventParser::IsRowsEvent(ev->header.type)) {
          auto rows = parser.ParseRows(*ev, &inflated);
          s = rows.status();
          if (rows.ok()) {
            out.row_images.emplace_back(rows->rows);
            out.rows.push_back(*rows);
          }
        }
        break;
    }
    EXPECT_TRUE(s.ok()) << EventTypeName(ev->header.type) << ": " << s.ToString();
  }
  return out;
}

TEST(BinlogEventParserGoldenTest, MariaDbCompressedBinlog) {
  Parsed p = ReadAll(DataFile("mysql-bin.000002"));
  const std::vector<uint8_t> expected_types = {15,  163, 161, 162, 2,   161, 162, 165, 162,
                                               160, 19,  166, 16,  162, 160, 19,  166, 16,
                                               162, 160, 19,  167, 160, 19,  168, 16,  4};
  EXPECT_EQ(p.types, expected_types);

  EXPECT_EQ(p.fde.server_version, "10.11.19-MariaDB-0+deb12u1-log");
  EXPECT_EQ(p.fde.checksum, ChecksumAlgorithm::kCrc32);
  EXPECT_TRUE(p.fde.is_mariadb());

  ASSERT_EQ(p.gtid_list.gtids.size(), 1u);
  MariaGtidState state;
  for (const auto& g : p.gtid_list.gtids) state.Update(g);
  EXPECT_EQ(state.ToString(), "0-1-13");
  ASSERT_EQ(p.gtids.size(), 5u);
  for (size_t i = 0; i < p.gtids.size(); ++i) {
    EXPECT_EQ(p.gtids[i].domain_id, 0u);
    EXPECT_EQ(p.gtids[i].server_id, 1u);
    EXPECT_EQ(p.gtids[i].sequence, 14 + i);
    EXPECT_EQ(p.gtids[i].standalone(), i < 2) << i;  // the two DDL statements
    state.Update(p.gtids[i]);
  }
  EXPECT_EQ(state.ToString(), "0-1-18");

  ASSERT_EQ(p.queries.size(), 2u);
  EXPECT_EQ(p.queries[0].query, "CREATE DATABASE shop");
  // QUERY_COMPRESSED, inflated.
  EXPECT_EQ(p.queries[1].query.rfind("CREATE TABLE shop.wide (", 0), 0u) << p.queries[1].query;
  EXPECT_NE(p.queries[1].query.find("PRIMARY KEY (id, name(10))"), std::string::npos);
  ASSERT_EQ(p.annotations.size(), 4u);
  EXPECT_EQ(p.annotations[3], "DELETE FROM shop.wide WHERE name = 'beta'");

  ASSERT_EQ(p.table_maps.size(), 4u);
  const TableMapEvent& tm = p.table_maps[0];
  EXPECT_EQ(tm.table_id, 21u);
  EXPECT_EQ(tm.database, "shop");
  EXPECT_EQ(tm.table, "wide");
  EXPECT_EQ(tm.column_names,
            (std::vector<std::string>{"id", "name", "price", "flags", "status", "tags", "note",
                                      "loc", "code", "ts", "amount", "small"}));
  EXPECT_EQ(tm.column_types,
            (std::vector<uint8_t>{3, 15, 246, 16, 254, 254, 252, 255, 254, 17, 5, 2}));
  EXPECT_EQ(tm.column_meta,
            (std::vector<uint16_t>{0, 256, (10 << 8) | 2, (1 << 8) | 2, (247 << 8) | 1,
                                   (248 << 8) | 1, 2, 4, (254 << 8) | 16, 3, 8, 0}));
  EXPECT_EQ(tm.nullable, (std::vector<bool>{false, false, false, true, true, true, true, true, true,
                                            true, true, true}));
  EXPECT_EQ(tm.is_unsigned, (std::vector<bool>{true, false, false, false, false, false, false,
                                               false, false, false, false, true}));
  // utf8mb4_general_ci = 45, latin1_swedish_ci = 8, binary = 63.
  ASSERT_EQ(tm.column_charset.size(), 12u);
  EXPECT_EQ(tm.column_charset[1], 45u);  // name
  EXPECT_EQ(tm.column_charset[4], 8u);   // status ENUM latin1
  EXPECT_EQ(tm.column_charset[5], 45u);  // tags SET
  EXPECT_EQ(tm.column_charset[6], 8u);   // note TEXT latin1
  EXPECT_EQ(tm.column_charset[8], 63u);  // code BINARY
  EXPECT_EQ(tm.column_charset[0], 0u);   // not a string
  EXPECT_EQ(tm.enum_values[4], (std::vector<std::string>{"new", "paid", "shipped"}));
  EXPECT_EQ(tm.set_values[5], (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(tm.geometry_types[7], 1u);  // POINT
  EXPECT_EQ(tm.primary_key, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(tm.primary_key_prefix, (std::vector<uint32_t>{0, 10}));

  // Compressed rows events, inflated.
  ASSERT_EQ(p.rows.size(), 4u);
  EXPECT_EQ(p.rows[0].kind, RowsKind::kWrite);
  EXPECT_EQ(p.rows[0].version, 1);
  EXPECT_EQ(p.rows[0].table_id, 21u);
  EXPECT_TRUE(p.rows[0].statement_end());
  EXPECT_EQ(p.rows[0].column_count, 12u);
  EXPECT_EQ(p.rows[0].columns_present_after, std::vector<bool>(12, true));
  EXPECT_NE(p.row_images[0].find("alpha"), std::string::npos);
  // The second insert's TEXT of 2000 bytes compressed into a 90-byte event.
  EXPECT_NE(p.row_images[1].find(std::string("long text long text ")), std::string::npos);
  EXPECT_GT(p.row_images[1].size(), 2000u);
  EXPECT_EQ(p.rows[2].kind, RowsKind::kUpdate);
  EXPECT_EQ(p.rows[2].columns_present_before, std::vector<bool>(12, true));
  EXPECT_EQ(p.rows[3].kind, RowsKind::kDelete);
  EXPECT_EQ(p.xids, 3);

  EXPECT_EQ(p.rotate.next_file, "mysql-bin.000003");
  EXPECT_EQ(p.rotate.position, 4u);
}

TEST(BinlogEventParserGoldenTest, MariaDbPlainBinlog) {
  Parsed p = ReadAll(DataFile("mysql-bin.000003"));
  const std::vector<uint8_t> expected_types = {15, 163, 161, 161, 162, 2,  162, 160, 19,
                                               23, 16,  162, 160, 19,  24, 16,  162, 160,
                                               19, 25,  16,  162, 160, 19, 24,  16,  4};
  EXPECT_EQ(p.types, expected_types);
  ASSERT_EQ(p.table_maps.size(), 4u);
  const TableMapEvent& items = p.table_maps[0];
  EXPECT_EQ(items.table, "items");
  EXPECT_EQ(items.column_types, (std::vector<uint8_t>{8, 15, 3}));
  EXPECT_EQ(items.column_meta, (std::vector<uint16_t>{0, 20, 0}));  // latin1: 20 bytes
  EXPECT_EQ(items.column_charset, (std::vector<uint32_t>{0, 8, 0}));
  EXPECT_EQ(items.primary_key, std::vector<uint32_t>{0});
  EXPECT_EQ(items.primary_key_prefix, std::vector<uint32_t>{0});
  EXPECT_EQ(items.nullable, (std::vector<bool>{false, true, true}));
  EXPECT_EQ(items.is_unsigned, (std::vector<bool>{false, false, false}));

  ASSERT_EQ(p.rows.size(), 4u);
  EXPECT_EQ(p.rows[0].kind, RowsKind::kWrite);
  EXPECT_EQ(p.rows[0].version, 1);
  EXPECT_EQ(p.rows[0].table_id, 22u);
  EXPECT_NE(p.row_images[0].find("two"), std::string::npos);
  EXPECT_EQ(p.rows[1].kind, RowsKind::kUpdate);
  EXPECT_EQ(p.rows[2].kind, RowsKind::kDelete);
  // The wide table again, with its row metadata, in an uncompressed update.
  EXPECT_EQ(p.table_maps[3].table, "wide");
  EXPECT_EQ(p.rows[3].table_id, 21u);
  EXPECT_EQ(p.rows[3].column_count, 12u);
  EXPECT_EQ(p.rotate.next_file, "mysql-bin.000004");
}

}  // namespace
}  // namespace vimur::mysql
