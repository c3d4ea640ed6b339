#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Appends the output of one supervised process to its log file and rotates the file by size, so
// a chatty dataflow cannot fill the disk: logPath is renamed to logPath.1, logPath.1 to
// logPath.2, and so on; the oldest beyond keepFiles is overwritten.
namespace wax::local {

class LogWriter {
 public:
  LogWriter(std::string path, int64_t maxBytes, int keepFiles);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Appends raw output. A file never grows beyond maxBytes: data is split, at a newline when
  // one fits, across a rotation.
  void append(std::string_view data);
  // Appends one line of our own (a "[wax] ..." marker), starting on a fresh line even when the
  // process left its last line unterminated.
  void appendLine(std::string_view line);

 private:
  bool ensureOpen();
  void rotate();
  void writeAll(std::string_view data);
  void reportFailure(const char* operation, int error);

  const std::string path_;
  const int64_t maxBytes_;
  const int keepFiles_;
  int fd_ = -1;
  int64_t size_ = 0;
  bool atLineStart_ = true;
  // Set after an error was logged, so a full disk produces one log line rather than one per
  // chunk of output; cleared by the next successful write.
  bool failing_ = false;
};

}  // namespace wax::local
