#include "local/preparation.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "common/digest.h"
#include "common/error.h"
#include "local/command.h"

namespace fs = std::filesystem;

namespace wax::local {

namespace {

std::string base64Decode(const std::string& text) {
  std::string cleaned;
  std::copy_if(text.begin(), text.end(), std::back_inserter(cleaned),
               [](char c) { return !std::isspace(static_cast<unsigned char>(c)); });
  std::string decoded(cleaned.size() / 4 * 3 + 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                     reinterpret_cast<const unsigned char*>(cleaned.data()),
                                     static_cast<int>(cleaned.size()));
  if (length < 0) {
    throw Error(ErrorCode::Invalid, "the tarball is not valid base64");
  }
  const size_t padding =
      std::count(cleaned.end() - std::min<size_t>(2, cleaned.size()), cleaned.end(), '=');
  decoded.resize(static_cast<size_t>(length) - padding);
  return decoded;
}

void appendLine(const std::string& path, const std::string& line) {
  std::ofstream(path, std::ios::app) << line << "\n";
}

void writeFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) {
    throw Error(ErrorCode::Internal, "cannot write " + path.string());
  }
}

// A data key names a file; it must not climb out of the working directory.
bool isSafeRelativePath(const std::string& name) {
  const fs::path path(name);
  if (name.empty() || path.is_absolute()) {
    return false;
  }
  return std::none_of(path.begin(), path.end(), [](const fs::path& part) { return part == ".."; });
}

// Links in the code could point anywhere, and a later member could be written through one.
void refuseLinks(const fs::path& archive, const fs::path& workDir, const std::string& logPath) {
  const auto listing = runCommand({"/bin/tar", "-tvf", archive.string()}, inheritedEnvironment(),
                                  workDir.string(), "");
  if (listing.exitCode != 0) {
    throw Error(ErrorCode::Invalid, "the code tarball cannot be read: " + listing.output);
  }
  std::istringstream lines(listing.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && (line[0] == 'l' || line[0] == 'h')) {
      appendLine(logPath, "refused tarball member: " + line);
      throw Error(ErrorCode::Invalid,
                  "the code tarball holds a symbolic or hard link; links are "
                  "not allowed in dataflow code: replace them with files");
    }
  }
}

void unpackTarball(const std::string& tarball, const fs::path& workDir,
                   const std::string& logPath) {
  const fs::path archive = workDir / ".wax-code.tar";
  writeFile(archive, tarball);
  refuseLinks(archive, workDir, logPath);
  // GNU tar refuses members with ".." and strips leading "/", so nothing lands outside.
  const auto result = runCommand({"/bin/tar", "-xf", archive.string(), "-C", workDir.string()},
                                 inheritedEnvironment(), workDir.string(), logPath);
  fs::remove(archive);
  if (result.exitCode != 0) {
    throw Error(ErrorCode::Invalid, "cannot unpack the code tarball: " + result.output);
  }
}

std::string listFiles(const nlohmann::json& data) {
  std::string names;
  for (const auto& [name, _] : data.items()) {
    names += (names.empty() ? "" : ", ") + name;
  }
  return names.empty() ? "no files" : names;
}

}  // namespace

void writeCode(const core::Dataflow& dataflow, const nlohmann::json& configMap,
               const std::string& workDir, const std::string& logPath) {
  const auto& spec = dataflow.spec;
  const std::string configMapName = configMap.at("metadata").value("name", "");
  // Each run starts from the code alone, as a pod starts from an empty volume: files of an
  // earlier version cannot hide a missing one, nor redirect writes.
  fs::remove_all(workDir);
  fs::create_directories(workDir);
  if (spec.tarName) {
    const auto binary = configMap.value("binaryData", nlohmann::json::object());
    if (!binary.contains(*spec.tarName)) {
      throw Error(ErrorCode::Invalid,
                  fmt::format("spec.tarName: \"{}\" is not in code object \"{}\" (it has {})",
                              *spec.tarName, configMapName, listFiles(binary)));
    }
    unpackTarball(base64Decode(binary.at(*spec.tarName).get<std::string>()), workDir, logPath);
  } else {
    const auto data = configMap.value("data", nlohmann::json::object());
    for (const auto& [name, content] : data.items()) {
      if (!isSafeRelativePath(name)) {
        throw Error(ErrorCode::Invalid, fmt::format("code object \"{}\" has an unsafe file "
                                                    "name \"{}\"; use a plain relative name",
                                                    configMapName, name));
      }
      writeFile(fs::path(workDir) / name, content.get<std::string>());
    }
  }
  const std::string file = spec.pythonFileName.value_or("");
  if (!fs::is_regular_file(fs::path(workDir) / file)) {
    throw Error(ErrorCode::Invalid,
                fmt::format("spec.pythonFileName: \"{}\" is not in the code of \"{}\"; set it to "
                            "one of the files deployed (code object \"{}\")",
                            file, dataflow.metadata.name, configMapName));
  }
}

PythonEnvironments::PythonEnvironments(std::string basePython, std::string root)
    : basePython_(std::move(basePython)), root_(std::move(root)) {}

std::string PythonEnvironments::pythonFor(const std::vector<std::string>& dependencies,
                                          const std::string& logPath) {
  if (dependencies.empty()) {
    return basePython_;
  }
  std::vector<std::string> sorted = dependencies;
  std::sort(sorted.begin(), sorted.end());
  std::string key = basePython_;
  for (const auto& requirement : sorted) {
    key += "\n" + requirement;
  }
  const fs::path dir = fs::path(root_) / sha256Hex(key).substr(0, 16);
  std::lock_guard lock(lockFor(dir.string()));
  if (fs::exists(dir / ".wax-ready")) {
    return (dir / "bin" / "python").string();
  }
  return build(sorted, dir.string(), logPath);
}

std::mutex& PythonEnvironments::lockFor(const std::string& dir) {
  std::lock_guard lock(mutex_);
  return buildLocks_[dir];
}

std::string PythonEnvironments::build(const std::vector<std::string>& dependencies,
                                      const std::string& dir, const std::string& logPath) {
  fs::remove_all(dir);
  const auto env = inheritedEnvironment();
  auto check = [&](const CommandResult& result, const std::string& what) {
    if (result.exitCode != 0) {
      fs::remove_all(dir);
      throw Error(ErrorCode::Invalid, fmt::format("spec.dependencies: {} failed; check the "
                                                  "requirement names and versions. pip said: {}",
                                                  what, result.output));
    }
  };
  check(runCommand({basePython_, "-m", "venv", "--without-pip", dir}, env, "", logPath),
        "creating the virtualenv");
  // The new environment sees the base environment's packages (bytewax among them) through a
  // .pth file, so only the dependencies themselves are installed.
  const std::string python = (fs::path(dir) / "bin" / "python").string();
  const auto base =
      runCommand({basePython_, "-c", "import site; print(site.getsitepackages()[0])"}, env, "", "");
  const auto own =
      runCommand({python, "-c", "import site; print(site.getsitepackages()[0])"}, env, "", "");
  check(base.exitCode == 0 && own.exitCode == 0 ? base : CommandResult{1, base.output},
        "finding site-packages");
  auto trim = [](std::string text) {
    text.erase(text.find_last_not_of("\r\n ") + 1);
    return text;
  };
  writeFile(fs::path(trim(own.output)) / "wax-base.pth", trim(base.output) + "\n");
  std::vector<std::string> pip = {
      python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"};
  pip.insert(pip.end(), dependencies.begin(), dependencies.end());
  check(runCommand(pip, env, "", logPath), "pip install");
  writeFile(fs::path(dir) / ".wax-ready", "");
  return python;
}

namespace {

// The part count recorded in an existing partition, or -1 if it cannot be read.
int64_t recordedPartCount(const fs::path& file) {
  sqlite3* db = nullptr;
  int64_t count = -1;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT part_count FROM parts LIMIT 1", -1, &statement, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      count = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return count;
}

fs::path partFile(const fs::path& dir, int64_t index) {
  return dir / fmt::format("part-{}.sqlite3", index);
}

}  // namespace

void prepareRecovery(const std::string& python, const std::string& dir, int64_t partsCount,
                     const std::string& logPath) {
  fs::create_directories(dir);
  std::vector<int64_t> missing;
  for (int64_t index = 0; index < partsCount; ++index) {
    const fs::path file = partFile(dir, index);
    if (!fs::exists(file)) {
      missing.push_back(index);
      continue;
    }
    const int64_t recorded = recordedPartCount(file);
    if (recorded != partsCount) {
      throw Error(ErrorCode::Invalid,
                  fmt::format("spec.recovery.partsCount: the recovery state has partitions made "
                              "for a count of {}, not {}; the count is fixed for the life of the "
                              "state: set it back to {}, or reset the state",
                              recorded, partsCount, recorded));
    }
  }
  if (missing.empty()) {
    return;
  }
  // bytewax makes a whole set at once: make one aside and move in only the missing files.
  const fs::path scratch = fs::path(dir) / ".wax-new-parts";
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  const auto result =
      runCommand({python, "-m", "bytewax.recovery", scratch.string(), std::to_string(partsCount)},
                 inheritedEnvironment(), "", logPath);
  if (result.exitCode != 0) {
    fs::remove_all(scratch);
    throw Error(ErrorCode::Internal, "cannot create recovery partitions: " + result.output);
  }
  for (int64_t index : missing) {
    fs::rename(partFile(scratch, index), partFile(dir, index));
  }
  fs::remove_all(scratch);
}

}  // namespace wax::local
