#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "local/preparation.h"
#include "local/supervisor.h"
#include "operator/runtime.h"
#include "store/store.h"

// The local runtime: a dataflow runs as `processesCount` supervised processes of
// `python -m bytewax.run` on this machine, wired together over loopback. Files live under
//   <dataDir>/dataflows/<namespace>/<name>/{work,recovery,logs}
// and dependency environments under <dataDir>/venvs.
namespace wax::local {

struct LocalRuntimeOptions {
  std::string dataDir;
  std::string python;  // an interpreter with bytewax installed
  SupervisorOptions supervisor;
  // What one dataflow may ask of this machine: every process runs here, and a spec asking for
  // thousands would spend minutes starting them and starve everything else.
  int64_t maxProcesses = 32;
  int64_t maxWorkers = 256;  // processesCount x workersPerProcess
};

class LocalRuntime : public operator_::Runtime {
 public:
  // `onChange` receives "namespace/name" whenever a process of that dataflow changes state.
  LocalRuntime(LocalRuntimeOptions options, store::Store& store,
               std::function<void(const std::string&)> onChange);
  ~LocalRuntime() override;

  std::string runId(const core::Dataflow& dataflow) override;
  operator_::RunState sync(const core::Dataflow& dataflow, bool run) override;
  void cleanup(const std::string& ns, const std::string& name) override;
  // Throws wax::Error (Invalid) naming the field when the dataflow asks for more than
  // maxProcesses or maxWorkers.
  void checkFitsThisMachine(const core::Dataflow& dataflow) const;
  std::string processApi(const std::string& ns, const std::string& name, int64_t process,
                         const std::string& path) override;
  std::vector<operator_::ProcessInfo> processes(const std::string& ns,
                                                const std::string& name) override;
  void readLogs(const std::string& ns, const std::string& name,
                const operator_::LogOptions& options, bool follow, const operator_::LogSink& sink,
                const std::function<bool()>& stillWanted) override;
  void resetState(const std::string& ns, const std::string& name, bool force) override;

  // Stops every process (waxd shutting down).
  void shutdown();

 private:
  struct Paths {
    std::string root, work, recovery, logs;
  };
  Paths pathsOf(const std::string& ns, const std::string& name) const;
  nlohmann::json codeOf(const core::Dataflow& dataflow);
  GroupSpec prepare(const core::Dataflow& dataflow, const std::string& runId);
  operator_::RunState observe(const std::string& key, const std::string& runId,
                              int64_t desired) const;

  LocalRuntimeOptions options_;
  store::Store& store_;
  PythonEnvironments environments_;
  std::unique_ptr<Supervisor> supervisor_;
};

}  // namespace wax::local
