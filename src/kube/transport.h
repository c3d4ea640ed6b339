#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"
#include "kube/auth.h"
#include "kube/kubeconfig.h"

// HTTP over libcurl for the kube client (internal to src/kube). Every handle is set up the same
// way from the Config: the server URL, TLS from PEM blobs (no temp files), and the current
// credentials. Idle handles are pooled, so their connections and TLS sessions are reused.
namespace wax::kube {

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // with the query string
  std::string contentType;
  std::string body;
  std::string accept = "application/json";
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string retryAfter;  // the Retry-After header, if any
};

// A failure below HTTP: connect, TLS, timeout. `sent` says whether the request may have reached
// the server, which decides whether a non-idempotent request may be retried.
class TransportError : public Error {
 public:
  TransportError(const std::string& message, bool sent)
      : Error(ErrorCode::Unavailable, message), sent_(sent) {}
  bool sent() const { return sent_; }

 private:
  bool sent_;
};

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

class Transport {
 public:
  Transport(Config config, CredentialSourcePtr credentials, std::chrono::milliseconds timeout,
            std::string userAgent);

  // One request with a body read to the end. Throws TransportError.
  HttpResponse perform(const HttpRequest& request);

  // A handle set up for `request` (URL, TLS, auth, body) but with no timeout and no write
  // callback: for streams. `headers` receives the header list, which must outlive the handle's
  // use.
  EasyPtr prepare(const HttpRequest& request, SlistPtr& headers);

  const Config& config() const { return config_; }
  CredentialSource& credentials() { return *credentials_; }

 private:
  EasyPtr acquire();
  void release(EasyPtr handle);
  void setup(CURL* handle, const HttpRequest& request, SlistPtr& headers);

  Config config_;
  CredentialSourcePtr credentials_;
  std::chrono::milliseconds timeout_;
  std::string userAgent_;
  std::string baseUrl_;  // the server, or tls-server-name in its place
  SlistPtr connectTo_;   // CURLOPT_CONNECT_TO list when tls-server-name is set
  std::mutex mutex_;
  std::vector<EasyPtr> idle_;  // guarded by mutex_
};

// Calls curl_global_init once per process.
void ensureCurlInitialized();

}  // namespace wax::kube
