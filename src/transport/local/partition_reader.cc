#include "transport/local/partition_reader.h"

#include "core/logging.h"
#include "transport/local/file_io.h"
#include "transport/local/partition_log.h"
#include "transport/local/segment_reader.h"

namespace vimur::local {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

}  // namespace

Status PartitionReader::Seek(int64_t* offset) {
  // A segment compaction replaces while it is walked is walked again (at most a few times:
  // a pass rewrites a segment once).
  for (int attempt = 0;; ++attempt) {
    bool replaced = false;
    VIMUR_RETURN_IF_ERROR(SeekOnce(offset, &replaced));
    if (!replaced || attempt >= 8) return Status::Ok();
  }
}

Status PartitionReader::SeekOnce(int64_t* offset, bool* replaced) {
  VIMUR_ASSIGN_OR_RETURN(auto segments, ListSegments(dir_));
  if (segments.empty()) {
    return Status::NotFound("local log " + label_ + ": no segment files in " + dir_);
  }
  size_t i = 0;
  while (i + 1 < segments.size() && segments[i + 1].first <= *offset) ++i;
  if (*offset < segments[i].first) {
    if (skips_are_errors_) {
      LOG_ERROR << "local log " << label_ << ": records " << *offset << " to "
                << segments[i].first - 1
                << " were removed by retention before this consumer read them (slow_consumer: "
                   "drop); continuing at "
                << segments[i].first;
    } else {
      LOG_WARN << "local log " << label_ << ": records " << *offset << " to "
               << segments[i].first - 1 << " were removed by retention; starting at "
               << segments[i].first;
    }
    *offset = segments[i].first;
  }
  cursor_path_ = segments[i].second;
  cursor_base_ = segments[i].first;
  cursor_pos_ = 0;
  cursor_next_ = cursor_base_;
  cursor_inode_ = 0;
  // Walk the segment up to `offset` (segments have no index; done once per seek).
  while (cursor_next_ < *offset) {
    uint64_t inode = 0;
    auto read = ReadFileRange(cursor_path_, cursor_pos_, kChunkBytes, &inode);
    if (!read.ok() && read.status().code() == StatusCode::kNotFound) {
      *replaced = true;  // retention removed it meanwhile
      return Status::Ok();
    }
    VIMUR_RETURN_IF_ERROR(read.status());
    const std::string bytes = std::move(read).value();
    if (cursor_inode_ != 0 && inode != cursor_inode_) {
      *replaced = true;
      return Status::Ok();
    }
    cursor_inode_ = inode;
    LogSegmentReader reader(bytes, cursor_path_, cursor_pos_);
    LogRecordView r;
    bool moved = false;
    while (true) {
      const size_t before = reader.position();
      VIMUR_ASSIGN_OR_RETURN(bool got, reader.Next(&r));
      if (!got) break;
      if (r.offset >= *offset) {
        cursor_pos_ += before;
        cursor_next_ = r.offset;
        *offset = r.offset;
        return Status::Ok();
      }
      moved = true;
      cursor_next_ = r.offset + 1;
    }
    cursor_pos_ += reader.position();
    if (!moved) {
      if (reader.partial() && bytes.size() == kChunkBytes) {
        return Status::Unsupported("local log " + label_ + ": a record over 1 MiB at " +
                                   cursor_path_ + " byte " + std::to_string(cursor_pos_) +
                                   " while seeking");
      }
      // The segment ends before `offset`: it continues in the next segment.
      if (i + 1 >= segments.size()) break;
      ++i;
      cursor_path_ = segments[i].second;
      cursor_base_ = segments[i].first;
      cursor_pos_ = 0;
      cursor_next_ = cursor_base_;
      cursor_inode_ = 0;
    }
  }
  *offset = std::max(*offset, cursor_next_);
  return Status::Ok();
}

Status PartitionReader::Read(int64_t* next, int64_t until, size_t max_records, size_t max_bytes,
                             std::vector<OwnedRecord>* out) {
  if (*next >= until) return Status::Ok();
  if (cursor_next_ != *next || cursor_path_.empty()) VIMUR_RETURN_IF_ERROR(Seek(next));
  size_t got_records = 0, got_bytes = 0;
  size_t chunk = kChunkBytes;
  while (*next < until && got_records < max_records && got_bytes < max_bytes) {
    uint64_t inode = 0;
    auto read = ReadFileRange(cursor_path_, cursor_pos_, chunk, &inode);
    if (!read.ok() && read.status().code() == StatusCode::kNotFound) {
      // Retention removed the segment under us: start over from the oldest one left.
      cursor_path_.clear();
      VIMUR_RETURN_IF_ERROR(Seek(next));
      continue;
    }
    VIMUR_RETURN_IF_ERROR(read.status());
    if (cursor_inode_ != 0 && inode != cursor_inode_) {
      // Compaction replaced the segment: byte positions changed, offsets did not.
      VIMUR_RETURN_IF_ERROR(Seek(next));
      continue;
    }
    cursor_inode_ = inode;
    const std::string bytes = std::move(read).value();
    LogSegmentReader reader(bytes, cursor_path_, cursor_pos_);
    LogRecordView r;
    size_t consumed = 0;
    bool any = false;
    while (*next < until && got_records < max_records && got_bytes < max_bytes) {
      VIMUR_ASSIGN_OR_RETURN(bool got, reader.Next(&r));
      if (!got) break;
      consumed = reader.position();
      any = true;
      if (r.offset < *next) continue;
      if (r.offset >= until) break;
      OwnedRecord o;
      o.offset = r.offset;
      o.timestamp_ms = r.timestamp_ms;
      if (r.key) o.key.emplace(*r.key);
      if (r.value) o.value.emplace(*r.value);
      got_bytes += (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
      out->push_back(std::move(o));
      ++got_records;
      *next = r.offset + 1;
    }
    cursor_pos_ += consumed;
    cursor_next_ = *next;
    if (any) {
      chunk = kChunkBytes;
      continue;
    }
    if (reader.partial()) {
      // A record larger than the chunk: read it whole (its frame header says how large).
      if (bytes.size() < kFrameHeaderBytes) return Status::Ok();
      const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
      const size_t need = kFrameHeaderBytes + (size_t{b[0]} | size_t{b[1]} << 8 |
                                               size_t{b[2]} << 16 | size_t{b[3]} << 24);
      if (bytes.size() >= need || need <= chunk) return Status::Ok();  // not written yet
      chunk = need;
      continue;
    }
    // This segment is read to its end: move to the next one.
    VIMUR_ASSIGN_OR_RETURN(auto segments, ListSegments(dir_));
    bool moved = false;
    for (const auto& [base, path] : segments) {
      if (base > cursor_base_) {
        cursor_base_ = base;
        cursor_path_ = path;
        cursor_pos_ = 0;
        cursor_inode_ = 0;
        if (base > *next) *next = base;  // offsets a recovery skipped
        cursor_next_ = *next;
        moved = true;
        break;
      }
    }
    if (!moved) return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace vimur::local
