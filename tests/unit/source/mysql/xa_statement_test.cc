#include "source/mysql/xa_statement.h"

#include <gtest/gtest.h>

#include "source/mysql/binlog_event.h"

namespace vimur::mysql {
namespace {

// XA COMMIT statements must name the XID of the XA_PREPARE_LOG_EVENT they commit.
TEST(XaStatementTest, CanonicalXidMatchesThePrepareEvent) {
  XaPrepareEvent prepare;
  prepare.gtrid = "xa-a";
  prepare.format_id = 1;
  EXPECT_EQ(prepare.ToSql(), "X'78612D61',X'',1");
  EXPECT_EQ(CanonicalXid(" X'78612d61',X'',1"), prepare.ToSql());
  EXPECT_EQ(CanonicalXid(" 'xa-a'"), prepare.ToSql());
  EXPECT_EQ(CanonicalXid(" 'xa-a', '' , 1 ONE PHASE"), prepare.ToSql());
  EXPECT_EQ(CanonicalXid(" 0x78612d61"), prepare.ToSql());
  EXPECT_EQ(CanonicalXid(" 'g','b',7"), "X'67',X'62',7");
  EXPECT_EQ(CanonicalXid(" 'it''s'"), "X'69742773',X'',1");
  EXPECT_FALSE(CanonicalXid(""));
  EXPECT_FALSE(CanonicalXid(" X'7'"));
  EXPECT_FALSE(CanonicalXid(" 'open"));
  EXPECT_FALSE(CanonicalXid(" 'a', 'b', x"));
}

}  // namespace
}  // namespace vimur::mysql
