#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

// The OAuth 2.0 and OpenID Connect moves of a client: the authorization code flow with PKCE S256,
// the device authorization flow (RFC 8628), refresh and revocation. `waxctl login` is a public
// native client (RFC 8252) with a loopback redirect; the dashboard's server is a confidential
// client, or a public one when the provider is set up so. Tokens come straight from the
// provider's token endpoint; whoever accepts them checks their signatures.
namespace wax::auth::oidc {

struct HttpOptions {
  std::string caFile;  // a CA bundle for the provider's TLS; empty: the system's
  int timeoutSeconds = 15;
};

// Who asks the provider: a public client sends its id alone, a confidential one also proves
// its secret (client_secret_basic, RFC 6749 section 2.3.1).
struct Client {
  std::string id;
  std::string secret;  // empty: a public client
};

// The provider's endpoints, from its discovery document.
struct Endpoints {
  std::string issuer;
  std::string authorization;
  std::string token;
  std::string deviceAuthorization;  // empty when the provider offers no device flow
  std::string revocation;           // empty when it offers no revocation
  std::string endSession;           // RP-initiated logout; empty when it offers none
};

struct Tokens {
  std::string accessToken;
  std::string refreshToken;
  std::string idToken;
  int64_t expiresAt = 0;  // Unix seconds; 0 when the provider did not say
};

// Reads `issuer`/.well-known/openid-configuration; the document must name the same issuer.
Endpoints discover(const std::string& issuer, const HttpOptions& http);

struct Pkce {
  std::string verifier;
  std::string challenge;  // BASE64URL(SHA-256(verifier)), method S256
};
Pkce makePkce();
// BASE64URL(SHA-256(verifier)), the S256 challenge of RFC 7636 section 4.2.
std::string pkceChallenge(const std::string& verifier);
// 32 random bytes, base64url: for state and nonce.
std::string randomToken();

struct AuthorizationRequest {
  std::string clientId;
  std::string redirectUri;
  std::string scopes;
  std::string state;
  std::string nonce;
  std::string codeChallenge;
};
std::string authorizationUrl(const Endpoints& endpoints, const AuthorizationRequest& request);

// Waits on 127.0.0.1 for the browser's redirect back from the provider.
class LoopbackReceiver {
 public:
  LoopbackReceiver();
  ~LoopbackReceiver();
  std::string redirectUri() const;
  // The state of the sign-in to wait for; redirects carrying any other are ignored.
  void expect(const std::string& state);
  // The code of the redirect carrying `state`, which expect() must have named before the
  // browser was sent (and the issuer, when the provider names it);
  // throws for an error redirect, a wrong state or issuer, or when `timeout` passes.
  std::string waitForCode(const std::string& state, const std::string& issuer,
                          std::chrono::seconds timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

Tokens exchangeCode(const Endpoints& endpoints, const Client& client, const std::string& code,
                    const Pkce& pkce, const std::string& redirectUri, const HttpOptions& http);
Tokens refresh(const Endpoints& endpoints, const Client& client, const std::string& refreshToken,
               const HttpOptions& http);

struct DeviceGrant {
  std::string deviceCode;
  std::string userCode;
  std::string verificationUri;
  std::string verificationUriComplete;
  int intervalSeconds = 5;
  int expiresInSeconds = 600;
};
DeviceGrant startDeviceFlow(const Endpoints& endpoints, const std::string& clientId,
                            const std::string& scopes, const HttpOptions& http);
// Polls the token endpoint at the grant's interval (slower when told) until the user approves,
// refuses or the grant expires.
Tokens pollDeviceFlow(const Endpoints& endpoints, const std::string& clientId,
                      const DeviceGrant& grant, const HttpOptions& http,
                      std::chrono::seconds timeout);

// Asks the provider to forget a refresh token; best effort (false when it could not).
bool revoke(const Endpoints& endpoints, const Client& client, const std::string& token,
            const HttpOptions& http);

// The claims of a JWT without checking its signature (see the note at the top); nullopt when
// it is not a JWT.
std::optional<nlohmann::json> unverifiedClaims(const std::string& token);

}  // namespace wax::auth::oidc
