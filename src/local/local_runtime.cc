#include "local/local_runtime.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "common/error.h"
#include "common/logging.h"
#include "core/codec.h"
#include "core/validation.h"
#include "local/command.h"
#include "operator/run_id.h"

namespace fs = std::filesystem;

namespace wax::local {

using operator_::ProcessInfo;
using operator_::RunPhase;
using operator_::RunState;

namespace {

std::string keyOf(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}

// The chart's BYTEWAX_* environment, adapted to processes on one machine.
std::map<std::string, std::string> processEnvironment(const core::Dataflow& dataflow,
                                                      const std::string& workDir,
                                                      const std::string& hostfile, int64_t index,
                                                      uint16_t apiPort) {
  const auto& spec = dataflow.spec;
  auto env = inheritedEnvironment();
  env["PYTHONUNBUFFERED"] = "1";
  env["RUST_BACKTRACE"] = "full";
  env["BYTEWAX_WORKDIR"] = workDir;
  env["BYTEWAX_PYTHON_FILE_PATH"] = (fs::path(workDir) / *spec.pythonFileName).string();
  env["BYTEWAX_WORKERS_PER_PROCESS"] = std::to_string(*spec.workersPerProcess);
  env["BYTEWAX_REPLICAS"] = std::to_string(*spec.processesCount);
  env["BYTEWAX_POD_NAME"] = fmt::format("{}-{}", dataflow.metadata.name, index);
  env["BYTEWAX_STATEFULSET_NAME"] = dataflow.metadata.name;
  env["BYTEWAX_HOSTFILE_PATH"] = hostfile;
  env["BYTEWAX_KEEP_CONTAINER_ALIVE"] = spec.keepAlive.value_or(false) ? "true" : "false";
  env["BYTEWAX_DATAFLOW_API_ENABLED"] = "true";
  env["BYTEWAX_DATAFLOW_API_PORT"] = std::to_string(apiPort);
  env["BYTEWAX_DATAFLOW_API_CACHE_PATH"] = workDir;
  for (const auto& var : spec.env.value_or(std::vector<core::EnvVar>{})) {
    env[var.name] = var.value;
  }
  return env;
}

}  // namespace

LocalRuntime::LocalRuntime(LocalRuntimeOptions options, store::Store& store,
                           std::function<void(const std::string&)> onChange)
    : options_(std::move(options)),
      store_(store),
      environments_(options_.python, (fs::path(options_.dataDir) / "venvs").string()),
      supervisor_(std::make_unique<Supervisor>(options_.supervisor, std::move(onChange))) {}

LocalRuntime::~LocalRuntime() {
  shutdown();
}

void LocalRuntime::shutdown() {
  supervisor_.reset();
}

LocalRuntime::Paths LocalRuntime::pathsOf(const std::string& ns, const std::string& name) const {
  const fs::path root = fs::path(options_.dataDir) / "dataflows" / ns / name;
  return {root.string(), (root / "work").string(), (root / "recovery").string(),
          (root / "logs").string()};
}

nlohmann::json LocalRuntime::codeOf(const core::Dataflow& dataflow) {
  const std::string name = operator_::codeObjectName(dataflow);
  try {
    return store_.get("configmaps", dataflow.metadata.namespace_, name);
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;
    }
    throw Error(ErrorCode::Invalid,
                fmt::format("spec.configMapName: the code object \"{}/{}\" does not exist; deploy "
                            "the code with `waxctl dataflow deploy FILE` or fix the name",
                            dataflow.metadata.namespace_, name));
  }
}

std::string LocalRuntime::runId(const core::Dataflow& dataflow) {
  return operator_::computeRunId(dataflow, store_);
}

GroupSpec LocalRuntime::prepare(const core::Dataflow& dataflow, const std::string& runId) {
  const auto& spec = dataflow.spec;
  const auto& ns = dataflow.metadata.namespace_;
  const auto& name = dataflow.metadata.name;
  const Paths paths = pathsOf(ns, name);
  const std::string prepareLog = (fs::path(paths.logs) / "prepare.log").string();
  fs::create_directories(paths.logs);

  writeCode(dataflow, codeOf(dataflow), paths.work, prepareLog);
  const std::string python =
      environments_.pythonFor(spec.dependencies.value_or(std::vector<std::string>{}), prepareLog);
  const auto& recovery = spec.recovery;
  const bool recoveryOn = recovery && recovery->enabled.value_or(false);
  if (recoveryOn) {
    prepareRecovery(python, paths.recovery, *recovery->partsCount, prepareLog);
  }

  const int64_t count = *spec.processesCount;
  std::vector<uint16_t> workerPorts;
  std::string addresses;
  std::string hostfileText;
  for (int64_t i = 0; i < count; ++i) {
    workerPorts.push_back(pickFreePort());
    const auto address = fmt::format("127.0.0.1:{}", workerPorts.back());
    addresses += (i == 0 ? "" : ";") + address;
    hostfileText += address + "\n";
  }
  const std::string hostfile = (fs::path(paths.root) / "hostfile.txt").string();
  std::ofstream(hostfile, std::ios::trunc) << hostfileText;

  GroupSpec group{keyOf(ns, name), runId, {}};
  for (int64_t i = 0; i < count; ++i) {
    const uint16_t apiPort = pickFreePort();
    ProcessSpec process;
    process.argv = {python,        "-m",
                    "bytewax.run", *spec.pythonFileName,
                    "-w",          std::to_string(*spec.workersPerProcess)};
    if (count > 1) {
      process.argv.insert(process.argv.end(), {"-i", std::to_string(i), "-a", addresses});
    }
    if (recoveryOn) {
      process.argv.insert(process.argv.end(),
                          {"-r", paths.recovery, "-s", std::to_string(*recovery->snapshotInterval),
                           "-b", std::to_string(*recovery->backupInterval)});
    }
    process.env = processEnvironment(dataflow, paths.work, hostfile, i, apiPort);
    process.workingDir = paths.work;
    process.logPath = (fs::path(paths.logs) / fmt::format("process-{}.log", i)).string();
    process.readinessPort = apiPort;
    group.processes.push_back(std::move(process));
  }
  return group;
}

void LocalRuntime::checkFitsThisMachine(const core::Dataflow& dataflow) const {
  const int64_t processes = dataflow.spec.processesCount.value_or(1);
  const int64_t workers = processes * dataflow.spec.workersPerProcess.value_or(1);
  if (processes > options_.maxProcesses) {
    throw Error(ErrorCode::Invalid,
                fmt::format("spec.processesCount: {} is more than waxd runs for one dataflow "
                            "({}, its --max-processes); ask for fewer processes and more "
                            "workersPerProcess",
                            processes, options_.maxProcesses));
  }
  if (workers > options_.maxWorkers) {
    throw Error(ErrorCode::Invalid,
                fmt::format("spec.workersPerProcess: {} processes of {} workers make {} workers, "
                            "more than waxd runs for one dataflow ({}, its --max-workers)",
                            processes, workers / processes, workers, options_.maxWorkers));
  }
}

RunState LocalRuntime::sync(const core::Dataflow& dataflow, bool run) {
  const std::string key = keyOf(dataflow.metadata.namespace_, dataflow.metadata.name);
  const std::string id = runId(dataflow);
  const int64_t desired = dataflow.spec.processesCount.value_or(1);
  if (!run) {
    supervisor_->stop(key);
    RunState stopped;
    stopped.runId = id;
    return stopped;
  }
  const auto current = supervisor_->status(key);
  if (!current || current->runHash != id) {
    logger("runtime")->info("starting dataflow={} run={} processes={}", key, id, desired);
    GroupSpec group;
    try {
      checkFitsThisMachine(dataflow);
      group = prepare(dataflow, id);  // the old run goes on meanwhile (pip may take minutes)
    } catch (const std::exception&) {
      // The new configuration cannot run; the old one must not go on under a Failed status.
      supervisor_->stop(key);
      throw;
    }
    supervisor_->ensure(group);
  }
  return observe(key, id, desired);
}

RunState LocalRuntime::observe(const std::string& key, const std::string& runId,
                               int64_t desired) const {
  RunState state;
  state.runId = runId;
  state.processesDesired = desired;
  const auto group = supervisor_->status(key);
  if (!group) {
    return state;
  }
  state.restarts = group->restarts;
  state.message = group->lastError;
  for (const auto& process : group->processes) {
    state.processesReady += process.ready ? 1 : 0;
  }
  switch (group->phase) {
    case GroupPhase::Completed:
      state.phase = RunPhase::Completed;
      break;
    case GroupPhase::BackOff:
      state.phase = RunPhase::BackOff;
      break;
    case GroupPhase::Running:
      state.phase = state.processesReady == desired ? RunPhase::Running : RunPhase::Starting;
      break;
  }
  return state;
}

void LocalRuntime::cleanup(const std::string& ns, const std::string& name) {
  supervisor_->stop(keyOf(ns, name));
  std::error_code ignored;
  fs::remove_all(pathsOf(ns, name).root, ignored);
}

void LocalRuntime::resetState(const std::string& ns, const std::string& name, bool force) {
  const auto group = supervisor_->status(keyOf(ns, name));
  if (group && group->phase != GroupPhase::Completed) {
    if (!force) {
      throw Error(ErrorCode::Conflict,
                  fmt::format("dataflow \"{}/{}\" is running; suspend it before resetting its "
                              "state (waxctl dataflow suspend {}), or force the reset",
                              ns, name, name));
    }
    supervisor_->stop(keyOf(ns, name));
  }
  std::error_code ignored;
  fs::remove_all(pathsOf(ns, name).recovery, ignored);
}

std::vector<ProcessInfo> LocalRuntime::processes(const std::string& ns, const std::string& name) {
  std::vector<ProcessInfo> result;
  const auto group = supervisor_->status(keyOf(ns, name));
  if (!group) {
    return result;
  }
  for (size_t i = 0; i < group->processes.size(); ++i) {
    const auto& process = group->processes[i];
    result.push_back(ProcessInfo{fmt::format("{}-{}", name, i), static_cast<int64_t>(i),
                                 process.running, process.ready, process.pid, process.exitCode});
  }
  return result;
}

// The process's port comes from the supervisor, which waits on it for readiness; bytewax
// answers there on loopback only.
std::string LocalRuntime::processApi(const std::string& ns, const std::string& name,
                                     int64_t process, const std::string& path) {
  const std::string key = keyOf(ns, name);
  const auto group = supervisor_->status(key);
  if (!group || process < 0 || process >= static_cast<int64_t>(group->processes.size())) {
    throw Error(ErrorCode::NotFound,
                fmt::format("dataflow {} has no process {} running", key, process));
  }
  const auto& status = group->processes[static_cast<size_t>(process)];
  if (!status.running || status.readinessPort == 0) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("process {} of dataflow {} is not running", process, key));
  }
  httplib::Client client("127.0.0.1", status.readinessPort);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  const auto result = client.Get(path);
  if (!result || result->status != 200) {
    throw Error(
        ErrorCode::Unavailable,
        fmt::format("process {} of dataflow {} does not answer {} yet{}", process, key, path,
                    result ? fmt::format(" (it said {})", result->status)
                           : std::string(" (its API is not up)")));
  }
  return result->body;
}

}  // namespace wax::local
