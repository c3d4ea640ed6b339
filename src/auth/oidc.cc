#include "auth/oidc.h"

#include <curl/curl.h>

#include <fmt/format.h>

namespace wax::auth {

namespace {

constexpr size_t kMaxDocumentBytes = 1024 * 1024;

size_t appendCapped(char* data, size_t size, size_t count, void* target) {
  auto* body = static_cast<std::string*>(target);
  if (body->size() + size * count > kMaxDocumentBytes) {
    return 0;  // makes curl fail the transfer: no provider document is this large
  }
  body->append(data, size * count);
  return size * count;
}

std::string withoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

}  // namespace

FetchJson httpFetcher(const std::string& caFile, std::chrono::milliseconds timeout) {
  return [caFile, timeout](const std::string& url) {
    std::unique_ptr<CURL, void (*)(CURL*)> handle(curl_easy_init(), curl_easy_cleanup);
    std::string body;
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle.get(), CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, appendCapped);
    curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &body);
    if (!caFile.empty()) {
      curl_easy_setopt(handle.get(), CURLOPT_CAINFO, caFile.c_str());
    }
    const CURLcode code = curl_easy_perform(handle.get());
    long status = 0;
    curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status != 200) {
      throw Error(
          ErrorCode::Unavailable,
          fmt::format("the OpenID provider did not answer GET {}: {}", url,
                      code != CURLE_OK ? (error[0] != '\0' ? error : curl_easy_strerror(code))
                                       : fmt::format("HTTP {}", status)));
    }
    auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      throw Error(ErrorCode::Unavailable,
                  fmt::format("the OpenID provider's {} is not a JSON object", url));
    }
    return parsed;
  };
}

Provider::Provider(ProviderOptions options, FetchJson fetch, Now now)
    : options_(std::move(options)), fetch_(std::move(fetch)), now_(std::move(now)) {
  options_.issuer = withoutTrailingSlash(options_.issuer);
  if (options_.issuer.empty() || options_.audiences.empty()) {
    throw Error(ErrorCode::BadRequest,
                "OpenID Connect needs an issuer (authIssuer) and a client id (clientId)");
  }
  const auto discovery = fetch_(options_.issuer + "/.well-known/openid-configuration");
  // A document that names another issuer could be an attacker's; the tokens it would
  // accept are not this issuer's.
  if (withoutTrailingSlash(discovery.value("issuer", "")) != options_.issuer) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("the OpenID provider at {} says its issuer is \"{}\"; set authIssuer "
                            "to exactly the issuer it names",
                            options_.issuer, discovery.value("issuer", "")));
  }
  jwksUri_ = discovery.value("jwks_uri", "");
  if (jwksUri_.empty()) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("the OpenID provider at {} publishes no jwks_uri", options_.issuer));
  }
}

// The cached keys, fetched again when they are old, or when `refresh` asks and the last fetch
// is at least refreshInterval ago. A failed fetch keeps the keys there are.
std::shared_ptr<const KeySet> Provider::keys(bool refresh) {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  const auto age = now - fetchedAt_;
  const bool stale = !keys_ || age >= options_.maxKeyAge;
  if (!stale && !(refresh && age >= options_.refreshInterval)) {
    return keys_;
  }
  try {
    fetchedAt_ = now;
    keys_ = std::make_shared<const KeySet>(KeySet::fromJwks(fetch_(jwksUri_)));
  } catch (const Error&) {
    if (!keys_) {
      throw;
    }
  }
  return keys_;
}

VerifiedToken Provider::verify(std::string_view token) {
  VerifyOptions verifyOptions;
  verifyOptions.issuer = options_.issuer;
  verifyOptions.audiences = options_.audiences;
  verifyOptions.leeway = options_.leeway;
  try {
    return verifyToken(token, *keys(false), verifyOptions);
  } catch (const TokenError& error) {
    if (error.reason() != TokenError::Reason::UnknownKey) {
      throw;
    }
  }
  return verifyToken(token, *keys(true), verifyOptions);
}

}  // namespace wax::auth
