// ByteBuffer: a growable output buffer reused across messages, for serializers' hot paths.
// No zero-filling and one capacity comparison per write; callers write at reserved pointers.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace vimur {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&&) = default;
  ByteBuffer& operator=(ByteBuffer&&) = default;

  std::string_view view() const { return {data_.get(), size_}; }
  size_t size() const { return size_; }
  void Clear() { size_ = 0; }
  // Room for `n` more bytes; write them at the returned pointer, then call CommitTo.
  char* Reserve(size_t n) {
    if (capacity_ - size_ < n) Grow(n);
    return data_.get() + size_;
  }
  void CommitTo(const char* end) { size_ = static_cast<size_t>(end - data_.get()); }

  void Raw(std::string_view s) {
    char* p = Reserve(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    size_ += s.size();
  }
  // Raw for text followed by at least kPadding readable bytes: short text is copied as one
  // fixed-size block (no call), the bytes past it overwritten by what comes next.
  static constexpr size_t kPadding = 32;
  void RawPadded(std::string_view s) {
    char* p = Reserve(s.size() + kPadding);
    if (s.size() <= kPadding) {
      std::memcpy(p, s.data(), kPadding);
    } else {
      std::memcpy(p, s.data(), s.size());
    }
    size_ += s.size();
  }
  void Char(char c) {
    Reserve(1)[0] = c;
    ++size_;
  }
  // Copies bytes [from, to) of this buffer to its end.
  void CopyOwn(size_t from, size_t to) {
    char* p = Reserve(to - from);  // may move the data: offsets stay valid
    std::memcpy(p, data_.get() + from, to - from);
    size_ += to - from;
  }

 private:
  void Grow(size_t n) {
    size_t capacity = capacity_ == 0 ? 4096 : capacity_ * 2;
    while (capacity - size_ < n) capacity *= 2;
    std::unique_ptr<char[]> data(new char[capacity]);  // not zero-filled
    if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace vimur
