// RowVectorPool: hands the events of published transactions back to the decoding thread,
// which decodes new row images into their vectors' capacity (no allocation per row).
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "core/change_event.h"

namespace vimur {

// Shared by the threads of a pipeline. The thread done with published events gives them back
// whole (Give: one pass over the events that drops their references, one lock per batch); the
// decoding thread takes a batch (Take) and moves row-image vectors out of it one at a time.
// Bounded by the bytes the kept vectors hold; batches beyond the bound are simply freed.
class RowVectorPool {
 public:
  static constexpr size_t kMaxBytes = 8 << 20;
  static RowVectorPool& Shared() {
    static RowVectorPool pool;
    return pool;
  }

  // Keeps the events of `events` for their row-image vectors, or frees them when the pool is
  // full; `events` is left empty.
  void Give(std::vector<ChangeEvent>* events) {
    size_t bytes = 0;
    for (ChangeEvent& e : *events) {
      bytes += (e.before.capacity() + e.after.capacity()) * sizeof(Value);
      e.table.reset();  // the schemas and the bytes the values view are released now
      e.source.reset();
      e.storage.reset();
    }
    std::vector<ChangeEvent> drop;  // freed outside the lock
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (bytes > 0 && bytes_ + bytes <= kMaxBytes) {
        bytes_ += bytes;
        batches_.emplace_back(bytes, std::move(*events));
      } else {
        drop = std::move(*events);
      }
    }
    events->clear();
  }
  // Replaces `out` (whose vectors have all been taken) with a batch of kept events, or leaves
  // it empty when there is none.
  void Take(std::vector<ChangeEvent>* out) {
    out->clear();
    std::lock_guard<std::mutex> lock(mu_);
    if (batches_.empty()) return;
    bytes_ -= batches_.back().first;
    *out = std::move(batches_.back().second);
    batches_.pop_back();
  }
  // Moves the next row-image vector with capacity out of `spare` (refilled with Take when
  // used up), cleared; an empty vector when the pool has none.
  std::vector<Value> TakeRow(std::vector<ChangeEvent>* spare) {
    while (true) {
      while (!spare->empty()) {
        ChangeEvent& e = spare->back();
        std::vector<Value>* row = e.before.capacity() > 0  ? &e.before
                                  : e.after.capacity() > 0 ? &e.after
                                                           : nullptr;
        if (row != nullptr) {
          std::vector<Value> v = std::move(*row);  // leaves *row without capacity
          v.clear();
          return v;
        }
        spare->pop_back();
      }
      Take(spare);
      if (spare->empty()) return {};
    }
  }
  size_t bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<size_t, std::vector<ChangeEvent>>> batches_;  // (bytes, events)
  size_t bytes_ = 0;  // capacity of the kept vectors
};

}  // namespace vimur
