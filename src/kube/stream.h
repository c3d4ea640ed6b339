#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <string>

#include "kube/transport.h"

// A long-lived response read as it arrives (watch, log follow), internal to src/kube. The
// transfer runs on a curl multi handle driven by the reading thread, so no thread is spent per
// stream, and wakeup() from any thread interrupts a wait at once (curl_multi_wakeup).
namespace wax::kube {

class Stream {
 public:
  Stream(Transport& transport, const HttpRequest& request);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Drives the transfer until its headers have arrived, up to `timeout`. Returns the HTTP status
  // (0 if it has not arrived). Throws TransportError if the transfer failed first.
  long awaitStatus(std::chrono::milliseconds timeout);
  // Drives the transfer until new bytes arrive, it ends, wakeup() is called or `timeout` passes.
  void pump(std::chrono::milliseconds timeout);
  // Bytes received and not yet taken.
  std::string& buffer() { return buffer_; }
  bool ended() const { return ended_; }
  // The transfer's outcome once ended(); CURLE_OK for a clean end of the response.
  CURLcode result() const { return result_; }
  std::string errorText() const;
  // Thread-safe. Makes a pump() in progress return promptly.
  void wakeup();

 private:
  static size_t onData(char* data, size_t size, size_t count, void* self);
  static size_t onHeader(char* data, size_t size, size_t count, void* self);
  void checkDone();

  SlistPtr headers_;
  EasyPtr easy_;
  CURLM* multi_ = nullptr;
  std::string buffer_;
  long status_ = 0;
  bool headersDone_ = false;
  bool ended_ = false;
  CURLcode result_ = CURLE_OK;
  char error_[CURL_ERROR_SIZE] = "";
};

}  // namespace wax::kube
