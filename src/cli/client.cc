#include "cli/client.h"

#include <curl/curl.h>

#include <memory>

#include <fmt/format.h>

#include "common/error.h"

namespace wax::cli {

namespace {

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Transfer {
  std::string body;
  const std::function<bool(std::string_view)>* sink = nullptr;
  long status = 0;
  CURL* handle = nullptr;
};

size_t onData(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t length = size * count;
  if (transfer->status == 0) {
    curl_easy_getinfo(transfer->handle, CURLINFO_RESPONSE_CODE, &transfer->status);
  }
  // Only a successful answer is streamed; an error body is kept to report its message.
  if (transfer->sink != nullptr && transfer->status < 300) {
    return (*transfer->sink)(std::string_view(data, length)) ? length : 0;
  }
  transfer->body.append(data, length);
  return length;
}

ErrorCode codeForStatus(long status) {
  switch (status) {
    case 400:
      return ErrorCode::BadRequest;
    case 401:
      return ErrorCode::Unauthorized;
    case 403:
      return ErrorCode::Forbidden;
    case 404:
      return ErrorCode::NotFound;
    case 409:
      return ErrorCode::Conflict;
    case 410:
      return ErrorCode::Gone;
    case 422:
      return ErrorCode::Invalid;
    case 503:
      return ErrorCode::Unavailable;
    default:
      return ErrorCode::Internal;
  }
}

[[noreturn]] void throwForStatus(long status, const std::string& body) {
  std::string message = body;
  std::string reason;
  try {
    const auto parsed = nlohmann::json::parse(body);
    if (parsed.is_object()) {
      message = parsed.value("message", body);
      reason = parsed.value("reason", "");
    }
  } catch (const nlohmann::json::exception&) {
  }
  if (message.empty()) {
    message = fmt::format("the server answered {}", status);
  }
  throw Error(reason == "AlreadyExists" ? ErrorCode::AlreadyExists : codeForStatus(status),
              message);
}

nlohmann::json parseJson(const std::string& text) {
  if (text.empty()) {
    return nullptr;
  }
  return nlohmann::json::parse(text);
}

}  // namespace

Client::Client(Connection connection) : connection_(std::move(connection)) {
  static const bool initialized = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == 0; }();
  (void)initialized;
}

std::string urlEncode(std::string_view text) {
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  return encoded;
}

std::string Client::request(const std::string& method, const std::string& path,
                            const std::optional<std::string>& body,
                            const std::function<bool(std::string_view)>* sink) {
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  Transfer transfer;
  transfer.sink = sink;
  transfer.handle = handle.get();
  const std::string url = connection_.url + path;
  std::unique_ptr<curl_slist, HeaderListDeleter> headers;
  auto addHeader = [&headers](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  addHeader("Accept: application/json");
  if (!connection_.token.empty()) {
    addHeader("Authorization: Bearer " + connection_.token);
  }
  CURL* curl = handle.get();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  if (body) {
    addHeader("Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  const CURLcode result = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.status);
  if (result == CURLE_WRITE_ERROR && sink != nullptr && transfer.status < 300) {
    return {};  // the sink asked to stop
  }
  if (result != CURLE_OK) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("cannot reach the Wax API at {}: {}; is waxd running? "
                            "(`waxctl local status`)",
                            connection_.url, curl_easy_strerror(result)));
  }
  if (transfer.status >= 300) {
    throwForStatus(transfer.status, transfer.body);
  }
  return transfer.body;
}

nlohmann::json Client::get(const std::string& path) {
  return parseJson(request("GET", path, std::nullopt, nullptr));
}

nlohmann::json Client::post(const std::string& path, const nlohmann::json& body) {
  return parseJson(request("POST", path, body.dump(), nullptr));
}

nlohmann::json Client::put(const std::string& path, const nlohmann::json& body) {
  return parseJson(request("PUT", path, body.dump(), nullptr));
}

nlohmann::json Client::remove(const std::string& path) {
  return parseJson(request("DELETE", path, std::nullopt, nullptr));
}

std::string Client::getText(const std::string& path) {
  return request("GET", path, std::nullopt, nullptr);
}

void Client::stream(const std::string& path, const std::function<bool(std::string_view)>& sink) {
  request("GET", path, std::nullopt, &sink);
}

long Client::probe(const std::string& path) {
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  Transfer transfer;
  transfer.handle = handle.get();
  const std::string url = connection_.url + path;
  curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, onData);
  curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT, 2L);
  if (curl_easy_perform(handle.get()) != CURLE_OK) {
    return 0;
  }
  long status = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace wax::cli
