#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// Turns `waxctl dataflow deploy` flags (compatible with the Bytewax waxctl) and files into the
// objects to store: the Dataflow and its code object. No network: --dry-run prints these.
namespace wax::cli {

struct DeployFlags {
  std::string path;  // a .py file or a tarball; may be empty with a manifest
  std::string manifest;
  std::optional<std::string> name;
  std::optional<std::string> ns;
  std::string defaultNamespace = "default";  // when neither -n nor the manifest names one
  std::optional<int64_t> processes;
  std::optional<int64_t> workers;
  std::optional<std::string> pythonFileName;
  std::string requirementsFile;
  std::vector<std::string> env;  // KEY=VALUE
  bool recovery = false;
  std::optional<int64_t> recoveryParts;
  std::optional<int64_t> snapshotInterval;
  std::optional<int64_t> backupInterval;
};

struct DeployObjects {
  nlohmann::json dataflow;
  std::optional<nlohmann::json> code;  // a ConfigMap, when a file was given
};

// Throws wax::Error(Invalid) naming the flag or field when the result would be rejected.
DeployObjects buildDeployObjects(const DeployFlags& flags);

// "flights_by_origin.py" -> "flights-by-origin": a valid name from a file name.
std::string nameFromPath(const std::string& path);

}  // namespace wax::cli
