// A small schema-driven Avro binary decoder for tests only: it reads bytes with nothing but
// the schema JSON (as a consumer would), so tests check that encoder and schema agree.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace vimur::avro::testing {

// Signed big-endian two's-complement bytes to decimal text with `scale` digits after the point.
inline std::string TwosComplementToDecimal(std::string_view bytes, int scale) {
  if (bytes.empty()) throw std::runtime_error("empty decimal bytes");
  std::string mag(bytes);
  bool negative = (static_cast<uint8_t>(mag[0]) & 0x80) != 0;
  if (negative) {  // magnitude = ~x + 1
    unsigned carry = 1;
    for (size_t i = mag.size(); i-- > 0;) {
      unsigned t = static_cast<uint8_t>(~static_cast<uint8_t>(mag[i])) + carry;
      mag[i] = static_cast<char>(t & 0xff);
      carry = t >> 8;
    }
  }
  std::string digits;
  bool nonzero = true;
  while (nonzero) {  // repeated division of the byte string by 10
    unsigned rem = 0;
    nonzero = false;
    for (char& c : mag) {
      unsigned cur = (rem << 8) | static_cast<uint8_t>(c);
      c = static_cast<char>(cur / 10);
      rem = cur % 10;
      if (c != 0) nonzero = true;
    }
    digits.insert(digits.begin(), static_cast<char>('0' + rem));
  }
  while (static_cast<int>(digits.size()) <= scale) digits.insert(digits.begin(), '0');
  if (scale > 0) digits.insert(digits.end() - scale, '.');
  return (negative ? "-" : "") + digits;
}

class AvroTestDecoder {
 public:
  explicit AvroTestDecoder(std::string_view schema_json)
      : schema_(nlohmann::json::parse(schema_json)) {
    Collect(schema_, "");
  }

  // Decodes one datum; throws on malformed input or trailing bytes.
  nlohmann::json Decode(std::string_view bytes) {
    data_ = bytes;
    pos_ = 0;
    nlohmann::json out = Read(schema_, "");
    if (pos_ != data_.size()) throw std::runtime_error("trailing bytes after datum");
    return out;
  }

 private:
  // Registers every named type up front: a reference may be read before its definition is.
  void Collect(const nlohmann::json& s, const std::string& ns) {
    if (s.is_array()) {
      for (const auto& b : s) Collect(b, ns);
      return;
    }
    if (!s.is_object()) return;
    std::string type = s.value("type", "");
    if (type == "record") {
      std::string full = FullName(s, ns);
      named_[full] = s;
      std::string inner =
          full.substr(0, full.rfind('.') == std::string::npos ? 0 : full.rfind('.'));
      for (const auto& f : s["fields"]) Collect(f["type"], inner);
    } else if (type == "array") {
      Collect(s["items"], ns);
    } else if (s["type"].is_object() || s["type"].is_array()) {
      Collect(s["type"], ns);
    }
  }

  int64_t Long() {
    uint64_t v = 0;
    int shift = 0;
    while (true) {
      if (pos_ >= data_.size()) throw std::runtime_error("varint past end");
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
      if (shift > 63) throw std::runtime_error("varint too long");
    }
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  std::string_view Take(size_t n) {
    if (data_.size() - pos_ < n) throw std::runtime_error("bytes past end");
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string FullName(const nlohmann::json& s, const std::string& ns) {
    std::string name = s["name"];
    if (name.find('.') != std::string::npos) return name;
    std::string n = s.contains("namespace") ? s["namespace"].get<std::string>() : ns;
    return n.empty() ? name : n + "." + name;
  }
  nlohmann::json Read(const nlohmann::json& s, const std::string& ns) {
    if (s.is_array()) {
      int64_t index = Long();
      if (index < 0 || static_cast<size_t>(index) >= s.size()) throw std::runtime_error("union");
      return Read(s[index], ns);
    }
    if (s.is_string()) {
      std::string t = s;
      if (t == "null") return nullptr;
      if (t == "boolean") return Take(1)[0] != 0;
      if (t == "int" || t == "long") return Long();
      if (t == "float") {
        float f;
        std::memcpy(&f, Take(4).data(), 4);
        return f;
      }
      if (t == "double") {
        double d;
        std::memcpy(&d, Take(8).data(), 8);
        return d;
      }
      if (t == "string" || t == "bytes") return std::string(Take(static_cast<size_t>(Long())));
      std::string full = t.find('.') == std::string::npos && !ns.empty() ? ns + "." + t : t;
      auto it = named_.find(full);
      if (it == named_.end()) it = named_.find(t);
      if (it == named_.end()) throw std::runtime_error("unknown type " + t);
      return Read(it->second, ns);
    }
    std::string type = s["type"];
    if (type == "record") {
      std::string full = FullName(s, ns);
      std::string inner_ns =
          full.substr(0, full.rfind('.') == std::string::npos ? 0 : full.rfind('.'));
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& f : s["fields"])
        obj[f["name"].get<std::string>()] = Read(f["type"], inner_ns);
      return obj;
    }
    if (type == "array") {
      nlohmann::json arr = nlohmann::json::array();
      for (int64_t n = Long(); n != 0; n = Long()) {
        if (n < 0) {
          n = -n;
          Long();  // block size in bytes
        }
        for (int64_t i = 0; i < n; ++i) arr.push_back(Read(s["items"], ns));
      }
      return arr;
    }
    if (type == "bytes" && s.value("logicalType", "") == "decimal") {
      return TwosComplementToDecimal(Take(static_cast<size_t>(Long())), s["scale"].get<int>());
    }
    return Read(s["type"], ns);  // primitive with properties
  }

  nlohmann::json schema_;
  std::map<std::string, nlohmann::json> named_;
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace vimur::avro::testing
