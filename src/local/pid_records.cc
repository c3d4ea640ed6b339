#include "local/pid_records.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "local/supervisor.h"

namespace wax::local {
namespace {

namespace fs = std::filesystem;

// How long killStrayProcesses waits for one killed process to disappear.
constexpr auto kStrayExitTimeout = std::chrono::seconds(5);
constexpr auto kStrayPollInterval = std::chrono::milliseconds(10);

struct PidRecord {
  pid_t pid = 0;
  uint64_t startTime = 0;
};

std::optional<PidRecord> readPidRecord(const fs::path& path) {
  std::ifstream in(path);
  PidRecord record;
  if (!(in >> record.pid >> record.startTime) || record.pid <= 0) {
    return std::nullopt;
  }
  return record;
}

bool isGone(pid_t pid, uint64_t startTime) {
  const auto stat = readProcStat(pid);
  // A zombie has released everything; reaping it is its parent's business.
  return !stat || stat->startTime != startTime || stat->state == 'Z';
}

bool waitUntilGone(pid_t pid, uint64_t startTime) {
  const auto deadline = std::chrono::steady_clock::now() + kStrayExitTimeout;
  while (!isGone(pid, startTime)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(kStrayPollInterval);
  }
  return true;
}

// Kills the process of one record when it is still the process that was recorded.
bool killRecorded(const fs::path& path, const PidRecord& record) {
  const auto stat = readProcStat(record.pid);
  if (!stat || stat->startTime != record.startTime || stat->state == 'Z') {
    return false;
  }

  // Supervised processes lead their own process group (setsid), so their children die too.
  const pid_t target = stat->processGroup == record.pid ? -record.pid : record.pid;
  if (::kill(target, SIGKILL) != 0 && errno != ESRCH) {
    wax::logger("supervisor")
        ->error("cannot kill stray process pid={} record={} error={}", record.pid, path.string(),
                std::strerror(errno));
    return false;
  }
  if (!waitUntilGone(record.pid, record.startTime)) {
    wax::logger("supervisor")
        ->error("stray process survived SIGKILL pid={} record={}", record.pid, path.string());
  }
  wax::logger("supervisor")
      ->warn("killed stray process pid={} record={}", record.pid, path.string());
  return true;
}

std::vector<fs::path> listPidRecords(const std::string& runDir) {
  std::vector<fs::path> records;
  std::error_code error;
  for (fs::recursive_directory_iterator it(runDir, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() == ".pid" && it->is_regular_file(error)) {
      records.push_back(it->path());
    }
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    wax::logger("supervisor")
        ->error("cannot list pid records run_dir={} error={}", runDir, error.message());
  }
  return records;
}

}  // namespace

std::optional<ProcStat> readProcStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) {
    return std::nullopt;
  }

  // The command name (field 2) may hold spaces and parentheses, so fields are counted from the
  // last ')'. Field 3 (state) is then the first one.
  const size_t nameEnd = line.rfind(')');
  if (nameEnd == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(line.substr(nameEnd + 1));
  ProcStat stat;
  std::string skipped;
  fields >> stat.state >> skipped >> stat.processGroup;
  for (int field = 6; field < 22; ++field) {
    fields >> skipped;
  }
  fields >> stat.startTime;
  if (!fields) {
    return std::nullopt;
  }
  return stat;
}

std::string pidRecordDir(const std::string& runDir, const std::string& key) {
  std::string name = key;
  for (char& c : name) {
    if (c == '/') {
      c = '_';
    }
  }
  return (fs::path(runDir) / name).string();
}

std::string pidRecordPath(const std::string& runDir, const std::string& key, size_t index) {
  return (fs::path(pidRecordDir(runDir, key)) / (std::to_string(index) + ".pid")).string();
}

void writePidRecord(const std::string& path, pid_t pid) {
  auto logger = wax::logger("supervisor");
  const auto stat = readProcStat(pid);
  if (!stat) {
    logger->error("cannot read start time for pid record pid={} record={}", pid, path);
    return;
  }

  std::error_code error;
  fs::create_directories(fs::path(path).parent_path(), error);
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << pid << ' ' << stat->startTime << '\n';
    if (error || !out.flush()) {
      logger->error("cannot write pid record pid={} record={}", pid, path);
      return;
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    logger->error("cannot write pid record pid={} record={} error={}", pid, path,
                  std::strerror(errno));
  }
}

void removePidRecord(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    wax::logger("supervisor")
        ->error("cannot remove pid record record={} error={}", path, std::strerror(errno));
  }
}

void removePidRecordDir(const std::string& dir) {
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY) {
    wax::logger("supervisor")
        ->error("cannot remove pid record directory dir={} error={}", dir, std::strerror(errno));
  }
}

int killStrayProcesses(const std::string& runDir) {
  if (runDir.empty()) {
    return 0;
  }

  int killed = 0;
  for (const fs::path& path : listPidRecords(runDir)) {
    const auto record = readPidRecord(path);
    if (!record) {
      wax::logger("supervisor")->warn("ignoring unreadable pid record record={}", path.string());
    } else if (killRecorded(path, *record)) {
      ++killed;
    }
    removePidRecord(path.string());
    removePidRecordDir(path.parent_path().string());
  }
  return killed;
}

}  // namespace wax::local
