#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/jwt.h"

// An OpenID Connect provider as a resource server sees it: its discovery document
// (/.well-known/openid-configuration), and its signing keys, cached and fetched again when a
// token names a key the cache lacks (keys rotate), at most once per refreshInterval, so that
// tokens with made-up kids cannot make the server hammer the provider.
namespace wax::auth {

struct ProviderOptions {
  std::string issuer;                  // e.g. https://idp.example/realms/wax; no trailing '/'
  std::vector<std::string> audiences;  // `clientId` of the Bytewax Platform, or the API's
  std::string caFile;                  // PEM bundle for the provider's TLS; "": the system's
  std::chrono::seconds refreshInterval{30};
  std::chrono::seconds maxKeyAge{3600};  // keys are fetched again after this in any case
  std::chrono::seconds leeway{60};
  std::chrono::milliseconds timeout{10000};
};

// GET of a JSON document; throws wax::Error (Unavailable) when the provider cannot be reached
// or answers other than 200 with JSON.
using FetchJson = std::function<nlohmann::json(const std::string& url)>;

// libcurl, with TLS checked against `caFile` (or the system's CAs).
FetchJson httpFetcher(const std::string& caFile, std::chrono::milliseconds timeout);

class Provider {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  // Reads the discovery document at once and checks that its issuer is `options.issuer`
  // (OpenID Connect Discovery 1.0, section 4.3). Throws wax::Error.
  Provider(ProviderOptions options, FetchJson fetch, Now now = std::chrono::steady_clock::now);

  // The token's claims, once verified; throws TokenError (401) or wax::Error (Unavailable)
  // when the keys cannot be fetched.
  VerifiedToken verify(std::string_view token);

 private:
  std::shared_ptr<const KeySet> keys(bool refresh);

  ProviderOptions options_;
  FetchJson fetch_;
  Now now_;
  std::string jwksUri_;
  mutable std::mutex mutex_;
  std::shared_ptr<const KeySet> keys_;                 // guarded by mutex_
  std::chrono::steady_clock::time_point fetchedAt_{};  // guarded by mutex_
};

}  // namespace wax::auth
