// JsonScanner: reads JSON text in one pass without building a tree, as strictly as nlohmann's
// parser and with the same values, for the sinks' fast decoding of change events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vimur::sink {

// One scalar JSON value. Numbers are typed as nlohmann types them: a negative integer is
// kInteger, a non-negative one kUnsigned, one beyond 64 bits or with a fraction or exponent
// kFloat.
struct JsonScalar {
  enum class Kind { kNull, kBool, kString, kInteger, kUnsigned, kFloat };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  double floating = 0;      // kFloat: as strtod reads it (finite: nlohmann refuses overflow)
  std::string_view number;  // the number's text
  std::string_view text;    // kString, unescaped: valid until the scanner reads the next string
};

class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : s_(text) {}

  // The next character after whitespace; 0 at the end.
  char Peek();
  // Only whitespace is left.
  bool AtEnd() { return Peek() == 0 && i_ == s_.size(); }
  // Reads the object at the cursor: calls on_member(key) for each member with the cursor at
  // its value, which on_member reads (ReadScalar, Skip, ReadObject) or returns false to stop.
  // `key` is valid until on_member reads a nested object. False: malformed, or stopped.
  template <typename OnMember>
  bool ReadObject(OnMember&& on_member);
  // A scalar value; false when malformed or an object or array.
  bool ReadScalar(JsonScalar* out);
  // Past one value of any kind, checking it is well-formed; `raw` (optional) is its text.
  bool Skip(std::string_view* raw = nullptr);

 private:
  bool ReadString(std::string* scratch, std::string_view* out);
  bool ReadNumber(JsonScalar* out);
  bool ReadWord(std::string_view word);
  bool SkipValue(int depth);

  std::string_view s_;
  size_t i_ = 0;
  std::string key_scratch_;
  std::string value_scratch_;
  std::string number_scratch_;
};

template <typename OnMember>
bool JsonScanner::ReadObject(OnMember&& on_member) {
  if (Peek() != '{') return false;
  ++i_;
  if (Peek() == '}') {
    ++i_;
    return true;
  }
  while (true) {
    if (Peek() != '"') return false;
    std::string_view key;
    if (!ReadString(&key_scratch_, &key)) return false;
    if (Peek() != ':') return false;
    ++i_;
    Peek();
    if (!on_member(key)) return false;
    const char c = Peek();
    if (c == 0) return false;
    ++i_;
    if (c == '}') return true;
    if (c != ',') return false;
  }
}

}  // namespace vimur::sink
