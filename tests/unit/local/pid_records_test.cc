#include "local/pid_records.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "local/supervisor.h"
#include "local_test_util.h"

namespace wax::local {
namespace {

using testing::isGone;
using testing::readFile;
using testing::TempDir;
using testing::waitFor;

// Starts `script` in a session of its own, the way the supervisor does, but from this test, so
// it stands for a process whose supervisor crashed.
pid_t startDetached(const std::string& script) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

void writeRecord(const std::string& path, pid_t pid, uint64_t startTime) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << pid << ' ' << startTime << '\n';
}

int reap(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(PidRecordsTest, ReadsOwnProcStat) {
  const auto stat = readProcStat(::getpid());

  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->processGroup, ::getpgrp());
  EXPECT_GT(stat->startTime, 0u);
  EXPECT_EQ(stat->state, 'R');
}

TEST(PidRecordsTest, RecordPathReplacesSlashInKey) {
  EXPECT_EQ(pidRecordPath("/run/wax", "team-a/flow", 2), "/run/wax/team-a_flow/2.pid");
}

TEST(PidRecordsTest, WritesPidAndStartTime) {
  TempDir dir;
  const std::string path = pidRecordPath(dir.path(), "ns/flow", 0);

  writePidRecord(path, ::getpid());

  EXPECT_EQ(readFile(path), std::to_string(::getpid()) + " " +
                                std::to_string(readProcStat(::getpid())->startTime) + "\n");
  removePidRecord(path);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PidRecordsTest, KillStrayProcessesKillsTheRecordedProcessGroup) {
  TempDir dir;
  const std::string grandchildFile = dir.file("grandchild");
  const pid_t stray = startDetached("sleep 1000 & echo $! > " + grandchildFile + "; wait");
  ASSERT_TRUE(waitFor([&] { return !readFile(grandchildFile).empty(); }));
  const pid_t grandchild = std::stoi(readFile(grandchildFile));
  const std::string record = pidRecordPath(dir.path(), "ns/flow", 0);
  writeRecord(record, stray, readProcStat(stray)->startTime);

  EXPECT_EQ(killStrayProcesses(dir.path()), 1);

  const int status = reap(stray);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(waitFor([&] { return isGone(grandchild); }));
  EXPECT_FALSE(std::filesystem::exists(record));
  EXPECT_FALSE(std::filesystem::exists(dir.file("ns_flow")));
}

TEST(PidRecordsTest, KillStrayProcessesSparesARecycledPid) {
  TempDir dir;
  const pid_t unrelated = startDetached("exec sleep 1000");
  ASSERT_TRUE(waitFor([&] { return readProcStat(unrelated).has_value(); }));
  const std::string record = pidRecordPath(dir.path(), "ns/flow", 0);
  writeRecord(record, unrelated, readProcStat(unrelated)->startTime + 1);

  EXPECT_EQ(killStrayProcesses(dir.path()), 0);

  EXPECT_FALSE(isGone(unrelated));
  EXPECT_FALSE(std::filesystem::exists(record));
  ::kill(unrelated, SIGKILL);
  reap(unrelated);
}

TEST(PidRecordsTest, KillStrayProcessesToleratesMissingDirAndGarbage) {
  TempDir dir;
  EXPECT_EQ(killStrayProcesses(dir.file("missing")), 0);
  EXPECT_EQ(killStrayProcesses(""), 0);

  const std::string record = pidRecordPath(dir.path(), "ns/flow", 0);
  std::filesystem::create_directories(dir.file("ns_flow"));
  std::ofstream(record) << "not a record\n";
  EXPECT_EQ(killStrayProcesses(dir.path()), 0);
  EXPECT_FALSE(std::filesystem::exists(record));
}

}  // namespace
}  // namespace wax::local
