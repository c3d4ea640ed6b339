#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dataflow.h"

// The steps that come before a dataflow's processes start in local mode: its code on disk, a
// Python environment with its dependencies, and its recovery partitions. Each step is
// idempotent, and each failure says which spec field or object to fix.
namespace wax::local {

// Writes the code held by `configMap` (a file per `data` key, or the tarball `tarName` of
// `binaryData`, unpacked) into `workDir`, then checks that `pythonFileName` is there.
void writeCode(const core::Dataflow& dataflow, const nlohmann::json& configMap,
               const std::string& workDir, const std::string& logPath);

// Virtualenvs with a dataflow's `dependencies`, built on top of the base environment that has
// bytewax and shared by every dataflow asking for the same requirement set.
class PythonEnvironments {
 public:
  PythonEnvironments(std::string basePython, std::string root);

  // The python to run a dataflow with; builds the environment on first use.
  std::string pythonFor(const std::vector<std::string>& dependencies, const std::string& logPath);
  const std::string& basePython() const { return basePython_; }

 private:
  std::string build(const std::vector<std::string>& dependencies, const std::string& dir,
                    const std::string& logPath);

  std::mutex& lockFor(const std::string& dir);

  std::string basePython_;
  std::string root_;
  std::mutex mutex_;  // guards buildLocks_
  // One build at a time per environment (pip is not safe to run twice into one), while
  // dataflows with other requirement sets go on.
  std::map<std::string, std::mutex> buildLocks_;
};

// Makes sure `dir` holds partitions part-0 .. part-(count-1), creating the missing ones with
// `python -m bytewax.recovery`, and that existing ones were made for the same count.
void prepareRecovery(const std::string& python, const std::string& dir, int64_t partsCount,
                     const std::string& logPath);

}  // namespace wax::local
