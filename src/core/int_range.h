// Whether a 64-bit integer fits a narrower integer type: the one check shared by the Avro
// encoder (int columns) and the sinks (a Connect Date is an INT32 count of days).
#pragma once

#include <cstdint>
#include <limits>

namespace vimur {

inline bool FitsInt32(int64_t v) {
  return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
}

}  // namespace vimur
