// CRC-32 with zlib's polynomial (MySQL's binlog_checksum=CRC32, the local log's frames), by
// carry-less multiplication where the CPU has it and zlib elsewhere.
#pragma once

#include <cstdint>
#include <string_view>

namespace vimur {

// Returns what zlib's crc32(0, bytes.data(), bytes.size()) returns, for any length.
uint32_t Crc32(std::string_view bytes);

// The same through zlib alone: the fallback of Crc32, exposed so tests and benchmarks can
// compare the two paths.
uint32_t Crc32Portable(std::string_view bytes);

// Whether Crc32 uses carry-less multiplication (PCLMULQDQ) on this CPU; fixed for the process.
bool Crc32Accelerated();

}  // namespace vimur
