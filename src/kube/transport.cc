#include "kube/transport.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace wax::kube {
namespace {

// Idle handles beyond this are closed: enough for the operator's worker threads.
constexpr size_t kMaxIdleHandles = 16;
constexpr long kConnectTimeoutMs = 10000;

size_t appendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t captureRetryAfter(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string lower(line.substr(0, kName.size()));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == kName) {
      std::string value(line.substr(kName.size()));
      value.erase(0, value.find_first_not_of(" \t"));
      value.erase(value.find_last_not_of(" \t\r\n") + 1);
      *static_cast<std::string*>(user) = value;
    }
  }
  return size * count;
}

void setBlob(CURL* handle, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(handle, option, &blob);
}

// Whether a failed transfer may have delivered the request: connect and resolve failures happen
// before the first byte is written.
bool maySend(CURLcode code) {
  return code != CURLE_COULDNT_CONNECT && code != CURLE_COULDNT_RESOLVE_HOST &&
         code != CURLE_COULDNT_RESOLVE_PROXY && code != CURLE_SSL_CONNECT_ERROR;
}

struct UrlParts {
  std::string scheme, host, port, path;
};

UrlParts splitServer(const std::string& server) {
  CURLU* url = curl_url();
  UrlParts parts;
  if (curl_url_set(url, CURLUPART_URL, server.c_str(), 0) != CURLUE_OK) {
    curl_url_cleanup(url);
    throw Error(ErrorCode::BadRequest, fmt::format("kube: server \"{}\" is not a URL", server));
  }
  auto get = [url](CURLUPart part, unsigned flags) {
    char* value = nullptr;
    std::string out;
    if (curl_url_get(url, part, &value, flags) == CURLUE_OK && value != nullptr) {
      out = value;
    }
    curl_free(value);
    return out;
  };
  parts.scheme = get(CURLUPART_SCHEME, 0);
  parts.host = get(CURLUPART_HOST, 0);
  parts.port = get(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  parts.path = get(CURLUPART_PATH, 0);
  curl_url_cleanup(url);
  while (!parts.path.empty() && parts.path.back() == '/') {
    parts.path.pop_back();
  }
  return parts;
}

}  // namespace

void ensureCurlInitialized() {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;
}

namespace {

// Impersonation names go into headers: a line break in one would add headers of its own.
void refuseUnsafeHeaderValues(const AuthInfo& user) {
  auto unsafe = [](const std::string& value) {
    return std::any_of(value.begin(), value.end(),
                       [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  };
  const bool groupUnsafe =
      std::any_of(user.impersonateGroups.begin(), user.impersonateGroups.end(), unsafe);
  if (unsafe(user.impersonateUser) || groupUnsafe) {
    throw Error(ErrorCode::BadRequest,
                "an impersonated user or group name contains control characters");
  }
}

}  // namespace

Transport::Transport(Config config, CredentialSourcePtr credentials,
                     std::chrono::milliseconds timeout, std::string userAgent)
    : config_(std::move(config)),
      credentials_(std::move(credentials)),
      timeout_(timeout),
      userAgent_(std::move(userAgent)) {
  ensureCurlInitialized();
  refuseUnsafeHeaderValues(config_.user);
  UrlParts url = splitServer(config_.server);
  if (config_.tlsServerName.empty()) {
    baseUrl_ = fmt::format("{}://{}:{}{}", url.scheme, url.host, url.port, url.path);
  } else {
    // libcurl has no separate SNI option: address the request to the TLS name, so SNI and
    // certificate checks use it, and connect to the real server underneath.
    baseUrl_ = fmt::format("{}://{}:{}{}", url.scheme, config_.tlsServerName, url.port, url.path);
    std::string entry =
        fmt::format("{}:{}:{}:{}", config_.tlsServerName, url.port, url.host, url.port);
    connectTo_.reset(curl_slist_append(nullptr, entry.c_str()));
  }
}

EasyPtr Transport::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      EasyPtr handle = std::move(idle_.back());
      idle_.pop_back();
      // reset keeps the connection cache and TLS sessions, which is the point of pooling.
      curl_easy_reset(handle.get());
      return handle;
    }
  }
  return EasyPtr(curl_easy_init());
}

void Transport::release(EasyPtr handle) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdleHandles) {
    idle_.push_back(std::move(handle));
  }
}

void Transport::setup(CURL* handle, const HttpRequest& request, SlistPtr& headers) {
  std::string url = baseUrl_ + request.path;
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, userAgent_.c_str());
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "GET") {
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  } else if (!request.body.empty() || request.method != "DELETE") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_easy_setopt(handle, CURLOPT_COPYPOSTFIELDS, request.body.c_str());
  }
  if (connectTo_) {
    curl_easy_setopt(handle, CURLOPT_CONNECT_TO, connectTo_.get());
  }

  if (!config_.certificateAuthorityData.empty()) {
    setBlob(handle, CURLOPT_CAINFO_BLOB, config_.certificateAuthorityData);
  }
  if (config_.insecureSkipTlsVerify) {
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  Credentials credentials = credentials_->current();
  if (!credentials.clientCertPem.empty()) {
    curl_easy_setopt(handle, CURLOPT_SSLCERTTYPE, "PEM");
    setBlob(handle, CURLOPT_SSLCERT_BLOB, credentials.clientCertPem);
    curl_easy_setopt(handle, CURLOPT_SSLKEYTYPE, "PEM");
    setBlob(handle, CURLOPT_SSLKEY_BLOB, credentials.clientKeyPem);
  }
  curl_slist* list = nullptr;
  list = curl_slist_append(list, ("Accept: " + request.accept).c_str());
  if (!request.contentType.empty()) {
    list = curl_slist_append(list, ("Content-Type: " + request.contentType).c_str());
  }
  if (!credentials.bearerToken.empty()) {
    list = curl_slist_append(list, ("Authorization: Bearer " + credentials.bearerToken).c_str());
  }
  if (!config_.user.impersonateUser.empty()) {
    list = curl_slist_append(list, ("Impersonate-User: " + config_.user.impersonateUser).c_str());
    for (const auto& group : config_.user.impersonateGroups) {
      list = curl_slist_append(list, ("Impersonate-Group: " + group).c_str());
    }
  }
  // curl would otherwise send "Expect: 100-continue" for large bodies and wait for it.
  list = curl_slist_append(list, "Expect:");
  headers.reset(list);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list);
}

EasyPtr Transport::prepare(const HttpRequest& request, SlistPtr& headers) {
  EasyPtr handle(curl_easy_init());
  setup(handle.get(), request, headers);
  return handle;
}

HttpResponse Transport::perform(const HttpRequest& request) {
  EasyPtr handle = acquire();
  SlistPtr headers;
  setup(handle.get(), request, headers);
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(handle.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, appendBody);
  curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(handle.get(), CURLOPT_HEADERFUNCTION, captureRetryAfter);
  curl_easy_setopt(handle.get(), CURLOPT_HEADERDATA, &response.retryAfter);

  CURLcode code = curl_easy_perform(handle.get());
  if (code != CURLE_OK) {
    // The handle may hold a broken connection; dropping it is cheaper than reasoning about it.
    throw TransportError(fmt::format("kube: {} {}: {}", request.method, config_.server,
                                     error[0] != '\0' ? error : curl_easy_strerror(code)),
                         maySend(code));
  }
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_setopt(handle.get(), CURLOPT_ERRORBUFFER, nullptr);
  release(std::move(handle));
  return response;
}

}  // namespace wax::kube
