// ByteBoundedQueue: a blocking FIFO bounded by the summed size of its items, the point where
// capture waits for publishing (backpressure). Close() wakes every waiter.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace vimur {

template <typename T>
class ByteBoundedQueue {
 public:
  explicit ByteBoundedQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Blocks while the queue is over its bound. An item larger than the bound is still
  // accepted once the queue is empty, so progress never stops. False once closed.
  bool Push(T item, size_t bytes) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || bytes_ == 0 || bytes_ + bytes <= max_bytes_; });
    if (closed_) return false;
    bytes_ += bytes;
    items_.push_back({std::move(item), bytes});
    not_empty_.notify_one();
    return true;
  }

  // Waits up to `timeout` for at least one item, then takes the items queued, at most
  // `max_items` and, past the first, at most `max_bytes` of them: what the caller holds while
  // publishing plus what the queue holds stays within twice the bound, not more. Returns an
  // empty vector on timeout or when closed and drained.
  template <typename Duration>
  std::vector<T> PopAll(Duration timeout, size_t max_items = 4096,
                        size_t max_bytes = static_cast<size_t>(-1)) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    std::vector<T> out;
    size_t taken = 0;
    while (!items_.empty() && out.size() < max_items &&
           (out.empty() || taken + items_.front().bytes <= max_bytes)) {
      taken += items_.front().bytes;
      bytes_ -= items_.front().bytes;
      out.push_back(std::move(items_.front().item));
      items_.pop_front();
    }
    if (!out.empty()) not_full_.notify_all();
    return out;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  size_t bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

 private:
  struct Entry {
    T item;
    size_t bytes;
  };
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Entry> items_;
  size_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace vimur
