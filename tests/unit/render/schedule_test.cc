#include <string>

#include <gtest/gtest.h>

#include "render/render.h"

namespace wax::render {
namespace {

TEST(KubernetesScheduleTest, SundayAsSevenBecomesZero) {
  EXPECT_EQ(kubernetesSchedule("0 3 * * 7"), "0 3 * * 0");
  EXPECT_EQ(kubernetesSchedule("0 3 * * 5,7"), "0 3 * * 0,5");
}

TEST(KubernetesScheduleTest, RangesAndStepsThroughSevenAreExpanded) {
  EXPECT_EQ(kubernetesSchedule("0 3 * * 5-7"), "0 3 * * 0,5,6");
  EXPECT_EQ(kubernetesSchedule("0 3 * * 1-7/2"), "0 3 * * 0,1,3,5");
  EXPECT_EQ(kubernetesSchedule("0 3 * * */7"), "0 3 * * 0");
  EXPECT_EQ(kubernetesSchedule("0 3 * * 3/2,7"), "0 3 * * 0,3,5");
  EXPECT_EQ(kubernetesSchedule("0 3 * * fri-7"), "0 3 * * 0,5,6");
  EXPECT_EQ(kubernetesSchedule("0 3 * * 7-7"), "0 3 * * 0");
}

TEST(KubernetesScheduleTest, SchedulesWithoutSevenAreUnchanged) {
  for (const char* schedule :
       {"*/15 * * * *", "0 3 * * 0", "0 3 * * MON-FRI", "0 7 17 7 *", "@weekly", "0  3 * * 1-5"}) {
    EXPECT_EQ(kubernetesSchedule(schedule), schedule);
  }
}

TEST(KubernetesScheduleTest, OtherFieldsKeepTheirSevens) {
  EXPECT_EQ(kubernetesSchedule("7 7 7 7 7"), "7 7 7 7 0");
}

TEST(KubernetesScheduleTest, UnreadableDayFieldIsPassedOnForTheServerToReport) {
  EXPECT_EQ(kubernetesSchedule("0 3 * * 7-1"), "0 3 * * 7-1");
  EXPECT_EQ(kubernetesSchedule("0 3 * * 7/0"), "0 3 * * 7/0");
}

}  // namespace
}  // namespace wax::render
