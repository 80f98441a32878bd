// libFuzzer target for the row image decoder, the table schema builder and the MySQL binary
// JSON decoder: table shapes (types, metadata, flags) and row bytes both come from the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.h"
#include "core/byte_reader.h"
#include "source/mysql/mysql_json_decoder.h"
#include "source/mysql/row_image_decoder.h"
#include "source/mysql/table_schema_builder.h"

namespace {

using vimur::ByteArena;
using vimur::ByteReader;
using vimur::Value;
using vimur::mysql::BinlogColumnType;
using vimur::mysql::TableMapEvent;

constexpr uint8_t kTypes[] = {
    BinlogColumnType::kTiny,      BinlogColumnType::kShort,      BinlogColumnType::kLong,
    BinlogColumnType::kFloat,     BinlogColumnType::kDouble,     BinlogColumnType::kNull,
    BinlogColumnType::kTimestamp, BinlogColumnType::kLongLong,   BinlogColumnType::kInt24,
    BinlogColumnType::kDate,      BinlogColumnType::kTime,       BinlogColumnType::kDatetime,
    BinlogColumnType::kYear,      BinlogColumnType::kNewDate,    BinlogColumnType::kVarchar,
    BinlogColumnType::kBit,       BinlogColumnType::kTimestamp2, BinlogColumnType::kDatetime2,
    BinlogColumnType::kTime2,     BinlogColumnType::kJson,       BinlogColumnType::kNewDecimal,
    BinlogColumnType::kBlob,      BinlogColumnType::kVarString,  BinlogColumnType::kString,
    BinlogColumnType::kGeometry,  BinlogColumnType::kVector,     BinlogColumnType::kTinyBlob,
};

constexpr uint32_t kCharsets[] = {0, 8, 63, 255, 33, 47};

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | (Byte() << 8)); }
  std::string_view Rest() const {
    return {reinterpret_cast<const char*>(data_ + pos_), size_ - pos_};
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

TableMapEvent MakeTableMap(Input* in, std::vector<bool>* present) {
  TableMapEvent map;
  map.database = "fuzz";
  map.table = "t";
  const size_t n = 1 + in->Byte() % 12;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t selector = in->Byte();
    uint8_t type = (selector & 0x80) != 0 ? in->Byte() : kTypes[selector % sizeof(kTypes)];
    uint16_t meta = in->U16();
    const uint8_t flags = in->Byte();
    // Mostly plausible metadata so decoding goes deep; sometimes raw bytes.
    if ((flags & 0x80) == 0) {
      switch (type) {
        case BinlogColumnType::kDatetime2:
        case BinlogColumnType::kTimestamp2:
        case BinlogColumnType::kTime2: meta %= 7; break;
        case BinlogColumnType::kBlob:
        case BinlogColumnType::kJson:
        case BinlogColumnType::kGeometry: meta = 1 + meta % 4; break;
        case BinlogColumnType::kNewDecimal:
          meta = static_cast<uint16_t>(((1 + (meta >> 8) % 65) << 8) | (meta & 0xff) % 31);
          if ((meta & 0xff) > (meta >> 8)) meta = static_cast<uint16_t>(meta & 0xff00);
          break;
        case BinlogColumnType::kString:
          if ((flags & 0x30) == 0x10) meta = static_cast<uint16_t>((247 << 8) | (1 + meta % 2));
          if ((flags & 0x30) == 0x20) meta = static_cast<uint16_t>((248 << 8) | (1 + meta % 8));
          break;
        default: break;
      }
    }
    map.column_types.push_back(type);
    map.column_meta.push_back(meta);
    map.nullable.push_back((flags & 1) != 0);
    map.is_unsigned.push_back((flags & 2) != 0);
    map.column_charset.push_back(kCharsets[(flags >> 2) % 6]);
    map.column_names.push_back("c" + std::to_string(i));
    const uint8_t real = vimur::mysql::RealColumnType(type, meta);
    std::vector<std::string> members;
    if (real == BinlogColumnType::kEnum || real == BinlogColumnType::kSet) {
      const size_t count = 1 + in->Byte() % 70;
      for (size_t m = 0; m < count; ++m) members.push_back("m" + std::to_string(m));
    }
    map.enum_values.push_back(real == BinlogColumnType::kEnum ? members
                                                              : std::vector<std::string>{});
    map.set_values.push_back(real == BinlogColumnType::kSet ? members : std::vector<std::string>{});
    map.geometry_types.push_back(flags % 8);
    present->push_back((flags & 0x40) == 0);
  }
  if (in->Byte() % 2 == 0) map.primary_key.push_back(0);
  return map;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = in.Byte();
  if (mode % 4 == 0) {
    // Raw binary JSON, and as a diff against a fixed document.
    std::string text;
    (void)vimur::mysql::MySqlJsonToText(in.Rest(), &text);
    std::string updated;
    (void)vimur::mysql::ApplyMySqlJsonDiff("{\"a\":[1,{\"b\":\"c\"}],\"bb\":null}", in.Rest(),
                                           &updated);
    return 0;
  }
  std::vector<bool> present;
  TableMapEvent map = MakeTableMap(&in, &present);
  auto schema = vimur::mysql::BuildTableSchema(map);
  vimur::TableSchema table;
  if (schema.ok()) {
    table = std::move(*schema);
  } else {
    // Decode anyway against a permissive schema: the decoder must not trust the schema.
    table.columns.resize(map.column_types.size());
    for (size_t i = 0; i < table.columns.size(); ++i) {
      table.columns[i].nullable = map.nullable[i];
      table.columns[i].collation = map.column_charset[i];
      table.columns[i].type = static_cast<vimur::LogicalType>(data[i % size] % 21);
      table.columns[i].fsp = data[(i + 1) % size] % 9;
    }
  }
  const std::string rows(in.Rest());
  ByteReader reader(rows);
  ByteArena arena(4096);
  vimur::mysql::RowImageDecoder decoder;
  std::vector<Value> before, after;
  for (int row = 0; row < 8 && !reader.empty(); ++row) {
    if (mode % 4 == 3 && row % 2 == 1) {
      if (!decoder.DecodePartialUpdateAfterRow(map, table, present, before, &reader, &arena, &after)
               .ok()) {
        break;
      }
    } else if (!decoder.DecodeRow(map, table, present, &reader, &arena, &before).ok()) {
      break;
    }
  }
  return 0;
}
