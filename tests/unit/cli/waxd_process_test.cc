#include "cli/waxd_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace wax::cli {
namespace {

TEST(CommandLineServesTest, MatchesWaxdWithThisDataDirInEitherForm) {
  EXPECT_EQ(commandLineServes({"/opt/wax/bin/waxd", "--data-dir", "/d/wax"}, "/", "/d/wax"), true);
  EXPECT_EQ(commandLineServes({"waxd", "--data-dir=/d/wax/", "--port", "0"}, "/", "/d/./wax"),
            true);
  EXPECT_EQ(commandLineServes({"./waxd", "--data-dir", "wax"}, "/d", "/d/wax"), true);
}

TEST(CommandLineServesTest, RejectsOtherProgramsAndOtherDataDirs) {
  EXPECT_EQ(commandLineServes({}, "/", "/d/wax"), false);
  EXPECT_EQ(commandLineServes({"sleep", "1000"}, "/", "/d/wax"), false);
  EXPECT_EQ(commandLineServes({"/bin/notwaxd", "--data-dir", "/d/wax"}, "/", "/d/wax"), false);
  EXPECT_EQ(commandLineServes({"waxd", "--data-dir", "/d/other"}, "/", "/d/wax"), false);
  EXPECT_EQ(commandLineServes({"waxd"}, "/", "/d/wax"), std::nullopt);
}

TEST(IsWaxdOfTest, AnUnrelatedProcessIsNotWaxd) {
  const pid_t child = fork();
  if (child == 0) {
    execlp("sleep", "sleep", "1000", nullptr);
    _exit(127);
  }
  ASSERT_GT(child, 0);
  EXPECT_TRUE(processAlive(child));
  EXPECT_FALSE(isWaxdOf(child, "/tmp"));
  kill(child, SIGKILL);
  // Until it is reaped the child is a zombie, which has exited all the same.
  usleep(100 * 1000);
  EXPECT_FALSE(processAlive(child));
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(processAlive(child));
}

}  // namespace
}  // namespace wax::cli
