#include "local/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>

#include "common/logging.h"

namespace wax::local {

LogWriter::LogWriter(std::string path, int64_t maxBytes, int keepFiles)
    : path_(std::move(path)), maxBytes_(maxBytes > 0 ? maxBytes : 1), keepFiles_(keepFiles) {}

LogWriter::~LogWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void LogWriter::append(std::string_view data) {
  while (!data.empty()) {
    if (!ensureOpen()) {
      return;
    }
    const int64_t room = maxBytes_ - size_;
    if (room <= 0) {
      rotate();
      if (!ensureOpen()) {
        return;
      }
      if (size_ >= maxBytes_) {
        writeAll(data);  // rotation failed (and was reported); keeping the output matters more
        return;
      }
      continue;
    }
    if (static_cast<int64_t>(data.size()) <= room) {
      writeAll(data);
      return;
    }

    // Prefer to rotate between lines; a line longer than the room left is cut where it must be.
    size_t cut = data.rfind('\n', static_cast<size_t>(room - 1));
    cut = cut == std::string_view::npos ? 0 : cut + 1;
    if (cut == 0 && size_ == 0) {
      cut = static_cast<size_t>(room);
    }
    writeAll(data.substr(0, cut));
    data.remove_prefix(cut);
    rotate();
  }
}

void LogWriter::appendLine(std::string_view line) {
  ensureOpen();  // learns whether an existing file ends mid-line
  std::string text;
  if (!atLineStart_) {
    text += '\n';
  }
  text += line;
  text += '\n';
  append(text);
}

bool LogWriter::ensureOpen() {
  if (fd_ >= 0) {
    return true;
  }

  const std::filesystem::path path(path_);
  std::error_code error;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) {
      reportFailure("create the directory of", error.value());
      return false;
    }
  }
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    reportFailure("open", errno);
    return false;
  }

  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    reportFailure("stat", errno);
    info.st_size = 0;
  }
  size_ = info.st_size;
  // A file continued from an earlier run may end mid-line; our next marker should not. (This is
  // why the file is opened for reading too.)
  char last = '\n';
  if (size_ > 0 && ::pread(fd_, &last, 1, size_ - 1) == 1) {
    atLineStart_ = last == '\n';
  }
  return true;
}

void LogWriter::rotate() {
  ::close(fd_);
  fd_ = -1;
  size_ = 0;

  if (keepFiles_ <= 0) {
    if (::truncate(path_.c_str(), 0) != 0 && errno != ENOENT) {
      reportFailure("truncate", errno);
    }
    return;
  }
  for (int index = keepFiles_ - 1; index >= 0; --index) {
    const std::string from = index == 0 ? path_ : path_ + "." + std::to_string(index);
    const std::string to = path_ + "." + std::to_string(index + 1);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      reportFailure("rotate", errno);
    }
  }
}

void LogWriter::writeAll(std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd_, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      // The output is dropped rather than buffered: a process must never block on its log.
      reportFailure("write", errno);
      return;
    }
    size_ += written;
    atLineStart_ = data[static_cast<size_t>(written) - 1] == '\n';
    data.remove_prefix(static_cast<size_t>(written));
  }
  failing_ = false;
}

void LogWriter::reportFailure(const char* operation, int error) {
  if (failing_) {
    return;
  }
  failing_ = true;
  wax::logger("supervisor")
      ->error("cannot {} process log path={} error={}", operation, path_, std::strerror(error));
}

}  // namespace wax::local
