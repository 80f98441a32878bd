// UTF-8 as RFC 3629 defines it: the length of a valid sequence, and a code point written out.
// Shared by the JSON readers and writers of the sources and the sinks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vimur {

// The length of the UTF-8 sequence at s[i] (a byte >= 0x80): 2 to 4, or 0 when it is not one
// (overlong forms, surrogates, beyond U+10FFFF, cut short).
size_t Utf8SequenceLength(std::string_view s, size_t i);

// Appends code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace vimur
