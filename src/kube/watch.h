#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// A watch stream: the API server's chunked JSON events, one per line, read on the caller's
// thread with next(timeout). stop() from any thread wakes a waiting next() at once.
namespace wax::kube {

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };

struct WatchEvent {
  WatchEventType type;
  // The object; for Error, the Status (see errors.h: statusCode(), errorFromStatus()).
  nlohmann::json object;
};

// Parses one line of a watch response. Throws wax::Error (Internal) when it is not an event.
WatchEvent parseWatchEvent(std::string_view line);
std::string_view toString(WatchEventType type);

class Stream;

class Watch {
 public:
  explicit Watch(std::unique_ptr<Stream> stream);
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // The next event, waiting up to `timeout`. nullopt on timeout, after stop(), or once the
  // server has ended the stream (then ended() is true). Throws wax::Error (Unavailable) when the
  // connection broke mid-stream.
  std::optional<WatchEvent> next(std::chrono::milliseconds timeout);
  // Thread-safe; makes next() return nullopt now and from then on.
  void stop();
  // Whether the server closed the stream (timeoutSeconds passed, or it went away) or stop() was
  // called: the caller should watch again from its last resourceVersion.
  bool ended() const;

 private:
  std::optional<WatchEvent> takeLine();

  std::unique_ptr<Stream> stream_;
  std::atomic<bool> stopped_{false};
};
using WatchPtr = std::unique_ptr<Watch>;

}  // namespace wax::kube
