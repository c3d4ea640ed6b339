// The provider's key cache: rotation is followed, made-up kids cost at most one fetch per
// interval, and a provider that names another issuer is refused. The fetcher stands in for
// the provider's HTTP so that the test controls time; tests/oidc runs the real one.
#include "auth/oidc.h"

#include <gtest/gtest.h>

#include "test_keys.h"

namespace wax::auth {
namespace {

const std::string kIssuer = "https://idp.example";

struct FakeProvider {
  std::vector<SigningKey> published;
  std::string issuer = kIssuer;
  bool down = false;
  int jwksFetches = 0;

  FetchJson fetcher() {
    return [this](const std::string& url) -> json {
      if (down) {
        throw Error(ErrorCode::Unavailable, "the provider is down");
      }
      if (url == kIssuer + "/.well-known/openid-configuration") {
        return {{"issuer", issuer}, {"jwks_uri", kIssuer + "/jwks"}};
      }
      ++jwksFetches;
      json keys = json::array();
      for (const auto& key : published) {
        keys.push_back(key.jwk());
      }
      return {{"keys", keys}};
    };
  }
};

json claims() {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  return {{"iss", kIssuer}, {"aud", "wax"}, {"sub", "alice"}, {"exp", now + 300}};
}

class ProviderTest : public ::testing::Test {
 protected:
  SigningKey first = SigningKey::make("ES256", "k1");
  SigningKey second = SigningKey::make("ES256", "k2");
  FakeProvider fake{{first}};
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();

  Provider make() {
    ProviderOptions options;
    options.issuer = kIssuer + "/";
    options.audiences = {"wax"};
    return Provider(options, fake.fetcher(), [this] { return now; });
  }
};

TEST_F(ProviderTest, KeysAreCachedAndARotationIsFollowed) {
  Provider provider = make();
  EXPECT_EQ(provider.verify(first.token(claims())).claims["sub"], "alice");
  EXPECT_EQ(provider.verify(first.token(claims())).claims["sub"], "alice");
  EXPECT_EQ(fake.jwksFetches, 1) << "the keys are cached";

  fake.published = {second};  // the provider rotates
  now += std::chrono::seconds(31);
  EXPECT_EQ(provider.verify(second.token(claims())).claims["sub"], "alice");
  EXPECT_EQ(fake.jwksFetches, 2);
}

TEST_F(ProviderTest, MadeUpKidsCostOneFetchPerInterval) {
  Provider provider = make();
  provider.verify(first.token(claims()));
  SigningKey stranger = SigningKey::make("ES256", "unknown");
  for (int i = 0; i < 50; ++i) {
    EXPECT_THROW(provider.verify(stranger.token(claims())), TokenError);
  }
  EXPECT_EQ(fake.jwksFetches, 1) << "within the interval of the last fetch, no new fetch";
  now += std::chrono::seconds(31);
  for (int i = 0; i < 50; ++i) {
    EXPECT_THROW(provider.verify(stranger.token(claims())), TokenError);
  }
  EXPECT_EQ(fake.jwksFetches, 2);
}

TEST_F(ProviderTest, AProviderThatIsDownKeepsTheKeysThereAre) {
  Provider provider = make();
  provider.verify(first.token(claims()));
  fake.down = true;
  now += std::chrono::hours(2);  // past maxKeyAge: a fetch is tried, and fails
  EXPECT_EQ(provider.verify(first.token(claims())).claims["sub"], "alice");
}

TEST_F(ProviderTest, ADiscoveryDocumentOfAnotherIssuerIsRefused) {
  fake.issuer = "https://evil.example";
  try {
    make();
    FAIL() << "accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("authIssuer"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace wax::auth
