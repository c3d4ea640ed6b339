#include "cli/deploy.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "cli/context.h"
#include "common/error.h"
#include "core/codec.h"
#include "core/validation.h"

namespace fs = std::filesystem;

namespace wax::cli {

namespace {

constexpr const char* kPathAdvice = "give a .py file or a tarball (.tar, .tar.gz, .tgz)";

// `argument` names the flag that gave the file; a file that is not there, or a directory, is a
// usage mistake, one that cannot be read is an error of the environment.
void checkFileArgument(const std::string& path, const std::string& argument,
                       const std::string& advice) {
  std::error_code ignored;
  if (fs::is_directory(path, ignored)) {
    throw UsageError(fmt::format("{}: {} is a directory; {}", argument, path, advice));
  }
  if (!fs::exists(path, ignored)) {
    throw UsageError(fmt::format("{}: {} does not exist; {}", argument, path, advice));
  }
}

std::string readFile(const std::string& path, const std::string& argument,
                     const std::string& advice) {
  checkFileArgument(path, argument, advice);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: cannot read {}; check its permissions", argument, path));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Text travels in JSON, which must be UTF-8; the library's own error would not say which file.
void requireUtf8(const std::string& text, const std::string& argument, const std::string& path) {
  try {
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::type_error&) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: {} is not UTF-8 text; save it as UTF-8 (what Python expects), "
                            "or send it inside a tarball",
                            argument, path));
  }
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
  const std::string argument = "-r/--requirements-file-name";
  const std::string text = readFile(path, argument, "give a pip requirements file");
  requireUtf8(text, argument, path);
  std::istringstream lines(text);
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

// The rest of the code indexes the manifest; a list or a scalar where a mapping belongs would
// fail there with a message about JSON rather than about the manifest.
std::string yamlKind(const nlohmann::json& value) {
  if (value.is_null()) {
    return "empty";
  }
  if (value.is_array()) {
    return "a list";
  }
  return value.is_object() ? "a mapping" : "a scalar (" + std::string(value.type_name()) + ")";
}

void checkManifestShape(const nlohmann::json& manifest, const std::string& path) {
  if (!manifest.is_object()) {
    throw Error(ErrorCode::Invalid,
                fmt::format("-F/--manifest {}: the manifest is {}; give a mapping with "
                            "apiVersion, kind, metadata and spec",
                            path, yamlKind(manifest)));
  }
  for (const char* field : {"metadata", "spec"}) {
    if (manifest.contains(field) && !manifest[field].is_object()) {
      throw Error(ErrorCode::Invalid,
                  fmt::format("-F/--manifest {}: {} is {}; it must be a mapping of fields", path,
                              field, yamlKind(manifest[field])));
    }
  }
}

nlohmann::json baseManifest(const DeployFlags& flags) {
  if (!flags.manifest.empty()) {
    auto manifest = core::parseManifest(
        readFile(flags.manifest, "-F/--manifest", "give a Dataflow manifest in YAML or JSON"));
    checkManifestShape(manifest, flags.manifest);
    return manifest;
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
      throw UsageError(
          fmt::format("-e/--env \"{}\": give an environment variable as KEY=VALUE", pair));
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
    if (metadata["name"].get<std::string>().empty()) {
      throw UsageError(fmt::format("cannot make a dataflow name from {}; pass -N NAME",
                                   fs::path(flags.path).filename().string()));
    }
  }
  if (flags.ns) {
    metadata["namespace"] = *flags.ns;
  } else if (!metadata.contains("namespace")) {
    metadata["namespace"] = flags.defaultNamespace;
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
  const std::string content = readFile(flags.path, "PATH", kPathAdvice);
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
      throw UsageError(
          "-f/--python-file-name: required with a tarball; name the dataflow file inside it, "
          "e.g. -f src/flow.py");
    }
    spec["tarName"] = fileName;
    code["binaryData"] = {{fileName, base64(content)}};
  } else {
    if (!spec.contains("pythonFileName")) {
      spec["pythonFileName"] = fileName;
    }
    requireUtf8(content, "PATH", flags.path);
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
    throw UsageError(
        "PATH or -F/--manifest: give a dataflow file (.py or a tarball) or -F manifest.yaml");
  }
  if (!flags.path.empty()) {
    checkFileArgument(flags.path, "PATH", kPathAdvice);
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
