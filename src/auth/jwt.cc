#include "auth/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>

#include <fmt/format.h>

namespace wax::auth {

namespace {

using Reason = TokenError::Reason;

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using KeyContextPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using DigestContextPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

int base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  return c == '_' ? 63 : -1;
}

std::string stringMember(const nlohmann::json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

// A JWK member holding a big-endian unsigned integer (n, e) or a coordinate (x, y).
std::string keyBytes(const nlohmann::json& jwk, const char* name) {
  auto decoded = decodeBase64Url(stringMember(jwk, name));
  if (!decoded || decoded->empty()) {
    throw Error(ErrorCode::BadRequest, fmt::format("a JWK has no valid \"{}\"", name));
  }
  return *decoded;
}

BignumPtr bignum(const std::string& bytes) {
  return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()), nullptr));
}

std::shared_ptr<void> keyFromParams(const char* type, OSSL_PARAM_BLD* build) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(build));
  KeyContextPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) <= 0 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    throw Error(ErrorCode::BadRequest, fmt::format("a JWK is not a valid {} public key", type));
  }
  return {key, [](void* pointer) { EVP_PKEY_free(static_cast<EVP_PKEY*>(pointer)); }};
}

std::shared_ptr<void> rsaKey(const nlohmann::json& jwk) {
  const auto modulus = bignum(keyBytes(jwk, "n"));
  const auto exponent = bignum(keyBytes(jwk, "e"));
  // Short RSA keys are forgeable; providers use 2048 bits and more.
  if (BN_num_bits(modulus.get()) < 2048) {
    throw Error(ErrorCode::BadRequest, "a JWK is an RSA key shorter than 2048 bits");
  }
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get());
  OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get());
  return keyFromParams("RSA", build.get());
}

std::shared_ptr<void> p256Key(const nlohmann::json& jwk) {
  const std::string x = keyBytes(jwk, "x");
  const std::string y = keyBytes(jwk, "y");
  if (x.size() != 32 || y.size() != 32) {
    throw Error(ErrorCode::BadRequest, "a P-256 JWK has coordinates that are not 32 bytes");
  }
  const std::string point = std::string(1, '\x04') + x + y;  // uncompressed SEC 1 point
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                   point.size());
  return keyFromParams("EC", build.get());
}

// The algorithm a JWK is for: its own `alg`, or the one its type allows.
std::string boundAlgorithm(const nlohmann::json& jwk, const std::string& type) {
  const std::string declared = stringMember(jwk, "alg");
  if (type == "RSA") {
    return declared.empty() ? "RS256" : declared;
  }
  return declared.empty() ? "ES256" : declared;
}

nlohmann::json decodeJsonPart(std::string_view part, const char* what) {
  auto bytes = decodeBase64Url(part);
  if (!bytes) {
    throw TokenError(Reason::Malformed, fmt::format("the token's {} is not base64url", what));
  }
  auto parsed = nlohmann::json::parse(*bytes, nullptr, false);
  if (!parsed.is_object()) {
    throw TokenError(Reason::Malformed, fmt::format("the token's {} is not a JSON object", what));
  }
  return parsed;
}

// JWS carries ECDSA signatures as r || s; OpenSSL wants DER.
std::optional<std::string> ecdsaDer(const std::string& raw) {
  if (raw.size() != 64) {
    return std::nullopt;
  }
  EcdsaSigPtr signature(ECDSA_SIG_new());
  BIGNUM* r = bignum(raw.substr(0, 32)).release();
  BIGNUM* s = bignum(raw.substr(32)).release();
  if (!signature || ECDSA_SIG_set0(signature.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(signature.get(), &der);
  if (length <= 0) {
    return std::nullopt;
  }
  std::string result(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return result;
}

bool signatureValid(const PublicKey& key, std::string_view signingInput,
                    const std::string& signature) {
  std::string encoded = signature;
  if (key.algorithm == "ES256") {
    auto der = ecdsaDer(signature);
    if (!der) {
      return false;
    }
    encoded = *der;
  }
  DigestContextPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* keyContext = nullptr;
  auto* pkey = static_cast<EVP_PKEY*>(key.evpPkey.get());
  if (!context ||
      EVP_DigestVerifyInit(context.get(), &keyContext, EVP_sha256(), nullptr, pkey) != 1) {
    return false;
  }
  if (key.algorithm == "PS256" &&
      (EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return false;
  }
  return EVP_DigestVerify(
             context.get(), reinterpret_cast<const unsigned char*>(encoded.data()), encoded.size(),
             reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size()) == 1;
}

std::optional<Clock::time_point> timeClaim(const nlohmann::json& claims, const char* name) {
  auto found = claims.find(name);
  if (found == claims.end()) {
    return std::nullopt;
  }
  if (!found->is_number()) {
    throw TokenError(Reason::Malformed, fmt::format("the token's \"{}\" is not a time", name));
  }
  return Clock::time_point(std::chrono::seconds(static_cast<int64_t>(found->get<double>())));
}

void checkTimes(const nlohmann::json& claims, const VerifyOptions& options) {
  const auto expires = timeClaim(claims, "exp");
  if (!expires) {
    throw TokenError(Reason::Malformed, "the token has no expiry (\"exp\")");
  }
  if (options.now >= *expires + options.leeway) {
    throw TokenError(Reason::Expired, "the token has expired; sign in again");
  }
  const auto notBefore = timeClaim(claims, "nbf");
  if (notBefore && options.now + options.leeway < *notBefore) {
    throw TokenError(Reason::NotYetValid, "the token is not valid yet (\"nbf\")");
  }
  const auto issued = timeClaim(claims, "iat");
  if (issued && options.now + options.leeway < *issued) {
    throw TokenError(Reason::NotYetValid, "the token was issued in the future (\"iat\")");
  }
}

bool namesAnAudience(const nlohmann::json& claims, const std::vector<std::string>& audiences) {
  auto wanted = [&](const nlohmann::json& value) {
    return value.is_string() && std::find(audiences.begin(), audiences.end(),
                                          value.get<std::string>()) != audiences.end();
  };
  if (auto aud = claims.find("aud"); aud != claims.end()) {
    if (wanted(*aud) || (aud->is_array() && std::any_of(aud->begin(), aud->end(), wanted))) {
      return true;
    }
  }
  auto azp = claims.find("azp");
  return azp != claims.end() && wanted(*azp);
}

}  // namespace

std::optional<std::string> decodeBase64Url(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64UrlValue(c);
    if (value < 0) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // A length of 1 mod 4 cannot come from any byte string; leftover bits must be zero.
  if (text.size() % 4 == 1 || (buffer & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

KeySet KeySet::fromJwks(const nlohmann::json& jwks) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    throw Error(ErrorCode::BadRequest, "the provider's jwks_uri is not a JWK Set (no \"keys\")");
  }
  KeySet set;
  for (const auto& jwk : jwks["keys"]) {
    if (!jwk.is_object()) {
      continue;
    }
    const std::string type = stringMember(jwk, "kty");
    const std::string use = stringMember(jwk, "use");
    if (!use.empty() && use != "sig") {
      continue;
    }
    PublicKey key;
    key.kid = stringMember(jwk, "kid");
    if (type == "RSA") {
      key.algorithm = boundAlgorithm(jwk, type);
      if (key.algorithm != "RS256" && key.algorithm != "PS256") {
        continue;
      }
      key.evpPkey = rsaKey(jwk);
    } else if (type == "EC" && stringMember(jwk, "crv") == "P-256") {
      key.algorithm = boundAlgorithm(jwk, type);
      if (key.algorithm != "ES256") {
        continue;
      }
      key.evpPkey = p256Key(jwk);
    } else {
      continue;  // symmetric keys, other curves, OKP: never ours to verify with
    }
    set.keys_.push_back(std::move(key));
  }
  return set;
}

const PublicKey* KeySet::find(const std::string& kid, const std::string& algorithm) const {
  const PublicKey* only = nullptr;
  for (const auto& key : keys_) {
    if (!kid.empty() && key.kid == kid) {
      return &key;
    }
    if (kid.empty() && key.algorithm == algorithm) {
      if (only != nullptr) {
        return nullptr;  // ambiguous without a kid
      }
      only = &key;
    }
  }
  return only;
}

VerifiedToken verifyToken(std::string_view token, const KeySet& keys,
                          const VerifyOptions& options) {
  if (token.size() > options.maxTokenBytes) {
    throw TokenError(Reason::Malformed,
                     fmt::format("the token is longer than {} bytes", options.maxTokenBytes));
  }
  const size_t firstDot = token.find('.');
  const size_t secondDot =
      firstDot == std::string_view::npos ? firstDot : token.find('.', firstDot + 1);
  if (secondDot == std::string_view::npos || token.find('.', secondDot + 1) != token.npos) {
    throw TokenError(Reason::Malformed, "the token is not a signed JWT (three parts)");
  }
  if (options.issuer.empty() || options.audiences.empty()) {
    throw Error(ErrorCode::Internal, "a token verifier needs an issuer and an audience");
  }
  VerifiedToken verified;
  verified.header = decodeJsonPart(token.substr(0, firstDot), "header");
  // Extensions that a verifier must understand (RFC 7515 4.1.11): none are.
  if (verified.header.contains("crit")) {
    throw TokenError(Reason::Malformed, "the token has critical header parameters (\"crit\")");
  }
  const std::string algorithm = stringMember(verified.header, "alg");
  if (algorithm != "RS256" && algorithm != "PS256" && algorithm != "ES256") {
    throw TokenError(Reason::Algorithm,
                     "the token's algorithm is not one this server accepts (RS256, PS256, "
                     "ES256)");
  }
  const std::string kid = stringMember(verified.header, "kid");
  const PublicKey* key = keys.find(kid, algorithm);
  if (key == nullptr) {
    throw TokenError(Reason::UnknownKey,
                     "the token is signed with a key the provider does not "
                     "publish");
  }
  if (key->algorithm != algorithm) {
    throw TokenError(Reason::Algorithm, "the token's algorithm is not its key's");
  }
  const auto signature = decodeBase64Url(token.substr(secondDot + 1));
  if (!signature || !signatureValid(*key, token.substr(0, secondDot), *signature)) {
    throw TokenError(Reason::Signature, "the token's signature is not valid");
  }
  // Only a signed payload is read.
  verified.claims = decodeJsonPart(token.substr(firstDot + 1, secondDot - firstDot - 1), "payload");
  if (stringMember(verified.claims, "iss") != options.issuer) {
    throw TokenError(Reason::Issuer, "the token is from another issuer");
  }
  if (!namesAnAudience(verified.claims, options.audiences)) {
    throw TokenError(Reason::Audience, "the token is not for this server (\"aud\")");
  }
  checkTimes(verified.claims, options);
  return verified;
}

}  // namespace wax::auth
