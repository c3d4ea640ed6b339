#include <gtest/gtest.h>

#include "core/validation.h"

namespace wax::core {
namespace {

class ValidCronTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ValidCronTest, IsAccepted) {
  std::string why;
  EXPECT_TRUE(isCronExpression(GetParam(), why)) << why;
}

INSTANTIATE_TEST_SUITE_P(Expressions, ValidCronTest,
                         ::testing::Values("* * * * *", "*/15 * * * *", "0 0 * * *",
                                           "0 9-17 * * 1-5", "0 9 * * MON-FRI", "0 9 * * mon-fri",
                                           "30 2 1 JAN,Jul *", "0 0 1-31/2 * *",
                                           "0,15,30,45 * * * *", "59 23 31 12 7", "0 0 * * 0",
                                           "0 0 * * SUN", "5/10 * * * *", "0 0 * DEC *",
                                           "  0\t0  * * *  ", "@yearly", "@annually", "@monthly",
                                           "@weekly", "@daily", "@midnight", "@hourly"));

struct InvalidCron {
  const char* expression;
  const char* why;
};

class InvalidCronTest : public ::testing::TestWithParam<InvalidCron> {};

TEST_P(InvalidCronTest, IsRejectedWithAReason) {
  std::string why;
  EXPECT_FALSE(isCronExpression(GetParam().expression, why));
  EXPECT_EQ(why, GetParam().why);
}

INSTANTIATE_TEST_SUITE_P(
    Expressions, InvalidCronTest,
    ::testing::Values(
        InvalidCron{"60 * * * *", "minute field: 60 is out of range 0-59"},
        InvalidCron{"* 24 * * *", "hour field: 24 is out of range 0-23"},
        InvalidCron{"* * 0 * *", "day-of-month field: 0 is out of range 1-31"},
        InvalidCron{"* * 32 * *", "day-of-month field: 32 is out of range 1-31"},
        InvalidCron{"* * * 13 *", "month field: 13 is out of range 1-12"},
        InvalidCron{"* * * * 8", "day-of-week field: 8 is out of range 0-7"},
        InvalidCron{"0 0 0 * * *",
                    "expected 5 fields (minute hour day-of-month month day-of-week), got 6; a "
                    "seconds field is not supported"},
        InvalidCron{"* * * *",
                    "expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
        InvalidCron{"*/0 * * * *", "minute field: step \"0\" must be a positive number"},
        InvalidCron{"*/ * * * *", "minute field: step \"\" must be a positive number"},
        InvalidCron{"5-1 * * * *", "minute field: range 5-1 runs backwards"},
        InvalidCron{"FRI-MON * * * *", "minute field: \"FRI\" is not a number"},
        InvalidCron{"0 0 * * FRI-MON", "day-of-week field: range FRI-MON runs backwards"},
        InvalidCron{"1,,2 * * * *", "minute field: empty list entry"},
        InvalidCron{"-1 * * * *", "minute field: \"\" is not a number"},
        InvalidCron{"1-2-3 * * * *", "minute field: \"2-3\" is not a number"},
        InvalidCron{"0 0 * FOO *", "month field: \"FOO\" is not a number or a name such as JAN"},
        InvalidCron{"0 0 * * MONDAY",
                    "day-of-week field: \"MONDAY\" is not a number or a name such as SUN"},
        InvalidCron{"@reboot",
                    "unknown macro @reboot; use @yearly, @annually, @monthly, @weekly, @daily, "
                    "@midnight or @hourly"},
        InvalidCron{"@every 1h",
                    "unknown macro @every; use @yearly, @annually, @monthly, @weekly, @daily, "
                    "@midnight or @hourly"},
        InvalidCron{"", "the expression is empty"}, InvalidCron{"   ", "the expression is empty"}));

}  // namespace
}  // namespace wax::core
