#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

// Pid records let a restarted waxd find the processes an earlier waxd left running. A record is
// the file runDir/<key with '/' replaced by '_'>/<index>.pid holding "pid starttime"; the start
// time (field 22 of /proc/<pid>/stat) tells a live process apart from a recycled pid.
namespace wax::local {

// The fields of /proc/<pid>/stat we need.
struct ProcStat {
  char state = '?';  // 'Z' for a zombie
  pid_t processGroup = 0;
  uint64_t startTime = 0;  // clock ticks after boot
};

// Nothing when the process does not exist (or /proc cannot be read).
std::optional<ProcStat> readProcStat(pid_t pid);

// The directory holding the records of one group. Keys are "namespace/name" and Kubernetes
// names cannot hold '_', so the mapping cannot make two keys collide.
std::string pidRecordDir(const std::string& runDir, const std::string& key);
std::string pidRecordPath(const std::string& runDir, const std::string& key, size_t index);

// Writes the record for `pid` atomically (temporary file, then rename). Failures are logged:
// a missing record only weakens the clean-up after a crash.
void writePidRecord(const std::string& path, pid_t pid);
void removePidRecord(const std::string& path);
// Removes the directory of a group once it holds no records.
void removePidRecordDir(const std::string& dir);

}  // namespace wax::local
