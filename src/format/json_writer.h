// JsonWriter: appends JSON tokens to a caller-owned string with no intermediate DOM, for
// serializing events on the hot path. The caller is responsible for well-formed nesting.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace vimur {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() {
    Separate();
    out_->push_back('{');
    first_ = true;
  }
  void EndObject() {
    out_->push_back('}');
    first_ = false;
  }
  void BeginArray() {
    Separate();
    out_->push_back('[');
    first_ = true;
  }
  void EndArray() {
    out_->push_back(']');
    first_ = false;
  }
  void Key(std::string_view name) {
    Separate();
    AppendString(name);
    out_->push_back(':');
    after_key_ = true;
  }
  void String(std::string_view s) {
    Separate();
    AppendString(s);
  }
  void Null() {
    Separate();
    out_->append("null");
  }
  void Bool(bool b) {
    Separate();
    out_->append(b ? "true" : "false");
  }
  void Int(int64_t v) {
    Separate();
    AppendNumber(v);
  }
  void UInt(uint64_t v) {
    Separate();
    AppendNumber(v);
  }
  void Double(double v) {
    Separate();
    if (!std::isfinite(v)) {
      AppendString(std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
      return;
    }
    AppendNumber(v);
  }
  void Float(float v) {
    Separate();
    if (!std::isfinite(v)) {
      AppendString(std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
      return;
    }
    AppendNumber(v);
  }
  // Standard base64 (RFC 4648) with padding, as a JSON string.
  void Base64(std::string_view bytes);
  // Inserts already-serialized JSON as one value.
  void Raw(std::string_view json) {
    Separate();
    out_->append(json);
  }

  static void AppendEscaped(std::string* out, std::string_view s);

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      first_ = false;
      return;
    }
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void AppendString(std::string_view s) {
    out_->push_back('"');
    AppendEscaped(out_, s);
    out_->push_back('"');
  }
  template <typename T>
  void AppendNumber(T v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
  }

  std::string* out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace vimur
