// Value: one decoded column value, a small tagged union whose text and bytes are views into
// storage the event keeps alive (the captured row bytes and a ByteArena, see ChangeEvent::table).
#pragma once

#include <cstdint>
#include <string_view>

namespace vimur {

enum class ValueKind : uint8_t {
  kNull,
  kBool,      // b
  kInt,       // i: integers, YEAR, DATE (days), DATETIME (ms or µs), TIME (µs)
  kUInt,      // u: BIGINT UNSIGNED
  kFloat,     // f
  kDouble,    // d
  kText,      // s: UTF-8 text: strings, DECIMAL digits, TIMESTAMP ISO-8601, ENUM/SET, JSON
  kBytes,     // s: raw bytes: BINARY/BLOB, BIT(n>1) little-endian
  kGeometry,  // s: WKB, srid
  kArray,     // items[0..count): a PostgreSQL array's elements (never arrays themselves)
};

struct Value {
  ValueKind kind = ValueKind::kNull;
  uint32_t srid = 0;  // kGeometry: the SRID; kArray: the element count
  union {
    bool b;
    int64_t i;
    uint64_t u;
    float f;
    double d;
    const Value* items;  // kArray: the elements, in storage the event keeps alive
  };
  std::string_view s;

  Value() : i(0) {}
  static Value Null() { return Value(); }
  static Value Bool(bool v) {
    Value x;
    x.kind = ValueKind::kBool;
    x.i = 0;
    x.b = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.kind = ValueKind::kInt;
    x.i = v;
    return x;
  }
  static Value UInt(uint64_t v) {
    Value x;
    x.kind = ValueKind::kUInt;
    x.u = v;
    return x;
  }
  static Value Float(float v) {
    Value x;
    x.kind = ValueKind::kFloat;
    x.i = 0;
    x.f = v;
    return x;
  }
  static Value Double(double v) {
    Value x;
    x.kind = ValueKind::kDouble;
    x.d = v;
    return x;
  }
  static Value Text(std::string_view v) {
    Value x;
    x.kind = ValueKind::kText;
    x.s = v;
    return x;
  }
  static Value Bytes(std::string_view v) {
    Value x;
    x.kind = ValueKind::kBytes;
    x.s = v;
    return x;
  }
  static Value Geometry(std::string_view wkb, uint32_t srid) {
    Value x;
    x.kind = ValueKind::kGeometry;
    x.s = wkb;
    x.srid = srid;
    return x;
  }
  static Value Array(const Value* items, uint32_t count) {
    Value x;
    x.kind = ValueKind::kArray;
    x.items = items;
    x.srid = count;
    return x;
  }
  bool is_null() const { return kind == ValueKind::kNull; }
  uint32_t size() const { return srid; }  // kArray: the element count
};

}  // namespace vimur
