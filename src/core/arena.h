// ByteArena: append-only storage for bytes that views point into (decoded values' formatted
// decimals, SET strings, JSON text; outgoing records' keys and values). Pointers stay valid
// until the arena is destroyed, also when the arena is moved.
// RowVectorPool: reuse of the Value vectors that hold decoded row images.
#pragma once

#include <cstring>
#include <memory>
#include <mutex>
#include <string_view>
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

// A free list of row-image vectors shared by the threads of a pipeline, so that steady
// streaming allocates none per row: the thread that is done with published events gives their
// vectors back (Give, one lock per batch), the decoding thread takes a batch of them (Take)
// and decodes into their capacity. Bounded by the bytes the kept vectors hold; vectors beyond
// the bound are simply freed.
class RowVectorPool {
 public:
  static constexpr size_t kMaxBytes = 8 << 20;
  static RowVectorPool& Shared() {
    static RowVectorPool pool;
    return pool;
  }
  // Moves up to `n` vectors (empty, with capacity) to the end of `out`.
  void Take(size_t n, std::vector<std::vector<Value>>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    while (n-- > 0 && !free_.empty()) {
      bytes_ -= free_.back().capacity() * sizeof(Value);
      out->push_back(std::move(free_.back()));
      free_.pop_back();
    }
  }
  // Takes the vectors of `in` that have capacity (clearing them); `in` is left empty.
  void Give(std::vector<std::vector<Value>>* in) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& v : *in) {
        const size_t bytes = v.capacity() * sizeof(Value);
        if (bytes == 0 || bytes_ + bytes > kMaxBytes) continue;
        v.clear();
        free_.push_back(std::move(v));
        bytes_ += bytes;
      }
    }
    in->clear();  // frees what the pool did not take, outside the lock
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return free_.size();
  }
  size_t bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<Value>> free_;
  size_t bytes_ = 0;  // capacity of the kept vectors
};

}  // namespace vimur
