#include "cli/deploy.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "core/codec.h"
#include "core/validation.h"

namespace fs = std::filesystem;

namespace wax::cli {

namespace {

std::string readFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::BadRequest, fmt::format("cannot read {} \"{}\"", what, path));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string base64(const std::string& data) {
  std::string encoded(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(data.data()),
                                     static_cast<int>(data.size()));
  encoded.resize(static_cast<size_t>(length));
  return encoded;
}

bool isTarball(const std::string& path) {
  for (const char* suffix : {".tar", ".tar.gz", ".tgz"}) {
    const std::string end = suffix;
    if (path.size() > end.size() && path.compare(path.size() - end.size(), end.size(), end) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> readRequirements(const std::string& path) {
  std::istringstream lines(readFile(path, "requirements file"));
  std::vector<std::string> requirements;
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) {
      requirements.push_back(line);
    }
  }
  return requirements;
}

nlohmann::json baseManifest(const DeployFlags& flags) {
  if (!flags.manifest.empty()) {
    return core::parseManifest(readFile(flags.manifest, "manifest"));
  }
  return {{"apiVersion", core::kApiVersion},
          {"kind", core::kKind},
          {"metadata", nlohmann::json::object()},
          {"spec", {{"image", {{"repository", "bytewax/bytewax"}, {"tag", "0.21.1-python3.11"}}}}}};
}

void applyEnv(nlohmann::json& spec, const std::vector<std::string>& pairs) {
  for (const auto& pair : pairs) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("-e \"{}\": give an environment variable as KEY=VALUE", pair));
    }
    if (!spec.contains("env")) {
      spec["env"] = nlohmann::json::array();
    }
    spec["env"].push_back({{"name", pair.substr(0, equals)}, {"value", pair.substr(equals + 1)}});
  }
}

void applyRecovery(nlohmann::json& spec, const DeployFlags& flags) {
  const bool any =
      flags.recovery || flags.recoveryParts || flags.snapshotInterval || flags.backupInterval;
  if (!any) {
    return;
  }
  auto& recovery = spec["recovery"];
  recovery["enabled"] = true;
  if (flags.recoveryParts) {
    recovery["partsCount"] = *flags.recoveryParts;
  }
  if (flags.snapshotInterval) {
    recovery["snapshotInterval"] = *flags.snapshotInterval;
  }
  if (flags.backupInterval) {
    recovery["backupInterval"] = *flags.backupInterval;
  }
}

void applyFlags(nlohmann::json& manifest, const DeployFlags& flags) {
  auto& metadata = manifest["metadata"];
  auto& spec = manifest["spec"];
  if (flags.name) {
    metadata["name"] = *flags.name;
  } else if (!metadata.contains("name") && !flags.path.empty()) {
    metadata["name"] = nameFromPath(flags.path);
  }
  if (flags.ns) {
    metadata["namespace"] = *flags.ns;
  } else if (!metadata.contains("namespace")) {
    metadata["namespace"] = "default";
  }
  if (flags.processes) {
    spec["processesCount"] = *flags.processes;
  }
  if (flags.workers) {
    spec["workersPerProcess"] = *flags.workers;
  }
  if (flags.pythonFileName) {
    spec["pythonFileName"] = *flags.pythonFileName;
  }
  if (!flags.requirementsFile.empty()) {
    spec["dependencies"] = readRequirements(flags.requirementsFile);
  }
  applyEnv(spec, flags.env);
  applyRecovery(spec, flags);
}

nlohmann::json codeObject(const DeployFlags& flags, nlohmann::json& manifest) {
  auto& spec = manifest["spec"];
  const auto& metadata = manifest["metadata"];
  const std::string fileName = fs::path(flags.path).filename().string();
  const std::string content = readFile(flags.path, "dataflow file");
  const std::string codeName = spec.value("configMapName", metadata.value("name", ""));
  nlohmann::json code = {{"apiVersion", "v1"},
                         {"kind", "ConfigMap"},
                         {"metadata",
                          {{"name", codeName},
                           {"namespace", metadata.value("namespace", "default")},
                           // The dataflow deletes the code made for it when it goes.
                           {"labels", {{"bytewax.io/dataflow", metadata.value("name", "")}}}}}};
  if (isTarball(flags.path)) {
    if (!spec.contains("pythonFileName")) {
      throw Error(ErrorCode::BadRequest,
                  "-f/--python-file-name: required with a tarball; name "
                  "the dataflow file inside it");
    }
    spec["tarName"] = fileName;
    code["binaryData"] = {{fileName, base64(content)}};
  } else {
    if (!spec.contains("pythonFileName")) {
      spec["pythonFileName"] = fileName;
    }
    code["data"] = {{spec["pythonFileName"].get<std::string>(), content}};
  }
  return code;
}

}  // namespace

std::string nameFromPath(const std::string& path) {
  std::string stem = fs::path(path).filename().string();
  stem = stem.substr(0, stem.find('.'));
  std::string name;
  for (char c : stem) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name += std::isalnum(static_cast<unsigned char>(lower)) ? lower : '-';
  }
  name.erase(0, name.find_first_not_of('-'));
  name.erase(name.find_last_not_of('-') + 1);
  return name.substr(0, 63);
}

DeployObjects buildDeployObjects(const DeployFlags& flags) {
  if (flags.path.empty() && flags.manifest.empty()) {
    throw Error(ErrorCode::BadRequest, "give a dataflow file (.py or .tar) or -F manifest.yaml");
  }
  DeployObjects objects;
  objects.dataflow = baseManifest(flags);
  applyFlags(objects.dataflow, flags);
  if (!flags.path.empty()) {
    objects.code = codeObject(flags, objects.dataflow);
  }
  std::vector<core::FieldError> errors;
  const core::Dataflow dataflow = core::dataflowFromJson(objects.dataflow, errors);
  if (errors.empty()) {
    errors = core::validate(dataflow);
  }
  if (!errors.empty()) {
    throw Error(ErrorCode::Invalid, core::describeErrors(dataflow, errors));
  }
  return objects;
}

}  // namespace wax::cli
