#include "sink/redis/redis_url.h"

#include <gtest/gtest.h>

namespace vimur::sink {
namespace {

TEST(RedisUrlTest, Parses) {
  auto u = ParseRedisUrl("redis://127.0.0.1:6390");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 6390);
  EXPECT_EQ(u->db, 0);
  EXPECT_FALSE(u->tls);
  EXPECT_TRUE(u->password.empty());
  EXPECT_EQ(u->Redacted(), "redis://127.0.0.1:6390/0");
  u = ParseRedisUrl("redis://app:p%40ss@cache:7000/3");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "app");
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->db, 3);
  EXPECT_EQ(u->Redacted(), "redis://app:***@cache:7000/3");
  u = ParseRedisUrl("redis://:secret@h:1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->password, "secret");
  u = ParseRedisUrl("redis://secret@h");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->password, "secret");
  EXPECT_EQ(u->port, 6379);
}

// rediss:// is the same URL over TLS; the redacted form keeps the scheme, never the password.
TEST(RedisUrlTest, ParsesTls) {
  auto u = ParseRedisUrl("rediss://:s3cret@127.0.0.1:6380");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->db, 0);
  EXPECT_EQ(u->Redacted(), "rediss://:***@127.0.0.1:6380/0");
  u = ParseRedisUrl("rediss://app:p%3Aw@cache.internal:6390/2");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "cache.internal");
  EXPECT_EQ(u->user, "app");
  EXPECT_EQ(u->password, "p:w");
  EXPECT_EQ(u->db, 2);
  EXPECT_EQ(u->Redacted(), "rediss://app:***@cache.internal:6390/2");
  u = ParseRedisUrl("rediss://h");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 6379);
  EXPECT_EQ(u->Redacted(), "rediss://h:6379/0");
}

TEST(RedisUrlTest, RefusesWhatIsNotARedisUrl) {
  for (const char* bad :
       {"http://h:1", "redis:/h:1", "redisss://h:1", "rediss:h:1", "redis://h:99999", "redis://h:0",
        "rediss://h:x", "redis://h:1/x", "rediss://:pw@:6379", "rediss://"}) {
    auto u = ParseRedisUrl(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_NE(u.status().message().find("rediss://"), std::string::npos) << u.status().message();
  }
  // The password of a refused URL is not repeated in the message.
  auto u = ParseRedisUrl("rediss://:hunter2@h:port");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message().find("hunter2"), std::string::npos) << u.status().message();
}

}  // namespace
}  // namespace vimur::sink
