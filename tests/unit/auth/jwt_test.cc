// Tokens signed here with keys made here (OpenSSL), verified as a provider's would be, and the
// attacks on a verifier: each must be refused with the reason that names it.
#include "auth/jwt.h"
#include "test_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <map>

#include <gtest/gtest.h>

namespace wax::auth {
namespace {

using nlohmann::json;
using Reason = TokenError::Reason;

const std::string kIssuer = "https://idp.example";
const std::string kAudience = "wax-api";

int64_t secondsFromNow(int64_t offset) {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count() +
         offset;
}

json validClaims() {
  return {{"iss", kIssuer},           {"aud", kAudience},
          {"sub", "alice"},           {"exp", secondsFromNow(300)},
          {"iat", secondsFromNow(0)}, {"groups", {"wax-users"}}};
}

VerifyOptions options() {
  VerifyOptions options;
  options.issuer = kIssuer;
  options.audiences = {kAudience};
  return options;
}

// RSA key generation is slow (more so under the sanitizers): the keys are made once.
const SigningKey& sharedKey(const std::string& algorithm) {
  static const std::map<std::string, SigningKey> keys = {
      {"RS256", SigningKey::make("RS256", "rsa-1")},
      {"PS256", SigningKey::make("PS256", "pss-1")},
      {"ES256", SigningKey::make("ES256", "ec-1")},
      {"second", SigningKey::make("RS256", "rsa-1")}};  // another provider's, same kid
  return keys.at(algorithm);
}

class JwtTest : public ::testing::Test {
 protected:
  const SigningKey& rsa = sharedKey("RS256");
  const SigningKey& pss = sharedKey("PS256");
  const SigningKey& ec = sharedKey("ES256");
  KeySet keys = KeySet::fromJwks({{"keys", {rsa.jwk(), pss.jwk(), ec.jwk()}}});

  Reason refusal(const std::string& token, const VerifyOptions& with = options()) {
    try {
      verifyToken(token, keys, with);
    } catch (const TokenError& error) {
      if (token.size() >= 20) {
        EXPECT_EQ(std::string(error.what()).find(token.substr(0, 20)), std::string::npos)
            << "the message must not echo the token";
      }
      return error.reason();
    }
    ADD_FAILURE() << "the token was accepted";
    return Reason::Malformed;
  }
};

TEST_F(JwtTest, EachAlgorithmVerifiesWithItsKey) {
  for (const auto* key : {&rsa, &pss, &ec}) {
    const auto verified = verifyToken(key->token(validClaims()), keys, options());
    EXPECT_EQ(verified.claims["sub"], "alice") << key->algorithm;
    EXPECT_EQ(verified.header["alg"], key->algorithm);
  }
}

TEST_F(JwtTest, AlgNoneIsRefused) {
  json header = {{"alg", "none"}, {"typ", "JWT"}};
  const std::string token =
      encodeBase64Url(header.dump()) + "." + encodeBase64Url(validClaims().dump()) + ".";
  EXPECT_EQ(refusal(token), Reason::Algorithm);
}

TEST_F(JwtTest, Hs256KeyedWithThePublicKeyIsRefused) {
  // The classic confusion: an HMAC whose secret is the published key.
  const std::string secret = rsa.jwk().dump();
  json header = {{"alg", "HS256"}, {"kid", rsa.kid}};
  const std::string input =
      encodeBase64Url(header.dump()) + "." + encodeBase64Url(validClaims().dump());
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  const std::string token =
      input + "." + encodeBase64Url(std::string(reinterpret_cast<char*>(mac), length));
  EXPECT_EQ(refusal(token), Reason::Algorithm);
}

TEST_F(JwtTest, AnotherAlgorithmForAKeyIsRefused) {
  // Signed with the RS256 key but with PSS, and labelled PS256: the key is bound to RS256.
  SigningKey relabelled = rsa;
  relabelled.algorithm = "PS256";
  EXPECT_EQ(refusal(relabelled.token(validClaims())), Reason::Algorithm);
}

TEST_F(JwtTest, ExpiredAndNotYetValidAreRefusedBeyondTheLeeway) {
  auto claims = validClaims();
  claims["exp"] = secondsFromNow(-120);
  EXPECT_EQ(refusal(rsa.token(claims)), Reason::Expired);
  claims["exp"] = secondsFromNow(-30);  // within the 60 s of skew allowed
  EXPECT_NO_THROW(verifyToken(rsa.token(claims), keys, options()));

  claims = validClaims();
  claims["nbf"] = secondsFromNow(600);
  EXPECT_EQ(refusal(rsa.token(claims)), Reason::NotYetValid);
  claims = validClaims();
  claims["iat"] = secondsFromNow(600);
  EXPECT_EQ(refusal(rsa.token(claims)), Reason::NotYetValid);
  claims = validClaims();
  claims.erase("exp");
  EXPECT_EQ(refusal(rsa.token(claims)), Reason::Malformed) << "a token that never expires";
}

TEST_F(JwtTest, WrongIssuerOrAudienceIsRefused) {
  auto claims = validClaims();
  claims["iss"] = "https://evil.example";
  EXPECT_EQ(refusal(rsa.token(claims)), Reason::Issuer);
  claims = validClaims();
  claims["aud"] = "someone-else";
  EXPECT_EQ(refusal(rsa.token(claims)), Reason::Audience);
  claims["aud"] = json::array({"someone-else", kAudience});
  EXPECT_NO_THROW(verifyToken(rsa.token(claims), keys, options()));
  claims["aud"] = "someone-else";
  claims["azp"] = kAudience;
  EXPECT_NO_THROW(verifyToken(rsa.token(claims), keys, options())) << "azp names the client";
}

TEST_F(JwtTest, UnknownKeyIsToldApartSoKeysCanBeRefetched) {
  SigningKey rotated = sharedKey("second");
  rotated.kid = "rsa-2";
  EXPECT_EQ(refusal(rotated.token(validClaims())), Reason::UnknownKey);
}

TEST_F(JwtTest, ATokenFromASecondProviderWithTheSameKidIsRefused) {
  EXPECT_EQ(refusal(sharedKey("second").token(validClaims())), Reason::Signature);
}

TEST_F(JwtTest, TamperedPayloadIsRefused) {
  const std::string token = rsa.token(validClaims());
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  auto claims = validClaims();
  claims["sub"] = "admin";
  const std::string forged =
      token.substr(0, first + 1) + encodeBase64Url(claims.dump()) + token.substr(second);
  EXPECT_EQ(refusal(forged), Reason::Signature);
}

TEST_F(JwtTest, TruncatedOversizedAndGarbageTokensAreRefused) {
  const std::string token = ec.token(validClaims());
  EXPECT_EQ(refusal(token.substr(0, token.size() - 10)), Reason::Signature);
  EXPECT_EQ(refusal(token.substr(0, token.rfind('.'))), Reason::Malformed);
  EXPECT_EQ(refusal(""), Reason::Malformed);
  EXPECT_EQ(refusal("a.b.c.d"), Reason::Malformed);
  EXPECT_EQ(refusal("!!!.e30.sig"), Reason::Malformed);
  EXPECT_EQ(refusal(std::string(20000, 'a')), Reason::Malformed);
  auto claims = validClaims();
  claims["padding"] = std::string(20000, 'x');
  EXPECT_EQ(refusal(rsa.token(claims)), Reason::Malformed) << "oversized but well signed";
}

TEST_F(JwtTest, CriticalHeadersAreRefused) {
  EXPECT_EQ(refusal(rsa.token(validClaims(), {{"crit", {"exp"}}, {"exp", 1}})), Reason::Malformed);
}

TEST_F(JwtTest, KeysNotForSigningOrOfOtherKindsAreSkipped) {
  json encryption = rsa.jwk();
  encryption["use"] = "enc";
  encryption["kid"] = "enc-1";
  const json symmetric = {{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  const json otherCurve = {
      {"kty", "EC"}, {"crv", "P-384"}, {"kid", "p384"}, {"x", "AA"}, {"y", "AA"}};
  const auto set = KeySet::fromJwks({{"keys", {encryption, symmetric, otherCurve, ec.jwk()}}});
  EXPECT_EQ(set.size(), 1u);
  EXPECT_THROW(KeySet::fromJwks({{"nokeys", json::array()}}), Error);
}

TEST_F(JwtTest, AKeyWithoutAlgIsBoundByItsType) {
  const auto set = KeySet::fromJwks({{"keys", {rsa.jwk(false)}}});
  EXPECT_NO_THROW(verifyToken(rsa.token(validClaims()), set, options()));
  SigningKey relabelled = rsa;
  relabelled.algorithm = "PS256";
  EXPECT_THROW(verifyToken(relabelled.token(validClaims()), set, options()), TokenError);
}

TEST_F(JwtTest, ShortRsaKeysAreRefused) {
  EVP_PKEY* weak = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  SigningKey small{std::shared_ptr<EVP_PKEY>(weak, EVP_PKEY_free), "RS256", "weak"};
  EXPECT_THROW(KeySet::fromJwks({{"keys", {small.jwk()}}}), Error);
}

TEST(Base64UrlTest, IsStrict) {
  EXPECT_EQ(decodeBase64Url("aGk"), "hi");
  EXPECT_EQ(decodeBase64Url(""), "");
  EXPECT_FALSE(decodeBase64Url("aGk="));  // padding is not base64url in JWS
  EXPECT_FALSE(decodeBase64Url("a+b/"));
  EXPECT_FALSE(decodeBase64Url("a"));
  EXPECT_FALSE(decodeBase64Url("aGl"));  // nonzero leftover bits
}

}  // namespace
}  // namespace wax::auth
