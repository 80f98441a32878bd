// The variable-length integers of MySQL 8.4's binary serialization (libs/mysql/serialization,
// used by GTID_TAGGED_LOG_EVENT and tagged GTID sets): the count of low 1-bits of the first
// byte gives the count of following bytes (0xff: 8 bytes follow), the rest holds the value,
// little-endian. Signed values are zigzag-encoded first.
#pragma once

#include <cstdint>
#include <string>

#include "core/byte_reader.h"
#include "core/status.h"

namespace vimur::mysql {

Status ReadVarUInt(ByteReader& reader, uint64_t* out);
Status ReadVarInt(ByteReader& reader, int64_t* out);
void PutVarUInt(std::string* out, uint64_t value);

}  // namespace vimur::mysql
