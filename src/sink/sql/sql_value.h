// SqlValue: one column value on its way into a SQL target, as text plus how to write it
// (a number, a boolean, text or raw bytes), and the row it belongs to.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vimur::sink {

enum class SqlKind { kNull, kNumber, kBool, kText, kBytes, kArray };

struct SqlValue {
  SqlKind kind = SqlKind::kNull;
  std::string text;  // kNumber: decimal text; kBool: "1" or "0"; kText: UTF-8; kBytes: raw bytes
  std::vector<SqlValue> items;  // kArray: the elements (none of them arrays)

  static SqlValue Null() { return {}; }
  static SqlValue Number(std::string t) { return {SqlKind::kNumber, std::move(t), {}}; }
  static SqlValue Bool(bool b) { return {SqlKind::kBool, b ? "1" : "0", {}}; }
  static SqlValue Text(std::string t) { return {SqlKind::kText, std::move(t), {}}; }
  static SqlValue Bytes(std::string t) { return {SqlKind::kBytes, std::move(t), {}}; }
  static SqlValue Array(std::vector<SqlValue> items) {
    return {SqlKind::kArray, std::string(), std::move(items)};
  }
  bool is_null() const { return kind == SqlKind::kNull; }
  bool operator==(const SqlValue&) const = default;
};

// The declared type of a column as the event's schema describes it (Kafka Connect type,
// logical name and decimal parameters, or a type the sink's settings give), used to create
// tables and add columns.
struct ColumnType {
  std::string
      connect_type;     // int8 int16 int32 int64 float double boolean string bytes struct array
  std::string logical;  // e.g. org.apache.kafka.connect.data.Decimal, io.debezium.time.Date
  int precision = -1;   // Decimal: connect.decimal.precision
  int scale = -1;       // Decimal: scale
  bool optional = true;
  std::string sql_type;           // the sink's `columns.NAME.type`: the target type as written
  std::vector<ColumnType> items;  // connect_type `array`: the element type (one)
  bool operator==(const ColumnType&) const = default;
};

// A vector that copies share until one of them changes it (copy on write): the rows decoded
// with one schema share its column types instead of copying them per row. Readable from several
// threads at once; a copy is changed by one thread at a time.
template <class T>
class SharedVector {
 public:
  SharedVector() = default;
  SharedVector(std::vector<T> v)  // NOLINT(google-explicit-constructor)
      : items_(v.empty() ? nullptr : std::make_shared<std::vector<T>>(std::move(v))) {}
  SharedVector(std::initializer_list<T> items) : SharedVector(std::vector<T>(items)) {}

  size_t size() const { return items_ ? items_->size() : 0; }
  bool empty() const { return size() == 0; }
  const T& operator[](size_t i) const { return (*items_)[i]; }
  // Copies the items first when they are shared.
  T& mutable_at(size_t i) { return Mutable()[i]; }
  const T& back() const { return items_->back(); }
  const std::vector<T>& view() const {
    static const std::vector<T> kNone;
    return items_ ? *items_ : kNone;
  }
  typename std::vector<T>::const_iterator begin() const { return view().begin(); }
  typename std::vector<T>::const_iterator end() const { return view().end(); }

  void push_back(T item) { Mutable().push_back(std::move(item)); }
  void pop_back() { Mutable().pop_back(); }
  void erase_at(size_t i) { Mutable().erase(Mutable().begin() + static_cast<std::ptrdiff_t>(i)); }
  void assign(size_t n, const T& item) { Mutable().assign(n, item); }
  void clear() { items_.reset(); }
  bool operator==(const SharedVector& other) const {
    return items_ == other.items_ || view() == other.view();
  }
  bool operator<(const SharedVector& other) const { return view() < other.view(); }

 private:
  std::vector<T>& Mutable() {
    if (!items_) {
      items_ = std::make_shared<std::vector<T>>();
    } else if (items_.use_count() > 1) {
      items_ = std::make_shared<std::vector<T>>(*items_);
    }
    return *items_;
  }
  std::shared_ptr<std::vector<T>> items_;
};

// Column names with values (and, when the event had a schema, types), in the source's order.
struct Row {
  SharedVector<std::string> names;  // shared by the rows decoded with one schema
  std::vector<SqlValue> values;
  SharedVector<ColumnType> types;  // empty when the event carried no schema

  const SqlValue* Find(const std::string& name) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return &values[i];
    }
    return nullptr;
  }
  const ColumnType* TypeOf(const std::string& name) const {
    for (size_t i = 0; i < names.size() && i < types.size(); ++i) {
      if (names[i] == name) return &types[i];
    }
    return nullptr;
  }
};

}  // namespace vimur::sink
