#include "local/supervisor.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "local_test_util.h"

namespace wax::local {
namespace {

using namespace std::chrono_literals;
using testing::countOccurrences;
using testing::fastOptions;
using testing::readFile;
using testing::shellProcess;
using testing::TempDir;
using testing::waitFor;

GroupSpec group(const std::string& key, const std::string& runHash,
                std::vector<ProcessSpec> processes) {
  return GroupSpec{key, runHash, std::move(processes)};
}

GroupPhase phaseOf(const Supervisor& supervisor, const std::string& key) {
  return supervisor.status(key).value().phase;
}

pid_t pidOf(const Supervisor& supervisor, const std::string& key, size_t index) {
  const auto status = supervisor.status(key);
  return status ? status->processes.at(index).pid : 0;
}

// The times of the "[wax] process N started ... at <time>" markers in a log, in milliseconds.
std::vector<int64_t> startTimesMs(const std::string& log) {
  static const std::regex kMarker(R"(\[wax\] process \d+ started \(pid \d+\) at )"
                                  R"(\d{4}-\d\d-\d\dT(\d\d):(\d\d):(\d\d)\.(\d{3})Z)");
  std::vector<int64_t> times;
  for (std::sregex_iterator it(log.begin(), log.end(), kMarker), end; it != end; ++it) {
    const auto& m = *it;
    times.push_back(((std::stoll(m[1]) * 60 + std::stoll(m[2])) * 60 + std::stoll(m[3])) * 1000 +
                    std::stoll(m[4]));
  }
  return times;
}

TEST(SupervisorTest, CapturesStdoutAndStderrBetweenMarkers) {
  TempDir dir;
  const std::string log = dir.file("logs/flow/0.log");
  Supervisor supervisor(fastOptions(dir.file("run")), nullptr);

  supervisor.ensure(group("ns/flow", "1", {shellProcess("echo out; echo err >&2; exit 0", log)}));

  ASSERT_TRUE(waitFor([&] { return phaseOf(supervisor, "ns/flow") == GroupPhase::Completed; }));
  const std::string content = readFile(log);
  EXPECT_NE(content.find("[wax] process 0 started (pid "), std::string::npos) << content;
  EXPECT_NE(content.find("out\nerr\n"), std::string::npos) << content;
  EXPECT_NE(content.find("[wax] process 0 exited with code 0"), std::string::npos) << content;
  EXPECT_LT(content.find("started"), content.find("out"));
  EXPECT_LT(content.find("err"), content.find("exited"));
}

TEST(SupervisorTest, GroupCompletesWhenAllExitZeroAndIsNeverRestarted) {
  TempDir dir;
  Supervisor supervisor(fastOptions(dir.file("run")), nullptr);
  const GroupSpec spec = group("ns/batch", "1",
                               {shellProcess("exit 0", dir.file("0.log")),
                                shellProcess("sleep 0.1; exit 0", dir.file("1.log"))});

  supervisor.ensure(spec);
  ASSERT_TRUE(waitFor([&] { return phaseOf(supervisor, "ns/batch") == GroupPhase::Completed; }));
  std::this_thread::sleep_for(300ms);  // several back-off periods
  supervisor.ensure(spec);             // the same hash leaves a completed group alone

  const auto status = supervisor.status("ns/batch").value();
  EXPECT_EQ(status.phase, GroupPhase::Completed);
  EXPECT_EQ(status.restarts, 0);
  EXPECT_TRUE(status.lastError.empty());
  for (const auto& process : status.processes) {
    EXPECT_FALSE(process.running);
    EXPECT_EQ(process.pid, 0);
    EXPECT_EQ(process.exitCode, 0);
  }
  EXPECT_EQ(countOccurrences(readFile(dir.file("0.log")), "started"), 1u);
  EXPECT_EQ(countOccurrences(readFile(dir.file("1.log")), "started"), 1u);
}

TEST(SupervisorTest, FailureRestartsWholeGroupWithGrowingBackoff) {
  TempDir dir;
  SupervisorOptions options = fastOptions(dir.file("run"));
  options.backoffBase = 100ms;
  Supervisor supervisor(options, nullptr);
  supervisor.ensure(group("ns/flaky", "1",
                          {shellProcess("exit 3", dir.file("0.log")),
                           shellProcess("exec sleep 1000", dir.file("1.log"))}));
  ASSERT_TRUE(waitFor([&] { return startTimesMs(readFile(dir.file("0.log"))).size() >= 4; }));

  const auto status = supervisor.status("ns/flaky").value();
  EXPECT_GE(status.restarts, 3);
  EXPECT_EQ(status.lastError, "process 0 exited with code 3");
  EXPECT_EQ(status.processes[0].exitCode, 3);
  // Each gap is the back-off plus the time to fail and start again; only the lower bound holds
  // on a loaded machine, and it already fails when the back-off does not double.
  const auto starts = startTimesMs(readFile(dir.file("0.log")));
  EXPECT_GE(starts[1] - starts[0], 100);
  EXPECT_GE(starts[2] - starts[1], 200);
  EXPECT_GE(starts[3] - starts[2], 400);
  // The healthy process was restarted with its failed peer.
  const std::string healthyLog = readFile(dir.file("1.log"));
  EXPECT_GE(countOccurrences(healthyLog, "started"), 4u);
  EXPECT_NE(healthyLog.find("killed by signal 2"), std::string::npos) << healthyLog;
  // Each restart gave it a new process. (Its pid is read from the log: it lives for a moment
  // only, between its peer's failure and the stop, too short to catch by polling.)
  std::set<std::string> healthyPids;
  const std::regex started(R"(process 1 started \(pid (\d+)\))");
  for (auto it = std::sregex_iterator(healthyLog.begin(), healthyLog.end(), started);
       it != std::sregex_iterator(); ++it) {
    healthyPids.insert((*it)[1]);
  }
  EXPECT_GE(healthyPids.size(), 4u);
}

TEST(SupervisorTest, BackoffStaysAtBaseAfterAHealthyRun) {
  TempDir dir;
  SupervisorOptions options = fastOptions(dir.file("run"));
  options.backoffBase = 200ms;
  options.backoffReset = 150ms;
  Supervisor supervisor(options, nullptr);

  supervisor.ensure(group("ns/slow", "1", {shellProcess("sleep 0.3; exit 1", dir.file("0.log"))}));

  // Without the reset the second back-off would be 400ms. Polling late only shortens what is
  // left, so the check holds however slow the machine.
  ASSERT_TRUE(waitFor([&] {
    const auto status = supervisor.status("ns/slow").value();
    return status.restarts >= 2 && status.phase == GroupPhase::BackOff;
  }));
  const auto left = supervisor.status("ns/slow")->nextRestart - std::chrono::system_clock::now();
  EXPECT_LE(left, 200ms);
}

TEST(SupervisorTest, BackOffStatusNamesTheFailureAndNextRestart) {
  TempDir dir;
  SupervisorOptions options = fastOptions(dir.file("run"));
  options.backoffBase = 10s;
  options.backoffMax = 20s;
  Supervisor supervisor(options, nullptr);
  const auto before = std::chrono::system_clock::now();

  supervisor.ensure(group("ns/crash", "1", {shellProcess("kill -9 $$", dir.file("0.log"))}));

  ASSERT_TRUE(waitFor([&] { return phaseOf(supervisor, "ns/crash") == GroupPhase::BackOff; }));
  const auto status = supervisor.status("ns/crash").value();
  EXPECT_EQ(status.lastError, "process 0 killed by signal 9");
  EXPECT_EQ(status.restarts, 1);
  EXPECT_EQ(status.processes[0].signal, 9);
  EXPECT_EQ(status.processes[0].exitCode, 137);
  EXPECT_GE(status.nextRestart, before + 9s);
}

TEST(SupervisorTest, ProgramThatCannotStartBacksOff) {
  TempDir dir;
  Supervisor supervisor(fastOptions(dir.file("run")), nullptr);
  ProcessSpec missing = shellProcess("", dir.file("0.log"));
  missing.argv = {"/nonexistent/python"};

  supervisor.ensure(group("ns/missing", "1", {missing}));

  const auto status = supervisor.status("ns/missing").value();
  EXPECT_EQ(status.phase, GroupPhase::BackOff);
  EXPECT_EQ(status.lastError,
            "process 0 could not be started: execve /nonexistent/python: No such file or "
            "directory");
  EXPECT_NE(readFile(dir.file("0.log")).find("[wax] process 0 could not be started"),
            std::string::npos);
}

TEST(SupervisorTest, MissingWorkingDirectoryIsReported) {
  TempDir dir;
  Supervisor supervisor(fastOptions(dir.file("run")), nullptr);
  ProcessSpec process = shellProcess("exit 0", dir.file("0.log"));
  process.workingDir = dir.file("missing");

  supervisor.ensure(group("ns/nodir", "1", {process}));

  EXPECT_NE(supervisor.status("ns/nodir")->lastError.find("chdir " + dir.file("missing")),
            std::string::npos);
}

TEST(SupervisorTest, EnsureWithSameHashIsANoOpAndNewHashRestarts) {
  TempDir dir;
  Supervisor supervisor(fastOptions(dir.file("run")), nullptr);
  const ProcessSpec sleeper = shellProcess("exec sleep 1000", dir.file("0.log"));
  supervisor.ensure(group("ns/flow", "1", {sleeper}));
  const pid_t first = pidOf(supervisor, "ns/flow", 0);
  ASSERT_NE(first, 0);

  supervisor.ensure(group("ns/flow", "1", {sleeper}));
  EXPECT_EQ(pidOf(supervisor, "ns/flow", 0), first);

  supervisor.ensure(group("ns/flow", "2", {sleeper, sleeper}));
  const auto status = supervisor.status("ns/flow").value();
  EXPECT_EQ(status.runHash, "2");
  EXPECT_EQ(status.restarts, 0);
  EXPECT_EQ(status.phase, GroupPhase::Running);
  ASSERT_EQ(status.processes.size(), 2u);
  EXPECT_NE(status.processes[0].pid, first);
  EXPECT_TRUE(testing::isGone(first));
  EXPECT_EQ(supervisor.keys(), std::vector<std::string>{"ns/flow"});
}

TEST(SupervisorTest, ReadinessFollowsTheListeningPort) {
  TempDir dir;
  std::atomic<int> changes{0};
  Supervisor supervisor(fastOptions(dir.file("run")), [&](const std::string& key) {
    EXPECT_EQ(key, "ns/ready");
    ++changes;
  });
  const uint16_t port = pickFreePort();
  ProcessSpec server;
  server.argv = {"/usr/bin/python3", "-c",
                 "import socket, time\n"
                 "time.sleep(0.3)\n"
                 "s = socket.socket()\n"
                 "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                 "s.bind(('127.0.0.1', " +
                     std::to_string(port) +
                     "))\n"
                     "s.listen()\n"
                     "time.sleep(1000)\n"};
  server.logPath = dir.file("0.log");
  server.readinessPort = port;

  supervisor.ensure(group("ns/ready", "1", {server}));
  EXPECT_FALSE(supervisor.status("ns/ready")->processes[0].ready);

  EXPECT_TRUE(waitFor([&] { return supervisor.status("ns/ready")->processes[0].ready; }));
  EXPECT_TRUE(waitFor([&] { return changes >= 2; }));  // started, then ready
}

TEST(SupervisorTest, RotatesLargeOutput) {
  TempDir dir;
  SupervisorOptions options = fastOptions(dir.file("run"));
  options.logMaxBytes = 4096;
  options.logKeepFiles = 2;
  Supervisor supervisor(options, nullptr);
  const std::string log = dir.file("0.log");

  supervisor.ensure(
      group("ns/chatty", "1",
            {shellProcess("i=0; while [ $i -lt 2000 ]; do echo \"line $i of some output\"; "
                          "i=$((i+1)); done",
                          log)}));

  ASSERT_TRUE(waitFor([&] { return phaseOf(supervisor, "ns/chatty") == GroupPhase::Completed; }));
  EXPECT_TRUE(std::filesystem::exists(log + ".1"));
  EXPECT_TRUE(std::filesystem::exists(log + ".2"));
  EXPECT_FALSE(std::filesystem::exists(log + ".3"));
  for (const std::string& path : {log, log + ".1", log + ".2"}) {
    EXPECT_LE(std::filesystem::file_size(path), 4096u) << path;
  }
  EXPECT_NE(readFile(log).find("line 1999 of some output\n[wax] process 0 exited with code 0"),
            std::string::npos);
}

TEST(SupervisorTest, RejectsInvalidSpecs) {
  TempDir dir;
  Supervisor supervisor(fastOptions(dir.file("run")), nullptr);
  ProcessSpec relative = shellProcess("exit 0", dir.file("0.log"));
  relative.argv[0] = "sh";

  EXPECT_THROW(supervisor.ensure(group("ns/bad", "1", {})), wax::Error);
  EXPECT_THROW(supervisor.ensure(group("ns/bad", "1", {relative})), wax::Error);
  EXPECT_FALSE(supervisor.status("ns/bad").has_value());
}

TEST(SupervisorTest, PickFreePortReturnsABindablePort) {
  const uint16_t port = pickFreePort();
  ASSERT_NE(port, 0);

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ::close(fd);
}

}  // namespace
}  // namespace wax::local
