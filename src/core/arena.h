// ByteArena: append-only storage for bytes that views point into (decoded values' formatted
// decimals, SET strings, JSON text; outgoing records' keys and values). Pointers stay valid
// until the arena is destroyed, also when the arena is moved.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/value.h"

namespace vimur {

class ByteArena {
 public:
  // Chunks start at `chunk_size` bytes and double up to kMaxChunkSize (or more, for one
  // larger allocation), so small arenas stay small and large ones need few chunks.
  explicit ByteArena(size_t chunk_size = 16 * 1024) : next_chunk_size_(chunk_size) {}
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;
  ByteArena(ByteArena&& other) noexcept { *this = std::move(other); }
  ByteArena& operator=(ByteArena&& other) noexcept {
    next_chunk_size_ = other.next_chunk_size_;
    capacity_ = std::exchange(other.capacity_, 0);
    chunks_ = std::move(other.chunks_);
    next_ = std::exchange(other.next_, nullptr);
    left_ = std::exchange(other.left_, 0);
    other.chunks_.clear();
    return *this;
  }

  static constexpr size_t kMaxChunkSize = 1 << 20;

  // Reserves `n` writable bytes (not zeroed); they stay valid for the arena's lifetime.
  char* Allocate(size_t n) {
    if (n > left_) NewChunk(n);
    char* p = next_;
    next_ += n;
    left_ -= n;
    return p;
  }
  // Gives back the unused tail of the latest allocation: `p` and `n` are what Allocate got and
  // returned, `used` <= n the bytes kept.
  void Shrink(const char* p, size_t n, size_t used) {
    if (p + n == next_) {
      next_ -= n - used;
      left_ += n - used;
    }
  }
  // Reserves room for `n` objects of type T, aligned for it (not constructed); for trivially
  // destructible types only, as the arena never destroys them.
  template <typename T>
  T* AllocateArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>);
    const size_t bytes = n * sizeof(T);
    size_t pad = (alignof(T) - reinterpret_cast<uintptr_t>(next_) % alignof(T)) % alignof(T);
    if (pad + bytes > left_) {
      NewChunk(bytes);  // chunks start aligned for any fundamental type
      pad = 0;
    }
    next_ += pad;
    left_ -= pad;
    return reinterpret_cast<T*>(Allocate(bytes));
  }
  std::string_view Copy(std::string_view bytes) {
    if (bytes.empty()) return {};
    char* p = Allocate(bytes.size());
    std::memcpy(p, bytes.data(), bytes.size());
    return {p, bytes.size()};
  }
  size_t chunk_count() const { return chunks_.size(); }
  // Bytes held in chunks, used or not.
  size_t capacity() const { return capacity_; }

 private:
  void NewChunk(size_t n) {
    size_t size = n > next_chunk_size_ ? n : next_chunk_size_;
    if (next_chunk_size_ < kMaxChunkSize) next_chunk_size_ *= 2;
    chunks_.push_back(std::unique_ptr<char[]>(new char[size]));  // not zero-filled
    capacity_ += size;
    next_ = chunks_.back().get();
    left_ = size;
  }

  size_t next_chunk_size_;
  size_t capacity_ = 0;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace vimur
