// ValueArena: append-only storage for bytes that decoded values point into (formatted
// decimals, SET strings, JSON text). Pointers stay valid until the arena is destroyed.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace vimur {

class ValueArena {
 public:
  explicit ValueArena(size_t chunk_size = 16 * 1024) : chunk_size_(chunk_size) {}
  ValueArena(const ValueArena&) = delete;
  ValueArena& operator=(const ValueArena&) = delete;

  // Reserves `n` writable bytes; they stay valid for the arena's lifetime.
  char* Allocate(size_t n) {
    if (n > left_) {
      size_t size = n > chunk_size_ ? n : chunk_size_;
      chunks_.push_back(std::make_unique<char[]>(size));
      next_ = chunks_.back().get();
      left_ = size;
    }
    char* p = next_;
    next_ += n;
    left_ -= n;
    return p;
  }
  std::string_view Copy(std::string_view bytes) {
    if (bytes.empty()) return {};
    char* p = Allocate(bytes.size());
    std::memcpy(p, bytes.data(), bytes.size());
    return {p, bytes.size()};
  }
  size_t chunk_count() const { return chunks_.size(); }

 private:
  size_t chunk_size_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace vimur
