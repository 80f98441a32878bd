#include "source/mysql/gtid_set.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/byte_reader.h"
#include "source/mysql/serialization_varint.h"

namespace vimur::mysql {
namespace {

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void PutLE64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

constexpr int64_t kMaxGno = INT64_MAX - 1;  // MySQL's GNO_END is INT64_MAX (exclusive)
constexpr size_t kMaxTagLength = 32;

// A MySQL 8.4 GTID tag: a letter or '_' then letters, digits and '_', at most 32; lower-cased.
bool NormalizeTag(std::string_view text, std::string* out) {
  if (text.empty() || text.size() > kMaxTagLength) return false;
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool ok = std::isalpha(c) || c == '_' || (i > 0 && std::isdigit(c));
    if (!ok) return false;
    out->push_back(static_cast<char>(std::tolower(c)));
  }
  return true;
}

}  // namespace

// ---- MariaGtidState ----

Result<MariaGtidState> MariaGtidState::Parse(std::string_view text) {
  MariaGtidState state;
  text = Trim(text);
  if (text.empty()) return state;
  for (std::string_view item : Split(text, ',')) {
    item = Trim(item);
    std::vector<std::string_view> parts = Split(item, '-');
    MariaGtid g;
    if (parts.size() != 3 || !ParseNumber(parts[0], &g.domain_id) ||
        !ParseNumber(parts[1], &g.server_id) || !ParseNumber(parts[2], &g.sequence)) {
      return Status::InvalidArgument("MariaDB GTID '" + std::string(item) +
                                     "' is not domain-server-sequence");
    }
    if (state.domains_.count(g.domain_id) != 0) {
      return Status::InvalidArgument("MariaDB GTID state names domain " +
                                     std::to_string(g.domain_id) + " twice");
    }
    state.domains_[g.domain_id] = g;
  }
  return state;
}

std::string MariaGtidState::ToString() const {
  std::string out;
  for (const auto& [domain, g] : domains_) {
    if (!out.empty()) out += ',';
    out += std::to_string(g.domain_id) + "-" + std::to_string(g.server_id) + "-" +
           std::to_string(g.sequence);
  }
  return out;
}

std::optional<MariaGtid> MariaGtidState::Get(uint32_t domain_id) const {
  auto it = domains_.find(domain_id);
  if (it == domains_.end()) return std::nullopt;
  return it->second;
}

bool MariaGtidState::operator==(const MariaGtidState& other) const {
  if (domains_.size() != other.domains_.size()) return false;
  for (const auto& [domain, g] : domains_) {
    auto o = other.Get(domain);
    if (!o || o->server_id != g.server_id || o->sequence != g.sequence) return false;
  }
  return true;
}

// ---- Sid ----

Result<Sid> Sid::Parse(std::string_view text) {
  Sid sid;
  size_t nibbles = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '-') continue;
    int v = HexValue(c);
    if (v < 0 || nibbles >= 32) {
      return Status::InvalidArgument("'" + std::string(text) + "' is not a server UUID");
    }
    sid.bytes[nibbles / 2] = static_cast<uint8_t>(sid.bytes[nibbles / 2] << 4 | v);
    ++nibbles;
  }
  if (nibbles != 32) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a server UUID");
  }
  return sid;
}

Sid Sid::FromBytes(const uint8_t* sixteen_bytes) {
  Sid sid;
  std::copy(sixteen_bytes, sixteen_bytes + 16, sid.bytes.begin());
  return sid;
}

std::string Sid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

// ---- MySqlGtidSet ----

Result<MySqlGtidSet> MySqlGtidSet::Parse(std::string_view text) {
  MySqlGtidSet set;
  text = Trim(text);
  if (text.empty()) return set;
  for (std::string_view item : Split(text, ',')) {
    item = Trim(item);
    std::vector<std::string_view> parts = Split(item, ':');
    auto sid = Sid::Parse(Trim(parts[0]));
    if (!sid.ok()) return sid.status().WithContext("GTID set item '" + std::string(item) + "'");
    if (parts.size() < 2) {
      return Status::InvalidArgument("GTID set item '" + std::string(item) +
                                     "' has no transaction numbers");
    }
    Tsid tsid{*sid, ""};
    bool tag_has_intervals = true;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string_view range = Trim(parts[i]);
      size_t dash = range.find('-');
      int64_t first = 0, last = 0;
      bool ok = dash == std::string_view::npos ? ParseNumber(range, &first) && (last = first, true)
                                               : ParseNumber(range.substr(0, dash), &first) &&
                                                     ParseNumber(range.substr(dash + 1), &last);
      if (!ok) {
        if (range.find_first_not_of("0123456789-") != std::string_view::npos) {
          // A MySQL 8.4 tag: the intervals that follow are its own.
          if (!tag_has_intervals || !NormalizeTag(range, &tsid.tag)) {
            return Status::InvalidArgument("GTID set item '" + std::string(item) + "': '" +
                                           std::string(range) +
                                           "' is not a tag followed by intervals");
          }
          tag_has_intervals = false;
          continue;
        }
        return Status::InvalidArgument("GTID interval '" + std::string(range) +
                                       "' is not N or N-M");
      }
      tag_has_intervals = true;
      Status s = set.AddInterval(tsid, first, last);
      if (!s.ok()) return s.WithContext("GTID set item '" + std::string(item) + "'");
    }
    if (!tag_has_intervals) {
      return Status::InvalidArgument("GTID set item '" + std::string(item) + "': tag '" + tsid.tag +
                                     "' has no transaction numbers");
    }
  }
  return set;
}

bool MySqlGtidSet::has_tags() const {
  for (const auto& [tsid, intervals] : sids_) {
    if (!tsid.tag.empty()) return true;
  }
  return false;
}

std::string MySqlGtidSet::ToString() const {
  std::string out;
  const Sid* last_sid = nullptr;
  for (const auto& [tsid, intervals] : sids_) {
    if (last_sid == nullptr || !(*last_sid == tsid.sid)) {
      if (!out.empty()) out += ',';
      out += tsid.sid.ToString();
      last_sid = &tsid.sid;
    }
    if (!tsid.tag.empty()) out += ":" + tsid.tag;
    for (const Interval& iv : intervals) {
      out += ':';
      out += std::to_string(iv.first);
      if (iv.last != iv.first) out += '-' + std::to_string(iv.last);
    }
  }
  return out;
}

Status MySqlGtidSet::Add(const MySqlGtidEvent& ev) {
  if (ev.anonymous) return Status::Ok();
  return AddInterval(Tsid{Sid::FromBytes(ev.sid), ev.tag}, ev.gno, ev.gno);
}

Status MySqlGtidSet::AddInterval(const Tsid& tsid, int64_t first, int64_t last) {
  if (first < 1 || last < first || last > kMaxGno) {
    return Status::InvalidArgument("invalid GTID interval " + std::to_string(first) + "-" +
                                   std::to_string(last) + " for " + tsid.sid.ToString() +
                                   (tsid.tag.empty() ? "" : ":" + tsid.tag));
  }
  std::vector<Interval>& ivs = sids_[tsid];
  // Fast path: extending the last interval (the common case: gno increases by one).
  if (!ivs.empty() && first >= ivs.back().first) {
    Interval& back = ivs.back();
    if (first <= back.last + 1) {
      back.last = std::max(back.last, last);
      return Status::Ok();
    }
    ivs.push_back({first, last});
    return Status::Ok();
  }
  // General case: insert, then merge overlapping or adjacent neighbours.
  auto it = std::lower_bound(ivs.begin(), ivs.end(), first,
                             [](const Interval& iv, int64_t v) { return iv.last + 1 < v; });
  // `it` is the first interval that ends at or after first-1: it may touch the new one.
  auto end = it;
  Interval merged{first, last};
  while (end != ivs.end() && end->first <= merged.last + 1) {
    merged.first = std::min(merged.first, end->first);
    merged.last = std::max(merged.last, end->last);
    ++end;
  }
  it = ivs.erase(it, end);
  ivs.insert(it, merged);
  return Status::Ok();
}

void MySqlGtidSet::Merge(const MySqlGtidSet& other) {
  for (const auto& [sid, intervals] : other.sids_) {
    for (const Interval& iv : intervals) (void)AddInterval(sid, iv.first, iv.last);
  }
}

bool MySqlGtidSet::Contains(const Tsid& tsid, int64_t gno) const {
  auto it = sids_.find(tsid);
  if (it == sids_.end()) return false;
  const auto& ivs = it->second;
  auto iv = std::lower_bound(ivs.begin(), ivs.end(), gno,
                             [](const Interval& i, int64_t v) { return i.last < v; });
  return iv != ivs.end() && iv->first <= gno;
}

std::string MySqlGtidSet::EncodeForDump() const {
  std::string out;
  const bool tagged = has_tags();
  PutLE64(&out, tagged ? (uint64_t{1} << 56) | (uint64_t{sids_.size()} << 8) | 1 : sids_.size());
  for (const auto& [tsid, intervals] : sids_) {
    out.append(reinterpret_cast<const char*>(tsid.sid.bytes.data()), tsid.sid.bytes.size());
    if (tagged) {
      PutVarUInt(&out, tsid.tag.size());
      out += tsid.tag;
    }
    PutLE64(&out, intervals.size());
    for (const Interval& iv : intervals) {
      PutLE64(&out, static_cast<uint64_t>(iv.first));
      PutLE64(&out, static_cast<uint64_t>(iv.last) + 1);
    }
  }
  return out;
}

Result<MySqlGtidSet> MySqlGtidSet::DecodeBinary(std::string_view bytes) {
  ByteReader r(bytes);
  MySqlGtidSet set;
  uint64_t n_sids = 0;
  VIMUR_RETURN_IF_ERROR(r.ReadU64(&n_sids).WithContext("GTID set"));
  const uint8_t format = static_cast<uint8_t>(n_sids >> 56);
  if (format > 1) {
    return Status::Unsupported("GTID set in binary format " + std::to_string(format) +
                               " (known: 0 untagged, 1 tagged)");
  }
  const bool tagged = format == 1;
  if (tagged) n_sids = (n_sids >> 8) & 0xffffffffffffULL;
  if (n_sids > r.remaining() / 24) {
    return Status::Underflow("GTID set declares " + std::to_string(n_sids) + " UUIDs in " +
                             std::to_string(r.remaining()) + " bytes");
  }
  for (uint64_t i = 0; i < n_sids; ++i) {
    std::string_view raw;
    uint64_t n_intervals = 0;
    VIMUR_RETURN_IF_ERROR(r.ReadBytes(16, &raw).WithContext("GTID set"));
    Tsid tsid{Sid::FromBytes(reinterpret_cast<const uint8_t*>(raw.data())), ""};
    if (tagged) {
      uint64_t length = 0;
      std::string_view tag;
      VIMUR_RETURN_IF_ERROR(ReadVarUInt(r, &length).WithContext("GTID set tag"));
      if (length > kMaxTagLength) {
        return Status::Corruption("GTID set tag of " + std::to_string(length) +
                                  " characters (at most 32)");
      }
      VIMUR_RETURN_IF_ERROR(r.ReadBytes(length, &tag).WithContext("GTID set tag"));
      if (length > 0 && !NormalizeTag(tag, &tsid.tag)) {
        return Status::Corruption("GTID set tag '" + std::string(tag) + "' is not a valid tag");
      }
    }
    VIMUR_RETURN_IF_ERROR(r.ReadU64(&n_intervals).WithContext("GTID set"));
    if (n_intervals > r.remaining() / 16) {
      return Status::Underflow("GTID set declares " + std::to_string(n_intervals) +
                               " intervals in " + std::to_string(r.remaining()) + " bytes");
    }
    for (uint64_t j = 0; j < n_intervals; ++j) {
      uint64_t start = 0, end = 0;
      VIMUR_RETURN_IF_ERROR(r.ReadU64(&start).WithContext("GTID set"));
      VIMUR_RETURN_IF_ERROR(r.ReadU64(&end).WithContext("GTID set"));
      if (start < 1 || end <= start || end > static_cast<uint64_t>(INT64_MAX)) {
        return Status::Corruption("GTID set interval [" + std::to_string(start) + ", " +
                                  std::to_string(end) + ") for " + tsid.sid.ToString() +
                                  " is invalid");
      }
      VIMUR_RETURN_IF_ERROR(
          set.AddInterval(tsid, static_cast<int64_t>(start), static_cast<int64_t>(end - 1)));
    }
  }
  if (!r.empty()) {
    return Status::Corruption("GTID set has " + std::to_string(r.remaining()) + " trailing bytes");
  }
  return set;
}

}  // namespace vimur::mysql
