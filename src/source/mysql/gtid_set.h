// GTID positions: MariaDB's per-domain GTID state ("0-1-100,1-2-7") and MySQL's GTID sets
// ("uuid:1-5:11-18,..."), parsed, formatted, updated per transaction and encoded for the dump.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "source/mysql/binlog_event.h"

namespace vimur::mysql {

// MariaDB: the last GTID seen in each replication domain. This is what a replica sends as
// @slave_connect_state to resume (MariaDB KB "Global Transaction ID").
class MariaGtidState {
 public:
  // Parses "domain-server-seq" items separated by commas ("" is the empty state). A domain may
  // appear only once.
  static Result<MariaGtidState> Parse(std::string_view text);
  // Items in domain order, e.g. "0-1-100,1-2-7".
  std::string ToString() const;

  void Update(const MariaGtid& gtid) { domains_[gtid.domain_id] = gtid; }
  void Update(const MariaGtidEvent& ev) {
    Update(MariaGtid{ev.domain_id, ev.server_id, ev.sequence});
  }
  std::optional<MariaGtid> Get(uint32_t domain_id) const;
  const std::map<uint32_t, MariaGtid>& domains() const { return domains_; }
  bool empty() const { return domains_.empty(); }
  bool operator==(const MariaGtidState& other) const;

 private:
  std::map<uint32_t, MariaGtid> domains_;
};

// A MySQL server UUID (source id of a GTID).
struct Sid {
  std::array<uint8_t, 16> bytes{};
  // "3e11fa47-71ca-11e1-9e33-c80aa9429562" (hyphens optional, either case).
  static Result<Sid> Parse(std::string_view text);
  static Sid FromBytes(const uint8_t* sixteen_bytes);
  std::string ToString() const;  // lower case, with hyphens
  auto operator<=>(const Sid&) const = default;
};

// A transaction source of MySQL 8.4: a server UUID and a tag ("" for untagged GTIDs). Tags are
// stored in lower case (MySQL compares them case-insensitively and prints them so).
struct Tsid {
  Sid sid;
  std::string tag;
  auto operator<=>(const Tsid&) const = default;
};

// MySQL: a set of transactions, per source UUID and tag a sorted list of disjoint closed
// intervals of transaction numbers (gno >= 1). Adjacent intervals are merged.
class MySqlGtidSet {
 public:
  struct Interval {
    int64_t first = 0;  // inclusive
    int64_t last = 0;   // inclusive
    bool operator==(const Interval&) const = default;
  };

  // Parses "uuid:1-5:11,uuid2:3" (whitespace and newlines around items are allowed, as in
  // @@gtid_executed; "" is the empty set), and MySQL 8.4 tags: "uuid:1-5:tag:1-3:tag2:7" (the
  // intervals after a tag are that tag's).
  static Result<MySqlGtidSet> Parse(std::string_view text);
  // Canonical text: UUIDs in ascending order, per UUID the untagged intervals then each tag's,
  // "uuid:1-5:11-18:tag:1-3,uuid2:7" (as MySQL 8.4 prints @@gtid_executed).
  std::string ToString() const;

  // Adds one transaction; gno must be >= 1.
  Status Add(const Sid& sid, int64_t gno) { return AddInterval(Tsid{sid, ""}, gno, gno); }
  // Adds the transaction of a GTID event, tagged or not (anonymous ones are ignored).
  Status Add(const MySqlGtidEvent& ev);
  // Adds [first, last]; requires 1 <= first <= last.
  Status AddInterval(const Sid& sid, int64_t first, int64_t last) {
    return AddInterval(Tsid{sid, ""}, first, last);
  }
  Status AddInterval(const Tsid& tsid, int64_t first, int64_t last);
  void Merge(const MySqlGtidSet& other);
  bool Contains(const Sid& sid, int64_t gno) const { return Contains(Tsid{sid, ""}, gno); }
  bool Contains(const Tsid& tsid, int64_t gno) const;

  bool empty() const { return sids_.empty(); }
  const std::map<Tsid, std::vector<Interval>>& sids() const { return sids_; }
  bool has_tags() const;
  bool operator==(const MySqlGtidSet& other) const { return sids_ == other.sids_; }

  // The binary form used by COM_BINLOG_DUMP_GTID and PREVIOUS_GTIDS_LOG_EVENT:
  // n_sids(8) then per sid: uuid(16) n_intervals(8) then per interval start(8) end(8, exclusive),
  // all little-endian. With tags (MySQL 8.4 "tagged" format): n_sids(8) holds 1 in its first
  // and last byte and the count in the six between, and each uuid is followed by its tag
  // (length as a MySQL serialization varint, then the characters; "" for untagged).
  std::string EncodeForDump() const;
  static Result<MySqlGtidSet> DecodeBinary(std::string_view bytes);

 private:
  std::map<Tsid, std::vector<Interval>> sids_;
};

}  // namespace vimur::mysql
