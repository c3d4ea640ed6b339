#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// Runs groups of local processes the way a kubelet runs the pods of one workload: it starts
// them, captures their output into rotated log files, restarts the whole group with exponential
// back-off when a process fails, and leaves a group alone once every process has exited 0.
// A group is all-or-nothing because bytewax processes form one cluster: when one dies the rest
// cannot go on with a stale address list.
namespace wax::local {

struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0] is an absolute path
  std::map<std::string, std::string> env;  // the complete environment of the process
  std::string workingDir;
  std::string logPath;  // output goes here; rotated files are logPath.1, logPath.2, ...
  // When set, the process counts as ready once this loopback TCP port accepts connections.
  std::optional<uint16_t> readinessPort;
};

struct GroupSpec {
  std::string key;      // "namespace/name"
  std::string runHash;  // identifies the configuration; a new hash restarts the group
  std::vector<ProcessSpec> processes;
};

enum class GroupPhase {
  Running,    // processes are up (some may have exited 0 already)
  BackOff,    // a process failed; the group waits before it starts again
  Completed,  // every process exited 0; nothing runs and nothing will be restarted
};

struct ProcessStatus {
  pid_t pid = 0;  // 0 when not running
  bool running = false;
  bool ready = false;
  std::optional<int> exitCode;  // of the last exit
  std::optional<int> signal;    // set when the last exit was by a signal
  uint16_t readinessPort = 0;   // the spec's readiness port; 0 when it has none
};

struct GroupStatus {
  std::string runHash;
  GroupPhase phase = GroupPhase::Running;
  std::vector<ProcessStatus> processes;
  int64_t restarts = 0;
  std::string lastError;  // e.g. "process 1 exited with code 1"; empty when none
  std::chrono::system_clock::time_point nextRestart;  // meaningful in BackOff
};

struct SupervisorOptions {
  std::string runDir;  // pid records, so that strays are found after a crash of waxd
  std::chrono::milliseconds backoffBase{1000};
  std::chrono::milliseconds backoffMax{60000};
  // A group that ran this long without failing starts over at backoffBase.
  std::chrono::milliseconds backoffReset{600000};
  std::chrono::milliseconds gracePeriod{10000};  // between SIGINT and SIGKILL
  int64_t logMaxBytes = 10 * 1024 * 1024;
  int logKeepFiles = 3;
};

class Supervisor {
 public:
  // `onChange` is called (from a supervisor thread, without locks held) with the group's key
  // whenever the status of one of its processes changes.
  Supervisor(SupervisorOptions options, std::function<void(const std::string&)> onChange);
  ~Supervisor();  // stops every group
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Makes the group run as `spec` says. Nothing happens when a group with the same key and
  // runHash exists, whatever its phase (a Completed group stays completed). Otherwise the old
  // group is stopped gracefully and the new one started.
  void ensure(const GroupSpec& spec);
  // Stops a group gracefully: SIGINT to each process, SIGKILL after the grace period. Returns
  // when every process is gone. Unknown keys are ignored.
  void stop(const std::string& key);
  std::optional<GroupStatus> status(const std::string& key) const;
  std::vector<std::string> keys() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Kills processes left behind by an earlier waxd that died without stopping them, using the
// pid records under `runDir` (each record holds the pid and its start time, so a recycled pid
// is never killed). Returns how many were killed.
int killStrayProcesses(const std::string& runDir);

// A TCP port on 127.0.0.1 that was free when asked.
uint16_t pickFreePort();

}  // namespace wax::local
