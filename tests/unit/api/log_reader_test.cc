#include "local/log_reader.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

namespace wax::local {
namespace {

namespace fs = std::filesystem;

TEST(TailOffsetTest, CountsLinesFromTheEnd) {
  const std::string text = "a\nb\nc\n";
  EXPECT_EQ(text.substr(tailOffset(text, 1)), "c\n");
  EXPECT_EQ(text.substr(tailOffset(text, 2)), "b\nc\n");
  EXPECT_EQ(text.substr(tailOffset(text, 10)), text);
  EXPECT_EQ(text.substr(tailOffset(text, 0)), "");
  const std::string unterminated = "a\nb";
  EXPECT_EQ(unterminated.substr(tailOffset(unterminated, 1)), "b");
}

class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wax-log-test-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = (dir_ / "process-0.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string read(const LogReadOptions& options) {
    std::string out;
    readLogFile(
        path_, options, false,
        [&out](std::string_view piece) {
          out.append(piece);
          return true;
        },
        [] { return false; });
    return out;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(LogFileTest, TailAndLimitBytes) {
  std::ofstream(path_) << "one\ntwo\nthree\n";
  EXPECT_EQ(read({2, std::nullopt}), "two\nthree\n");
  EXPECT_EQ(read({std::nullopt, 5}), "one\nt");
  EXPECT_EQ(read({}), "one\ntwo\nthree\n");
}

TEST_F(LogFileTest, FollowSeesAppendsAndSurvivesRotation) {
  std::ofstream(path_) << "first\n";
  std::string seen;
  std::atomic<bool> wanted{true};
  std::thread reader([&] {
    readLogFile(
        path_, {}, true,
        [&seen](std::string_view piece) {
          seen.append(piece);
          return true;
        },
        [&wanted] { return wanted.load(); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::ofstream(path_, std::ios::app) << "second\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  fs::rename(path_, path_ + ".1");
  std::ofstream(path_) << "third\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  wanted = false;
  reader.join();
  EXPECT_EQ(seen, "first\nsecond\nthird\n");
}

}  // namespace
}  // namespace wax::local
