#include "sink/json_envelope.h"

namespace vimur::sink {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void SkipSpace(std::string_view s, size_t* i) {
  while (*i < s.size() && IsSpace(s[*i])) ++*i;
}

// Past the string starting at s[*i] == '"'; false when it does not end.
bool SkipString(std::string_view s, size_t* i) {
  for (size_t j = *i + 1; j < s.size(); ++j) {
    if (s[j] == '\\') {
      ++j;
    } else if (s[j] == '"') {
      *i = j + 1;
      return true;
    }
  }
  return false;
}

// Past one value starting at s[*i]: a string, or everything up to the bracket that closes an
// object or array, or a scalar up to the next ',', '}' or ']'.
bool SkipValue(std::string_view s, size_t* i) {
  if (*i >= s.size()) return false;
  if (s[*i] == '"') return SkipString(s, i);
  if (s[*i] != '{' && s[*i] != '[') {
    size_t j = *i;
    while (j < s.size() && s[j] != ',' && s[j] != '}' && s[j] != ']' && !IsSpace(s[j])) ++j;
    if (j == *i) return false;
    *i = j;
    return true;
  }
  int depth = 0;
  for (size_t j = *i; j < s.size(); ++j) {
    const char c = s[j];
    if (c == '"') {
      if (!SkipString(s, &j)) return false;
      --j;  // the loop's ++j
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        *i = j + 1;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool SplitJsonEnvelope(std::string_view s, JsonEnvelopeParts* parts) {
  *parts = {};
  size_t i = 0;
  SkipSpace(s, &i);
  if (i >= s.size() || s[i] != '{') return false;
  ++i;
  while (true) {
    SkipSpace(s, &i);
    if (i >= s.size() || s[i] != '"') return false;
    const size_t name_start = i + 1;
    if (!SkipString(s, &i)) return false;
    const std::string_view name = s.substr(name_start, i - 1 - name_start);
    // Another member: not an envelope this split takes (an event without a schema is refused at
    // its first member instead of after a scan of all of it).
    if (name != "schema" && name != "payload") return false;
    SkipSpace(s, &i);
    if (i >= s.size() || s[i] != ':') return false;
    ++i;
    SkipSpace(s, &i);
    const size_t value_start = i;
    if (!SkipValue(s, &i)) return false;
    const std::string_view value = s.substr(value_start, i - value_start);
    (name == "schema" ? parts->schema : parts->payload) = value;
    SkipSpace(s, &i);
    if (i >= s.size()) return false;
    if (s[i] == '}') break;
    if (s[i] != ',') return false;
    ++i;
  }
  ++i;
  SkipSpace(s, &i);
  return i == s.size() && !parts->schema.empty() && !parts->payload.empty();
}

bool SplitJsonEnvelope(std::string_view s, std::string_view known_schema,
                       JsonEnvelopeParts* parts) {
  constexpr std::string_view kHead = "{\"schema\":";
  constexpr std::string_view kMiddle = ",\"payload\":";
  const size_t payload_at = kHead.size() + known_schema.size() + kMiddle.size();
  if (!known_schema.empty() && s.size() > payload_at + 1 && s.back() == '}' &&
      s.substr(0, kHead.size()) == kHead &&
      s.substr(kHead.size(), known_schema.size()) == known_schema &&
      s.substr(kHead.size() + known_schema.size(), kMiddle.size()) == kMiddle) {
    parts->schema = s.substr(kHead.size(), known_schema.size());
    parts->payload = s.substr(payload_at, s.size() - 1 - payload_at);
    return true;
  }
  return SplitJsonEnvelope(s, parts);
}

}  // namespace vimur::sink
