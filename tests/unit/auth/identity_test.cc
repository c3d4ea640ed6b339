// Which claims name the user and the groups: the defaults (sub, groups) and the names given
// with --username-claim and --groups-claim, as Kubernetes' OIDC authenticator reads them.
#include "auth/identity.h"

#include <gtest/gtest.h>

#include "auth/jwt.h"

namespace wax::auth {
namespace {

using nlohmann::json;

const json kClaims = {{"sub", "u-123"},
                      {"email", "dave@example.com"},
                      {"groups", {"wax-users"}},
                      {"roles", {"flow-admins", "readers"}}};

TEST(IdentityOf, ReadsSubAndGroupsByDefault) {
  const Identity identity = identityOf(kClaims, ClaimNames{});
  EXPECT_EQ(identity.user, "u-123");
  EXPECT_EQ(identity.groups, std::vector<std::string>{"wax-users"});
}

TEST(IdentityOf, ReadsTheClaimsItIsToldToAndNoOthers) {
  const Identity identity = identityOf(kClaims, ClaimNames{"email", "roles"});
  EXPECT_EQ(identity.user, "dave@example.com");
  EXPECT_EQ(identity.groups, (std::vector<std::string>{"flow-admins", "readers"}));
}

TEST(IdentityOf, TakesOneStringAsOneGroupAndSkipsEntriesThatAreNotStrings) {
  EXPECT_EQ(identityOf({{"sub", "a"}, {"team", "blue"}}, ClaimNames{"sub", "team"}).groups,
            std::vector<std::string>{"blue"});
  const json mixed = {{"sub", "a"}, {"team", {"blue", 7, nullptr, {{"x", 1}}, "red"}}};
  EXPECT_EQ(identityOf(mixed, ClaimNames{"sub", "team"}).groups,
            (std::vector<std::string>{"blue", "red"}));
}

TEST(IdentityOf, NoGroupsClaimMeansNoGroups) {
  EXPECT_TRUE(identityOf(kClaims, ClaimNames{"sub", "missing"}).groups.empty());
}

TEST(IdentityOf, RefusesATokenWithoutItsUsernameClaimNamingTheClaim) {
  for (const json& claims : {json{{"sub", "a"}}, json{{"upn", 42}}, json{{"upn", ""}}}) {
    try {
      identityOf(claims, ClaimNames{"upn", "groups"});
      FAIL() << claims;
    } catch (const TokenError& error) {
      EXPECT_NE(std::string(error.what()).find("\"upn\""), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace wax::auth
