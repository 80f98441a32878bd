#include "format/field_repr.h"

#include <gtest/gtest.h>

namespace vimur {
namespace {

// Regression: 19 and 20 digits (DECIMAL(20,0)) overflowed int64 before being refused (UBSan:
// signed integer overflow in SmallUnscaled); they are left to DecimalUnscaledBytes.
TEST(FieldReprTest, SmallUnscaledRefusesNineteenDigitsWithoutOverflow) {
  int64_t v = 0;
  EXPECT_FALSE(SmallUnscaled("9720856103513627061", 0, &v));
  EXPECT_FALSE(SmallUnscaled("-97208561035136270619", 0, &v));
  ASSERT_TRUE(SmallUnscaled("-123456789012345678", 0, &v));
  EXPECT_EQ(v, -123456789012345678);
  ASSERT_TRUE(SmallUnscaled("12.5", 2, &v));
  EXPECT_EQ(v, 1250);
}

}  // namespace
}  // namespace vimur
