// RowImageDecoder: turns the row images of WRITE/UPDATE/DELETE/PARTIAL_UPDATE_ROWS events into
// typed Values (Debezium's MySQL representations) using the table's TABLE_MAP and TableSchema.
#pragma once

#include <string>
#include <vector>

#include "core/arena.h"
#include "core/byte_reader.h"
#include "core/status.h"
#include "core/table_schema.h"
#include "core/value.h"
#include "source/mysql/binlog_event.h"
#include "source/mysql/mysql_decimal.h"

namespace vimur::mysql {

// What decoding the images of one rows event needs to know per column, worked out once per
// event (RowImageDecoder::Prepare) rather than once per row. Views `map` and `schema`, which
// must outlive it.
struct ImagePlan {
  // Column kinds decoded inline, with no call; the others go through the general decoder.
  enum class Fast : uint8_t {
    kNone,
    kInt8,
    kUInt8,
    kInt16,
    kUInt16,
    kInt32,
    kUInt32,
    kInt64,
    kUInt64,
    kDouble,
    kText,       // length-prefixed UTF-8 text (VARCHAR, TEXT), `width` prefix bytes
    kEnum,       // ENUM index of `width` bytes
    kDecimal,    // DECIMAL of `decimal` layout; `width` is the text's room (precision + 3)
    kDate,       // DATE (3 bytes)
    kDatetime2,  // DATETIME(fsp) as ms or µs; `width` is its size in bytes
  };
  struct Column {
    const ColumnSchema* schema = nullptr;
    uint8_t type = 0;  // binlog column type of the TABLE_MAP
    uint16_t meta = 0;
    bool present = false;  // in the image's column bitmap
    Fast fast = Fast::kNone;
    uint8_t width = 0;
    SmallDecimalLayout decimal;
    // DATE and DATETIME: the column's last date and its days since the epoch (neighbouring
    // rows often share the date).
    mutable uint32_t last_ymd = 0;  // year * 512 + month * 32 + day; 0: none
    mutable int64_t last_days = 0;
  };
  const TableMapEvent* map = nullptr;
  const TableSchema* schema = nullptr;
  std::vector<Column> columns;
  size_t null_bytes = 0;  // of the image's null bitmap: (present columns + 7) / 8
};

// Decodes row images (MySQL "Rows Event" row format: a null bitmap over the columns present in
// the image, then each non-null present value in its binlog format).
//
// Values are views: text and bytes point into the row bytes (which the caller keeps alive), into
// `arena` (formatted decimals, timestamps, SET strings, JSON text, converted latin1), or into the
// schema's enum_values (ENUM), so the schema must outlive the values too. No heap allocation
// per value besides the arena. Not thread-safe; use one decoder per thread.
class RowImageDecoder {
 public:
  // Fills `plan` for images of `map` with the column bitmap `present`. `schema` must come from
  // BuildTableSchema(map). Fails when the three disagree on the number of columns.
  static Status Prepare(const TableMapEvent& map, const TableSchema& schema,
                        const std::vector<bool>& present, ImagePlan* plan);

  // Decodes one row image from `rows` (advanced past it) into `out`: one Value per table column,
  // Null for columns absent from the image.
  Status DecodeRow(const ImagePlan& plan, ByteReader* rows, ByteArena* arena,
                   std::vector<Value>* out);
  // The same, preparing the plan on each call (`present` is the image's column bitmap).
  Status DecodeRow(const TableMapEvent& map, const TableSchema& schema,
                   const std::vector<bool>& present, ByteReader* rows, ByteArena* arena,
                   std::vector<Value>* out);

  // Decodes the after image of one PARTIAL_UPDATE_ROWS row (MySQL 8,
  // binlog_row_value_options=PARTIAL_JSON): a packed value_options field, a bitmap with one bit
  // per JSON column of the table when partial JSON is on, then the image. JSON columns logged as
  // diffs are rebuilt by applying the diff to the column's value in `before` (the decoded before
  // image of the same row), and come out as full JSON text like any other JSON value.
  Status DecodePartialUpdateAfterRow(const ImagePlan& plan, const std::vector<Value>& before,
                                     ByteReader* rows, ByteArena* arena, std::vector<Value>* out);
  Status DecodePartialUpdateAfterRow(const TableMapEvent& map, const TableSchema& schema,
                                     const std::vector<bool>& present,
                                     const std::vector<Value>& before, ByteReader* rows,
                                     ByteArena* arena, std::vector<Value>* out);

 private:
  Status DecodeImage(const ImagePlan& plan, const uint8_t* partial_bits,
                     const std::vector<Value>* before, ByteReader* rows, ByteArena* arena,
                     std::vector<Value>* out);
  Status DecodeValue(const ColumnSchema& column, uint8_t type, uint16_t meta, const uint8_t** p,
                     const uint8_t* end, ByteArena* arena, Value* out);
  Status DecodeJson(const ColumnSchema& column, std::string_view bytes, ByteArena* arena,
                    Value* out);

  std::string scratch_;  // JSON text before it is copied into the arena
  std::string diff_scratch_;
  ImagePlan plan_;  // for the entry points that prepare per call
};

// Applies the Json_diff_vector of a partial JSON column (`diff` = its bytes after the 4-byte
// length) to `before` (the column's before-image value, JSON text) and stores the resulting
// document in `arena`.
Status ApplyPartialJsonUpdate(const Value& before, std::string_view diff, ByteArena* arena,
                              Value* out);

}  // namespace vimur::mysql
