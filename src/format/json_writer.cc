#include "format/json_writer.h"

namespace vimur {

void JsonWriter::AppendEscaped(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
  }
  out->append(s.data() + start, s.size() - start);
}

void JsonWriter::Base64(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Separate();
  out_->push_back('"');
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    char quad[4] = {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
                    kAlphabet[n & 63]};
    out_->append(quad, 4);
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = p[i] << 16;
    if (rest == 2) n |= p[i + 1] << 8;
    out_->push_back(kAlphabet[n >> 18]);
    out_->push_back(kAlphabet[(n >> 12) & 63]);
    out_->push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out_->push_back('=');
  }
  out_->push_back('"');
}

}  // namespace vimur
