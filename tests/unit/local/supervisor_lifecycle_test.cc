// Stopping, shutdown and crash behaviour of the supervisor: signals, process groups, pid
// records and the parent-death signal.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "local/pid_records.h"
#include "local/supervisor.h"
#include "local_test_util.h"

namespace wax::local {
namespace {

using namespace std::chrono_literals;
using testing::fastOptions;
using testing::isGone;
using testing::readFile;
using testing::shellProcess;
using testing::TempDir;
using testing::waitFor;

// Runs a shell script until it printed "ready", i.e. until its traps are installed.
void startAndAwaitReady(Supervisor& supervisor, const std::string& key, const std::string& script,
                        const std::string& log) {
  supervisor.ensure(GroupSpec{key, "1", {shellProcess(script, log)}});
  ASSERT_TRUE(waitFor([&] { return readFile(log).find("ready\n") != std::string::npos; }));
}

// The pid printed as "child=<pid>" by a script.
pid_t printedChild(const std::string& log) {
  const size_t at = log.find("child=");
  return at == std::string::npos ? 0 : std::stoi(log.substr(at + 6));
}

TEST(SupervisorLifecycleTest, StopSendsSigintFirst) {
  TempDir dir;
  SupervisorOptions options = fastOptions(dir.file("run"));
  options.gracePeriod = 10s;
  Supervisor supervisor(options, nullptr);
  const std::string log = dir.file("0.log");
  startAndAwaitReady(supervisor, "ns/polite",
                     "trap 'echo got INT; exit 0' INT; echo ready; "
                     "while :; do sleep 0.05; done",
                     log);

  const auto started = std::chrono::steady_clock::now();
  supervisor.stop("ns/polite");

  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // well inside the grace period
  EXPECT_FALSE(supervisor.status("ns/polite").has_value());
  EXPECT_TRUE(supervisor.keys().empty());
  const std::string content = readFile(log);
  EXPECT_NE(content.find("[wax] stopping process 0: SIGINT\ngot INT\n"), std::string::npos)
      << content;
  EXPECT_NE(content.find("[wax] process 0 exited with code 0"), std::string::npos) << content;
  EXPECT_EQ(content.find("SIGKILL"), std::string::npos) << content;
}

TEST(SupervisorLifecycleTest, StopKillsTheProcessGroupAfterTheGracePeriod) {
  TempDir dir;
  SupervisorOptions options = fastOptions(dir.file("run"));
  options.gracePeriod = 300ms;
  Supervisor supervisor(options, nullptr);
  const std::string log = dir.file("0.log");
  startAndAwaitReady(supervisor, "ns/stubborn",
                     "sleep 1000 & echo child=$!; trap '' INT; echo ready; "
                     "while :; do sleep 0.05; done",
                     log);
  const pid_t grandchild = printedChild(readFile(log));
  ASSERT_NE(grandchild, 0);

  const auto started = std::chrono::steady_clock::now();
  supervisor.stop("ns/stubborn");

  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  const std::string content = readFile(log);
  EXPECT_NE(content.find("[wax] process 0 outlived its grace period: SIGKILL"), std::string::npos)
      << content;
  EXPECT_NE(content.find("[wax] process 0 killed by signal 9"), std::string::npos) << content;
  EXPECT_TRUE(waitFor([&] { return isGone(grandchild); }));
}

TEST(SupervisorLifecycleTest, ExitOfTheLeaderTakesItsChildrenAlong) {
  TempDir dir;
  Supervisor supervisor(fastOptions(dir.file("run")), nullptr);
  const std::string log = dir.file("0.log");

  supervisor.ensure(GroupSpec{"ns/leaky", "1", {shellProcess("sleep 1000 & echo child=$!", log)}});

  ASSERT_TRUE(
      waitFor([&] { return supervisor.status("ns/leaky")->phase == GroupPhase::Completed; }));
  EXPECT_TRUE(waitFor([&] { return isGone(printedChild(readFile(log))); }));
}

TEST(SupervisorLifecycleTest, DestructorStopsAllGroupsInParallel) {
  TempDir dir;
  SupervisorOptions options = fastOptions(dir.file("run"));
  options.gracePeriod = 1s;
  auto supervisor = std::make_unique<Supervisor>(options, nullptr);
  const std::string script = "trap '' INT; echo ready; while :; do sleep 0.05; done";
  startAndAwaitReady(*supervisor, "ns/a", script, dir.file("a.log"));
  startAndAwaitReady(*supervisor, "ns/b", script, dir.file("b.log"));
  const pid_t a = supervisor->status("ns/a")->processes[0].pid;
  const pid_t b = supervisor->status("ns/b")->processes[0].pid;

  const auto started = std::chrono::steady_clock::now();
  supervisor.reset();

  // Processes that ignore SIGINT take a whole grace period each, so stopping the two groups one
  // after the other would take at least two.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1900ms);
  EXPECT_TRUE(isGone(a));
  EXPECT_TRUE(isGone(b));
}

TEST(SupervisorLifecycleTest, PidRecordsExistWhileProcessesRun) {
  TempDir dir;
  const std::string runDir = dir.file("run");
  Supervisor supervisor(fastOptions(runDir), nullptr);
  supervisor.ensure(
      GroupSpec{"ns/flow", "1", {shellProcess("exec sleep 1000", dir.file("0.log"))}});
  const pid_t pid = supervisor.status("ns/flow")->processes[0].pid;
  const std::string record = runDir + "/ns_flow/0.pid";

  EXPECT_EQ(readFile(record),
            std::to_string(pid) + " " + std::to_string(readProcStat(pid)->startTime) + "\n");

  supervisor.stop("ns/flow");
  EXPECT_FALSE(std::filesystem::exists(record));
  EXPECT_FALSE(std::filesystem::exists(runDir + "/ns_flow"));
}

TEST(SupervisorLifecycleTest, RecordsOfACrashedSupervisorLeadToItsProcesses) {
  TempDir dir;
  const std::string runDir = dir.file("run");
  auto supervisor = std::make_unique<Supervisor>(fastOptions(runDir), nullptr);
  supervisor->ensure(
      GroupSpec{"ns/flow", "1", {shellProcess("exec sleep 1000", dir.file("0.log"))}});
  const pid_t pid = supervisor->status("ns/flow")->processes[0].pid;
  // Keep a copy of the record, as if waxd had died without removing it.
  std::filesystem::copy_file(runDir + "/ns_flow/0.pid", dir.file("saved.pid"));
  supervisor.reset();
  ASSERT_TRUE(isGone(pid));

  std::filesystem::create_directories(runDir + "/ns_flow");
  std::filesystem::copy_file(dir.file("saved.pid"), runDir + "/ns_flow/0.pid");
  // The recorded process is gone, so nothing is killed, and the stale record is cleared.
  EXPECT_EQ(killStrayProcesses(runDir), 0);
  EXPECT_FALSE(std::filesystem::exists(runDir + "/ns_flow/0.pid"));
}

TEST(SupervisorLifecycleTest, ChildrenDieWithTheSupervisorProcess) {
  TempDir dir;
  const std::string runDir = dir.file("run");
  const pid_t waxd = ::fork();
  ASSERT_GE(waxd, 0);
  if (waxd == 0) {
    // Stands in for waxd: supervises a sleeper, then waits to be killed.
    try {
      Supervisor supervisor(fastOptions(runDir), nullptr);
      supervisor.ensure(
          GroupSpec{"ns/orphan", "1", {shellProcess("exec sleep 1000", dir.file("0.log"))}});
      while (true) {
        ::pause();
      }
    } catch (...) {
      ::_exit(1);
    }
  }

  const std::string record = runDir + "/ns_orphan/0.pid";
  ASSERT_TRUE(waitFor([&] { return !readFile(record).empty(); }));
  const pid_t sleeper = std::stoi(readFile(record));
  ASSERT_FALSE(isGone(sleeper));

  ::kill(waxd, SIGKILL);
  ::waitpid(waxd, nullptr, 0);

  EXPECT_TRUE(waitFor([&] { return isGone(sleeper); }));
}

}  // namespace
}  // namespace wax::local
