#include "kube/watch.h"

#include <fmt/format.h>

#include "common/error.h"
#include "kube/stream.h"

namespace wax::kube {
namespace {

std::optional<WatchEventType> typeOf(std::string_view name) {
  if (name == "ADDED")
    return WatchEventType::Added;
  if (name == "MODIFIED")
    return WatchEventType::Modified;
  if (name == "DELETED")
    return WatchEventType::Deleted;
  if (name == "BOOKMARK")
    return WatchEventType::Bookmark;
  if (name == "ERROR")
    return WatchEventType::Error;
  return std::nullopt;
}

}  // namespace

std::string_view toString(WatchEventType type) {
  switch (type) {
    case WatchEventType::Added:
      return "ADDED";
    case WatchEventType::Modified:
      return "MODIFIED";
    case WatchEventType::Deleted:
      return "DELETED";
    case WatchEventType::Bookmark:
      return "BOOKMARK";
    case WatchEventType::Error:
      return "ERROR";
  }
  return "UNKNOWN";
}

WatchEvent parseWatchEvent(std::string_view line) {
  auto doc = nlohmann::json::parse(line, nullptr, false);
  if (!doc.is_object() || !doc.contains("type") || !doc["type"].is_string()) {
    throw Error(ErrorCode::Internal, "kube watch: a line of the stream is not a watch event");
  }
  auto type = typeOf(doc["type"].get<std::string>());
  if (!type) {
    throw Error(ErrorCode::Internal, fmt::format("kube watch: unknown event type \"{}\"",
                                                 doc["type"].get<std::string>()));
  }
  auto object = doc.find("object");
  if (object == doc.end() || !object->is_object()) {
    throw Error(ErrorCode::Internal, "kube watch: an event has no object");
  }
  return WatchEvent{*type, std::move(*object)};
}

Watch::Watch(std::unique_ptr<Stream> stream) : stream_(std::move(stream)) {}

Watch::~Watch() = default;

std::optional<WatchEvent> Watch::takeLine() {
  std::string& buffer = stream_->buffer();
  while (true) {
    size_t newline = buffer.find('\n');
    if (newline == std::string::npos) {
      return std::nullopt;
    }
    std::string line = buffer.substr(0, newline);
    buffer.erase(0, newline + 1);
    if (line.find_first_not_of(" \r\t") != std::string::npos) {
      return parseWatchEvent(line);
    }
  }
}

std::optional<WatchEvent> Watch::next(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stopped_.load()) {
    if (auto event = takeLine()) {
      return event;
    }
    if (stream_->ended()) {
      if (stream_->result() != CURLE_OK) {
        stopped_ = true;
        throw Error(ErrorCode::Unavailable,
                    fmt::format("kube watch: the stream broke: {}", stream_->errorText()));
      }
      return std::nullopt;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    stream_->pump(left);
  }
  return std::nullopt;
}

void Watch::stop() {
  stopped_ = true;
  stream_->wakeup();
}

bool Watch::ended() const {
  return stopped_.load() || stream_->ended();
}

}  // namespace wax::kube
