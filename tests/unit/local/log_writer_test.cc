#include "local/log_writer.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "local_test_util.h"

namespace wax::local {
namespace {

using testing::readFile;
using testing::TempDir;

TEST(LogWriterTest, CreatesParentDirectoriesAndAppends) {
  TempDir dir;
  const std::string path = dir.file("a/b/process.log");
  LogWriter writer(path, 1024, 2);

  writer.append("one\n");
  writer.append("two\n");

  EXPECT_EQ(readFile(path), "one\ntwo\n");
}

TEST(LogWriterTest, MarkerStartsOnAFreshLine) {
  TempDir dir;
  const std::string path = dir.file("process.log");
  LogWriter writer(path, 1024, 2);

  writer.append("partial");
  writer.appendLine("[wax] marker");
  writer.appendLine("[wax] next");

  EXPECT_EQ(readFile(path), "partial\n[wax] marker\n[wax] next\n");
}

TEST(LogWriterTest, ContinuesAnExistingFileOnAFreshLine) {
  TempDir dir;
  const std::string path = dir.file("process.log");
  {
    LogWriter first(path, 1024, 2);
    first.append("unterminated");
  }
  LogWriter second(path, 1024, 2);

  second.appendLine("[wax] marker");

  EXPECT_EQ(readFile(path), "unterminated\n[wax] marker\n");
}

TEST(LogWriterTest, RotatesAtLineBoundariesAndKeepsAtMostKeepFiles) {
  TempDir dir;
  const std::string path = dir.file("process.log");
  LogWriter writer(path, 10, 2);

  // Lines of five bytes, two to a file; the oldest two fall off the end.
  writer.append("aaaa\nbbbb\ncccc\ndddd\neeee\nffff\ngggg\n");

  EXPECT_EQ(readFile(path), "gggg\n");
  EXPECT_EQ(readFile(path + ".1"), "eeee\nffff\n");
  EXPECT_EQ(readFile(path + ".2"), "cccc\ndddd\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));
}

TEST(LogWriterTest, CutsALineLongerThanTheLimit) {
  TempDir dir;
  const std::string path = dir.file("process.log");
  LogWriter writer(path, 4, 3);

  writer.append("abcdefghij");

  EXPECT_EQ(readFile(path), "ij");
  EXPECT_EQ(readFile(path + ".1"), "efgh");
  EXPECT_EQ(readFile(path + ".2"), "abcd");
}

TEST(LogWriterTest, KeepingNoFilesTruncates) {
  TempDir dir;
  const std::string path = dir.file("process.log");
  LogWriter writer(path, 6, 0);

  writer.append("12345\n");
  writer.append("67890\n");

  EXPECT_EQ(readFile(path), "67890\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".1"));
}

}  // namespace
}  // namespace wax::local
