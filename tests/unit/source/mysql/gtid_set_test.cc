#include "source/mysql/gtid_set.h"

#include <gtest/gtest.h>

namespace vimur::mysql {
namespace {

constexpr const char* kUuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr const char* kUuidB = "4a5d2b10-0f0e-11ee-be56-0242ac120002";

Sid MustSid(const char* text) {
  auto sid = Sid::Parse(text);
  EXPECT_TRUE(sid.ok()) << sid.status().ToString();
  return sid.ok() ? *sid : Sid{};
}

// ---- MariaDB ----

TEST(MariaGtidStateTest, ParseAndFormatRoundTrip) {
  auto state = MariaGtidState::Parse("1-2-7, 0-1-100");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(state->ToString(), "0-1-100,1-2-7");  // domain order
  auto d0 = state->Get(0);
  ASSERT_TRUE(d0.has_value());
  EXPECT_EQ(d0->server_id, 1u);
  EXPECT_EQ(d0->sequence, 100u);
  EXPECT_FALSE(state->Get(5).has_value());
  auto again = MariaGtidState::Parse(state->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *state);
}

TEST(MariaGtidStateTest, EmptyStringIsEmptyState) {
  auto state = MariaGtidState::Parse("  ");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->empty());
  EXPECT_EQ(state->ToString(), "");
}

TEST(MariaGtidStateTest, RejectsMalformedItems) {
  for (const char* bad : {"0-1", "0-1-2-3", "a-1-2", "0-1-", "0-1-2,,1-1-1", "0-1-2,0-3-4",
                          "-1-2-3", "0-1-99999999999999999999999"}) {
    auto state = MariaGtidState::Parse(bad);
    EXPECT_FALSE(state.ok()) << bad;
    EXPECT_EQ(state.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MariaGtidStateTest, UpdateReplacesTheDomainPosition) {
  auto state = MariaGtidState::Parse("0-1-100,1-2-7");
  ASSERT_TRUE(state.ok());
  MariaGtidEvent ev;
  ev.domain_id = 0;
  ev.server_id = 3;
  ev.sequence = 101;
  state->Update(ev);
  ev.domain_id = 9;
  ev.server_id = 4;
  ev.sequence = 1;
  state->Update(ev);
  EXPECT_EQ(state->ToString(), "0-3-101,1-2-7,9-4-1");
}

// ---- MySQL ----

TEST(SidTest, ParseAndFormat) {
  auto sid = Sid::Parse("3E11FA4771CA11E19E33C80AA9429562");
  ASSERT_TRUE(sid.ok());
  EXPECT_EQ(sid->ToString(), kUuidA);
  EXPECT_EQ(sid->bytes[0], 0x3e);
  EXPECT_EQ(sid->bytes[15], 0x62);
  EXPECT_FALSE(Sid::Parse("3e11fa47-71ca-11e1-9e33-c80aa942956").ok());    // 31 digits
  EXPECT_FALSE(Sid::Parse("3e11fa47-71ca-11e1-9e33-c80aa94295623").ok());  // 33 digits
  EXPECT_FALSE(Sid::Parse("3e11fa47-71ca-11e1-9e33-c80aa942956g").ok());
}

TEST(MySqlGtidSetTest, ParseFormatRoundTrip) {
  std::string text = std::string(kUuidB) + ":7,\n" + kUuidA + ":1-5:11-18";
  auto set = MySqlGtidSet::Parse(text);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  std::string canonical = std::string(kUuidA) + ":1-5:11-18," + kUuidB + ":7";
  EXPECT_EQ(set->ToString(), canonical);
  auto again = MySqlGtidSet::Parse(canonical);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *set);
  EXPECT_TRUE(MySqlGtidSet::Parse("")->empty());
}

TEST(MySqlGtidSetTest, ParseMergesOverlappingAndUnorderedIntervals) {
  auto set = MySqlGtidSet::Parse(std::string(kUuidA) + ":11-18:1-5:6:17-20:30");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->ToString(), std::string(kUuidA) + ":1-6:11-20:30");
}

TEST(MySqlGtidSetTest, RejectsMalformedText) {
  for (std::string bad :
       {std::string(kUuidA), std::string(kUuidA) + ":0", std::string(kUuidA) + ":5-3",
        std::string(kUuidA) + ":1-", std::string(kUuidA) + ":x", std::string("nope:1-3"),
        std::string(kUuidA) + ":1-5,,"}) {
    auto set = MySqlGtidSet::Parse(bad);
    EXPECT_FALSE(set.ok()) << bad;
  }
  // MySQL 8.4 tags are read (gtid_tagged_test.cc); a tag without intervals is not.
  EXPECT_TRUE(MySqlGtidSet::Parse(std::string(kUuidA) + ":mytag:1-3").ok());
  EXPECT_FALSE(MySqlGtidSet::Parse(std::string(kUuidA) + ":1-3:mytag").ok());
}

TEST(MySqlGtidSetTest, AddMergesIntervals) {
  Sid a = MustSid(kUuidA);
  MySqlGtidSet set;
  for (int64_t gno : {1, 2, 3, 7, 5, 6, 10, 9}) ASSERT_TRUE(set.Add(a, gno).ok());
  EXPECT_EQ(set.ToString(), std::string(kUuidA) + ":1-3:5-7:9-10");
  ASSERT_TRUE(set.Add(a, 4).ok());  // joins 1-3 and 5-7
  ASSERT_TRUE(set.Add(a, 8).ok());  // joins 1-7 and 9-10
  EXPECT_EQ(set.ToString(), std::string(kUuidA) + ":1-10");
  ASSERT_TRUE(set.Add(a, 5).ok());  // already present: unchanged
  EXPECT_EQ(set.sids().at(Tsid{a, ""}).size(), 1u);
  EXPECT_FALSE(set.Add(a, 0).ok());
  EXPECT_FALSE(set.Add(a, -3).ok());
}

TEST(MySqlGtidSetTest, AddIntervalSpanningSeveral) {
  Sid a = MustSid(kUuidA);
  auto set = MySqlGtidSet::Parse(std::string(kUuidA) + ":1-2:4-5:8-9:20");
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE(set->AddInterval(a, 3, 8).ok());
  EXPECT_EQ(set->ToString(), std::string(kUuidA) + ":1-9:20");
}

TEST(MySqlGtidSetTest, ContainsAndEventAdd) {
  auto set = MySqlGtidSet::Parse(std::string(kUuidA) + ":1-5:11-18");
  ASSERT_TRUE(set.ok());
  Sid a = MustSid(kUuidA), b = MustSid(kUuidB);
  EXPECT_TRUE(set->Contains(a, 1));
  EXPECT_TRUE(set->Contains(a, 5));
  EXPECT_FALSE(set->Contains(a, 6));
  EXPECT_FALSE(set->Contains(a, 10));
  EXPECT_TRUE(set->Contains(a, 11));
  EXPECT_TRUE(set->Contains(a, 18));
  EXPECT_FALSE(set->Contains(a, 19));
  EXPECT_FALSE(set->Contains(b, 1));

  MySqlGtidEvent ev;
  std::copy(b.bytes.begin(), b.bytes.end(), ev.sid);
  ev.gno = 42;
  ASSERT_TRUE(set->Add(ev).ok());
  EXPECT_TRUE(set->Contains(b, 42));
  MySqlGtidEvent anon;
  anon.anonymous = true;
  ASSERT_TRUE(set->Add(anon).ok());
  EXPECT_EQ(set->sids().size(), 2u);
}

TEST(MySqlGtidSetTest, MergeSets) {
  auto x = MySqlGtidSet::Parse(std::string(kUuidA) + ":1-5");
  auto y = MySqlGtidSet::Parse(std::string(kUuidA) + ":6-9:20," + kUuidB + ":1");
  ASSERT_TRUE(x.ok() && y.ok());
  x->Merge(*y);
  EXPECT_EQ(x->ToString(), std::string(kUuidA) + ":1-9:20," + kUuidB + ":1");
}

TEST(MySqlGtidSetTest, EncodeForDumpLayout) {
  auto set = MySqlGtidSet::Parse(std::string(kUuidA) + ":1-5:11-18");
  ASSERT_TRUE(set.ok());
  std::string bin = set->EncodeForDump();
  // n_sids, sid, n_intervals, 2 x (start, end exclusive)
  ASSERT_EQ(bin.size(), 8u + 16 + 8 + 2 * 16);
  auto le64 = [&](size_t off) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(bin[off + i]);
    return v;
  };
  EXPECT_EQ(le64(0), 1u);
  EXPECT_EQ(static_cast<uint8_t>(bin[8]), 0x3e);
  EXPECT_EQ(static_cast<uint8_t>(bin[23]), 0x62);
  EXPECT_EQ(le64(24), 2u);
  EXPECT_EQ(le64(32), 1u);
  EXPECT_EQ(le64(40), 6u);
  EXPECT_EQ(le64(48), 11u);
  EXPECT_EQ(le64(56), 19u);
  EXPECT_EQ(MySqlGtidSet().EncodeForDump(), std::string(8, '\0'));
}

TEST(MySqlGtidSetTest, BinaryRoundTripAndTruncation) {
  auto set = MySqlGtidSet::Parse(std::string(kUuidA) + ":1-5:11-18," + kUuidB + ":3");
  ASSERT_TRUE(set.ok());
  std::string bin = set->EncodeForDump();
  auto back = MySqlGtidSet::DecodeBinary(bin);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == *set);
  for (size_t n = 0; n < bin.size(); ++n) {
    EXPECT_FALSE(MySqlGtidSet::DecodeBinary(bin.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(MySqlGtidSet::DecodeBinary(bin + "x").ok());
  // An interval whose end is not after its start is corrupt.
  std::string bad = bin;
  bad[40] = 1;  // end of the first interval = 1 = its start
  EXPECT_EQ(MySqlGtidSet::DecodeBinary(bad).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace vimur::mysql
