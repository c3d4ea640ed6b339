#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

// Verifying the JSON Web Tokens of an OpenID Connect provider (RFC 7515, 7517, 7519): the
// compact JWS is taken apart here, and every signature is checked by OpenSSL with the
// algorithm bound to the provider's key, never the one the token names on its own: a token
// cannot choose `none`, an HMAC keyed with the public key, or another key type.
//
// Only RS256, PS256 and ES256 are accepted (what OpenID providers sign with). Debian's JWT
// libraries (libjwt 1.10, cpp-jwt 1.4) lack PS256, so the JOSE layer is ours and the
// cryptography is OpenSSL's.
namespace wax::auth {

using Clock = std::chrono::system_clock;

// One public key of a JWKS, and the one algorithm it verifies.
struct PublicKey {
  std::string kid;
  std::string algorithm;          // "RS256", "PS256" or "ES256"
  std::shared_ptr<void> evpPkey;  // EVP_PKEY*, freed with it
};

// The keys of a provider's jwks_uri document. Keys of other types or uses (encryption keys,
// symmetric keys, curves other than P-256) are skipped, not refused: a provider may publish
// keys that are not for us.
class KeySet {
 public:
  // Throws wax::Error (BadRequest) when `jwks` is not a JWK Set.
  static KeySet fromJwks(const nlohmann::json& jwks);

  // The key named `kid`; when the token names none, the only key for `algorithm` if there is
  // exactly one. Null otherwise.
  const PublicKey* find(const std::string& kid, const std::string& algorithm) const;
  size_t size() const { return keys_.size(); }

 private:
  std::vector<PublicKey> keys_;
};

struct VerifyOptions {
  std::string issuer;                  // `iss` must equal it
  std::vector<std::string> audiences;  // `aud` (or `azp`) must name one of them
  std::chrono::seconds leeway{60};     // clock skew allowed for exp, nbf and iat
  size_t maxTokenBytes = 16 * 1024;    // longer tokens are refused before any parsing
  Clock::time_point now = Clock::now();
};

// Why a token was refused. The message says what is wrong with it in words a client can act
// on, and never contains the token or its signature.
class TokenError : public Error {
 public:
  enum class Reason {
    Malformed,
    Algorithm,
    UnknownKey,
    Signature,
    Expired,
    NotYetValid,
    Issuer,
    Audience
  };
  TokenError(Reason reason, const std::string& message)
      : Error(ErrorCode::Unauthorized, message), reason_(reason) {}
  Reason reason() const { return reason_; }

 private:
  Reason reason_;
};

struct VerifiedToken {
  nlohmann::json header;
  nlohmann::json claims;
};

// Throws TokenError. When the token names a key that `keys` lacks, the Reason is UnknownKey,
// so that a caller may fetch the provider's keys again (they rotate) and retry.
VerifiedToken verifyToken(std::string_view token, const KeySet& keys, const VerifyOptions& options);

// Base64url without padding (RFC 7515 section 2), strict: nullopt for any other character.
std::optional<std::string> decodeBase64Url(std::string_view text);

}  // namespace wax::auth
