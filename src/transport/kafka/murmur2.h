// Kafka's murmur2 key hash, bit for bit as the Java client computes it (Utils.murmur2), so
// Vimur can predict and check the partition a keyed record lands on.
#pragma once

#include <cstdint>
#include <string_view>

namespace vimur::kafka {

// Utils.murmur2: MurmurHash2, seed 0x9747b28c, little-endian 4-byte blocks, as a signed int.
int32_t Murmur2(std::string_view data);

// Utils.toPositive: clears the sign bit (not the absolute value).
constexpr int32_t ToPositive(int32_t h) { return h & 0x7fffffff; }

// The partition Kafka's default partitioner picks for a non-null key among `partitions`
// (BuiltInPartitioner.partitionForKey). `partitions` must be positive.
int32_t PartitionForKey(std::string_view key, int32_t partitions);

}  // namespace vimur::kafka
