#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "core/dataflow.h"

// The runtime seam: what makes a dataflow run. The reconciler decides whether a dataflow should
// run; a Runtime makes it so and reports what it sees. Local mode runs supervised processes;
// cluster mode renders Kubernetes workloads.
namespace wax::operator_ {

enum class RunPhase {
  Stopped,    // nothing runs
  Preparing,  // code, dependencies or recovery state are being set up
  Starting,   // processes run, not all ready yet
  Running,    // every process is ready
  BackOff,    // a process failed; the runtime waits before starting again
  Completed,  // every process exited 0
  Failed,     // cannot start until something changes (the message says what)
};

std::string_view toString(RunPhase phase);

struct RunState {
  RunPhase phase = RunPhase::Stopped;
  // Identifies the configuration that runs (or ran): the spec without `suspend` and the code.
  std::string runId;
  int64_t processesDesired = 0;
  int64_t processesReady = 0;
  int64_t restarts = 0;
  std::string message;  // what went wrong, in words a user can act on; empty when nothing did
};

// One process of a dataflow, as `waxctl dataflow logs --process N` and the pods endpoint show it.
struct ProcessInfo {
  std::string name;  // "<dataflow>-<index>", like the pod of a StatefulSet
  int64_t index = 0;
  bool running = false;
  bool ready = false;
  int64_t pid = 0;
  std::optional<int> lastExitCode;
};

struct LogOptions {
  int64_t process = 0;
  std::optional<int64_t> tailLines;
  std::optional<int64_t> limitBytes;
  bool previous = false;  // the rotated file before the current one
  // Only lines written in the last sinceSeconds, or since sinceTime (RFC 3339); at most one.
  std::optional<int64_t> sinceSeconds;
  std::string sinceTime;
};

// One run of a Job, as the Kubernetes Job's status counts it.
struct JobRun {
  std::string name;
  std::string startTime;       // RFC 3339; empty until it starts
  std::string completionTime;  // empty until it succeeds
  int64_t ready = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t terminating = 0;
};

// Writes a piece of log output; returns false when the reader has gone away.
using LogSink = std::function<bool(std::string_view)>;

class Runtime {
 public:
  virtual ~Runtime() = default;

  // The identity of the configuration the dataflow asks for (changes restart the processes).
  virtual std::string runId(const core::Dataflow& dataflow) = 0;
  // Makes the dataflow run (`run` true) or not, and returns what runs now. Throws wax::Error
  // when the dataflow cannot be made to run; the message names the field to change.
  virtual RunState sync(const core::Dataflow& dataflow, bool run) = 0;
  // Stops everything and removes what the runtime made for the dataflow (processes, files).
  virtual void cleanup(const std::string& ns, const std::string& name) = 0;

  virtual std::vector<ProcessInfo> processes(const std::string& ns, const std::string& name) = 0;
  // Reads a process's log; with `follow`, keeps writing new output until `sink` returns false
  // or `stillWanted` returns false.
  virtual void readLogs(const std::string& ns, const std::string& name, const LogOptions& options,
                        bool follow, const LogSink& sink,
                        const std::function<bool()>& stillWanted) = 0;
  // Wipes the recovery state of a dataflow that is not running; with `force`, stops it first.
  virtual void resetState(const std::string& ns, const std::string& name, bool force) = 0;
  // The runs of a dataflow in job mode or on a schedule, newest first. A runtime that runs no
  // Jobs has none.
  virtual std::vector<JobRun> jobs(const std::string& ns, const std::string& name) {
    (void)ns;
    (void)name;
    return {};
  }
  // What a running process's dataflow API answers at `path`: bytewax serves its graph at
  // "/dataflow" and its Prometheus metrics at "/metrics". Throws wax::Error: NotFound for a
  // process the dataflow does not have, Unavailable while it does not run or does not answer.
  virtual std::string processApi(const std::string& ns, const std::string& name, int64_t process,
                                 const std::string& path) {
    (void)process;
    (void)path;
    throw Error(ErrorCode::Unavailable, "this runtime cannot reach the dataflow API of " + ns +
                                            "/" + name + "'s processes yet");
  }
};
using RuntimePtr = std::unique_ptr<Runtime>;

}  // namespace wax::operator_
