#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "auth/oidc_client.h"
#include "cli/credentials.h"
#include "common/error.h"

namespace wax::cli {

namespace oidc = auth::oidc;
namespace {

TEST(PkceTest, ChallengeIsTheS256OfTheVerifier) {
  // RFC 7636 appendix B.
  EXPECT_EQ(oidc::pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, VerifiersAreLongEnoughAndDifferEachTime) {
  const auto first = oidc::makePkce();
  const auto second = oidc::makePkce();
  EXPECT_EQ(first.verifier.size(), 43u);  // 32 bytes, RFC 7636 asks for 43 to 128 characters
  EXPECT_NE(first.verifier, second.verifier);
  EXPECT_EQ(first.challenge, oidc::pkceChallenge(first.verifier));
  EXPECT_EQ(first.verifier.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(OidcTest, AuthorizationUrlEscapesItsParameters) {
  oidc::Endpoints endpoints;
  endpoints.authorization = "https://idp.example.com/auth?realm=x";
  const auto url = oidc::authorizationUrl(
      endpoints, {"wax ctl", "http://127.0.0.1:5000/callback", "openid groups", "s", "n", "c"});
  EXPECT_EQ(url,
            "https://idp.example.com/auth?realm=x&response_type=code&client_id=wax%20ctl"
            "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&scope=openid%20groups"
            "&state=s&nonce=n&code_challenge=c&code_challenge_method=S256");
}

TEST(OidcTest, UnverifiedClaimsReadsTheJwtPayloadOnly) {
  // {"alg":"none"} . {"nonce":"abc"} . (no signature)
  const auto claims = oidc::unverifiedClaims("eyJhbGciOiJub25lIn0.eyJub25jZSI6ImFiYyJ9.");
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->value("nonce", ""), "abc");
  EXPECT_FALSE(oidc::unverifiedClaims("not-a-jwt"));
  EXPECT_FALSE(oidc::unverifiedClaims("a.!!!.c"));
}

class CredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("wax-credentials-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string path() const { return (directory_ / "wax" / "credentials.json").string(); }

  std::filesystem::path directory_;
};

Session sessionFor(const std::string& server, const std::string& token) {
  Session session;
  session.server = server;
  session.issuer = "https://idp.example.com";
  session.accessToken = token;
  session.expiresAt = 123;
  return session;
}

TEST_F(CredentialStoreTest, KeepsOneSessionPerServerAndTheLastLoginIsCurrent) {
  CredentialStore store(path());
  EXPECT_FALSE(store.current());
  store.save(sessionFor("https://a.example.com/", "ta"), true);
  store.save(sessionFor("https://b.example.com", "tb"), true);
  EXPECT_EQ(store.current(), "https://b.example.com");
  EXPECT_EQ(store.find("https://a.example.com")->accessToken, "ta");
  EXPECT_EQ(store.find("https://a.example.com/")->expiresAt, 123);

  store.save(sessionFor("https://a.example.com", "ta2"), false);  // a refresh
  EXPECT_EQ(store.current(), "https://b.example.com");
  EXPECT_EQ(store.find("https://a.example.com")->accessToken, "ta2");

  struct stat info {};
  ASSERT_EQ(::stat(path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
}

TEST_F(CredentialStoreTest, RemovingTheCurrentSessionLeavesNoCurrent) {
  CredentialStore store(path());
  store.save(sessionFor("https://a.example.com", "ta"), true);
  EXPECT_TRUE(store.remove("https://a.example.com/"));
  EXPECT_FALSE(store.remove("https://a.example.com"));
  EXPECT_FALSE(store.current());
  EXPECT_FALSE(store.find("https://a.example.com"));
}

TEST_F(CredentialStoreTest, ADamagedFileIsAnErrorThatSaysWhatToDo) {
  std::filesystem::create_directories(std::filesystem::path(path()).parent_path());
  std::ofstream(path()) << "{not json";
  CredentialStore store(path());
  try {
    store.find("https://a.example.com");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("waxctl login"), std::string::npos);
  }
  EXPECT_THROW(store.save(sessionFor("https://a.example.com", "t"), true), Error);
}

}  // namespace
}  // namespace wax::cli
