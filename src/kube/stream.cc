#include "kube/stream.h"

#include <fmt/format.h>

namespace wax::kube {

Stream::Stream(Transport& transport, const HttpRequest& request) {
  easy_ = transport.prepare(request, headers_);
  curl_easy_setopt(easy_.get(), CURLOPT_ERRORBUFFER, error_);
  curl_easy_setopt(easy_.get(), CURLOPT_WRITEFUNCTION, &Stream::onData);
  curl_easy_setopt(easy_.get(), CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy_.get(), CURLOPT_HEADERFUNCTION, &Stream::onHeader);
  curl_easy_setopt(easy_.get(), CURLOPT_HEADERDATA, this);
  multi_ = curl_multi_init();
  curl_multi_add_handle(multi_, easy_.get());
}

Stream::~Stream() {
  curl_multi_remove_handle(multi_, easy_.get());
  curl_multi_cleanup(multi_);
}

size_t Stream::onData(char* data, size_t size, size_t count, void* self) {
  static_cast<Stream*>(self)->buffer_.append(data, size * count);
  return size * count;
}

size_t Stream::onHeader(char* data, size_t size, size_t count, void* self) {
  auto* stream = static_cast<Stream*>(self);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    long status = 0;
    std::sscanf(std::string(line).c_str(), "HTTP/%*s %ld", &status);
    stream->status_ = status;
    stream->headersDone_ = false;
  } else if ((line == "\r\n" || line == "\n") && stream->status_ >= 200) {
    stream->headersDone_ = true;  // 1xx interim responses are followed by the real one
  }
  return size * count;
}

void Stream::checkDone() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg == CURLMSG_DONE) {
      ended_ = true;
      result_ = message->data.result;
      headersDone_ = true;
    }
  }
}

void Stream::pump(std::chrono::milliseconds timeout) {
  if (ended_) {
    return;
  }
  size_t before = buffer_.size();
  int running = 0;
  curl_multi_perform(multi_, &running);
  checkDone();
  if (ended_ || buffer_.size() != before) {
    return;
  }
  curl_multi_poll(multi_, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
  curl_multi_perform(multi_, &running);
  checkDone();
}

long Stream::awaitStatus(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!headersDone_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return 0;
    }
    pump(left);
  }
  if (ended_ && result_ != CURLE_OK && status_ == 0) {
    throw TransportError(errorText(), true);
  }
  return status_;
}

std::string Stream::errorText() const {
  return error_[0] != '\0' ? std::string(error_) : std::string(curl_easy_strerror(result_));
}

void Stream::wakeup() {
  curl_multi_wakeup(multi_);
}

}  // namespace wax::kube
