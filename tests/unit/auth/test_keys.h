#pragma once

// Keys of a test "provider", made by OpenSSL, and tokens signed with them.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace wax::auth {

using nlohmann::json;

inline std::string encodeBase64Url(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 0x3F]);
    }
  }
  if (bits > 0) {
    out.push_back(alphabet[(buffer << (6 - bits)) & 0x3F]);
  }
  return out;
}

inline std::string bignumBytes(EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* number = nullptr;
  EVP_PKEY_get_bn_param(key, name, &number);
  std::string bytes(width > 0 ? width : BN_num_bytes(number), '\0');
  BN_bn2binpad(number, reinterpret_cast<unsigned char*>(bytes.data()),
               static_cast<int>(bytes.size()));
  BN_free(number);
  return bytes;
}

// A signing key of the test "provider", and its public JWK.
struct SigningKey {
  std::shared_ptr<EVP_PKEY> key;
  std::string algorithm;
  std::string kid;

  static SigningKey make(const std::string& algorithm, const std::string& kid) {
    EVP_PKEY* made = algorithm == "ES256"
                         ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    return {std::shared_ptr<EVP_PKEY>(made, EVP_PKEY_free), algorithm, kid};
  }

  json jwk(bool withAlgorithm = true) const {
    json jwk = {{"kid", kid}, {"use", "sig"}};
    if (withAlgorithm) {
      jwk["alg"] = algorithm;
    }
    if (algorithm == "ES256") {
      jwk["kty"] = "EC";
      jwk["crv"] = "P-256";
      jwk["x"] = encodeBase64Url(bignumBytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
      jwk["y"] = encodeBase64Url(bignumBytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    } else {
      jwk["kty"] = "RSA";
      jwk["n"] = encodeBase64Url(bignumBytes(key.get(), OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = encodeBase64Url(bignumBytes(key.get(), OSSL_PKEY_PARAM_RSA_E));
    }
    return jwk;
  }

  std::string sign(const std::string& input) const {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    EVP_PKEY_CTX* keyContext = nullptr;
    EVP_DigestSignInit(context, &keyContext, EVP_sha256(), nullptr, key.get());
    if (algorithm == "PS256") {
      EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, RSA_PSS_SALTLEN_DIGEST);
    }
    size_t length = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    EVP_DigestSign(context, nullptr, &length, data, input.size());
    std::string signature(length, '\0');
    EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                   input.size());
    signature.resize(length);
    EVP_MD_CTX_free(context);
    if (algorithm != "ES256") {
      return signature;
    }
    // DER to the r || s of JWS.
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(parsed), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(parsed), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(parsed);
    return raw;
  }

  std::string token(const json& claims, json header = json::object()) const {
    header.emplace("alg", algorithm);
    header.emplace("kid", kid);
    header.emplace("typ", "JWT");
    const std::string input = encodeBase64Url(header.dump()) + "." + encodeBase64Url(claims.dump());
    return input + "." + encodeBase64Url(sign(input));
  }
};

}  // namespace wax::auth
