#include <gtest/gtest.h>

#include <fstream>

#include "api/access.h"
#include "api/admission.h"
#include "api/params.h"
#include "common/error.h"

namespace wax::api {
namespace {

const char* kPolicy = R"(
rules:
  - groups: [wax-admins]
    namespaces: ["*"]
    verbs: ["*"]
  - users: [bob]
    namespaces: [team-a]
    verbs: [get, list, watch]
  - groups: [team-b-devs]
    namespaces: [team-b]
    verbs: [get, list, create, update, delete]
)";

const auth::Identity kAlice{"alice", {"wax-admins"}};
const auth::Identity kBob{"bob", {"wax-users"}};
const auth::Identity kCarol{"carol", {"team-b-devs"}};

TEST(PolicyTest, AllowsWhatSomeRuleNamesAndNothingElse) {
  const auto policy = Policy::parse(kPolicy, "policy.yaml");
  EXPECT_TRUE(policy.allows(kAlice, "delete", "anything"));
  EXPECT_TRUE(policy.allows(kAlice, "list", "*"));
  EXPECT_TRUE(policy.allows(kBob, "get", "team-a"));
  EXPECT_FALSE(policy.allows(kBob, "create", "team-a"));
  EXPECT_FALSE(policy.allows(kBob, "get", "team-b"));
  EXPECT_FALSE(policy.allows(kBob, "list", "*"));  // one namespace is not all of them
  EXPECT_TRUE(policy.allows(kCarol, "create", "team-b"));
  EXPECT_FALSE(policy.allows(kCarol, "watch", "team-b"));
  EXPECT_FALSE(policy.allows({"mallory", {}}, "get", "team-a"));
  // A group named like a user, or a user named like a group, is not the same thing.
  EXPECT_FALSE(policy.allows({"wax-admins", {}}, "get", "team-a"));
  EXPECT_FALSE(policy.allows({"eve", {"bob"}}, "get", "team-a"));
}

TEST(PolicyTest, SecretsMustBeNamedByARule) {
  const auto policy = Policy::parse(R"(
rules:
  - users: [bob]
    namespaces: [team-a]
    verbs: ["*"]
  - users: [ops]
    namespaces: [team-a]
    verbs: [list, get]
    resources: [secrets]
)",
                                    "policy.yaml");
  EXPECT_TRUE(policy.allows(kBob, "get", "team-a", "dataflows"));
  EXPECT_FALSE(policy.allows(kBob, "get", "team-a", "secrets"));
  EXPECT_TRUE(policy.allows({"ops", {}}, "get", "team-a", "secrets"));
  EXPECT_FALSE(policy.allows({"ops", {}}, "get", "team-a", "dataflows"));
  EXPECT_FALSE(policy.allows({"ops", {}}, "create", "team-a", "secrets"));
}

TEST(PolicyTest, VisibleNamespacesIncludeThoseTheRulesName) {
  const auto policy = Policy::parse(kPolicy, "policy.yaml");
  EXPECT_EQ(policy.visible(kBob, {"default", "team-b"}), std::vector<std::string>{"team-a"});
  EXPECT_EQ(policy.visible(kAlice, {"default", "team-b"}),
            (std::vector<std::string>{"default", "team-b"}));
  EXPECT_TRUE(policy.visible({"mallory", {}}, {"default"}).empty());
}

void expectRefused(const std::string& text, const std::string& words) {
  try {
    Policy::parse(text, "policy.yaml");
    FAIL() << "accepted: " << text;
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(words), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("policy.yaml"), std::string::npos);
  }
}

TEST(PolicyTest, MistakesAreRefusedNamingTheField) {
  expectRefused("{}", "rules: required");
  expectRefused("rules: {}", "rules: required");
  expectRefused("rules: [ 5 ]", "rules[0]: must be a mapping");
  expectRefused("rules: [{namespaces: ['*'], verbs: ['*']}]", "names no users and no groups");
  expectRefused("rules: [{users: [a], verbs: ['*']}]", "needs namespaces and verbs");
  expectRefused("rules: [{users: a, namespaces: [x], verbs: [get]}]",
                "rules[0].users: must be a list of strings");
  expectRefused("rules: [{users: [a], namespaces: [Team_A], verbs: [get]}]",
                "rules[0].namespaces: \"Team_A\" is not a namespace name");
  expectRefused("rules: [{users: [a], namespaces: [x], verbs: [read]}]",
                "rules[0].verbs: \"read\" is not a verb");
  expectRefused("rules: [{user: [a], namespaces: [x], verbs: [get]}]",
                "rules[0].user: unknown field");
  expectRefused("rules: [{users: [a], namespaces: [x], verbs: [get], resources: [pods]}]",
                "rules[0].resources: \"pods\" is not a resource");
  expectRefused("rules: [{users: ['*'], namespaces: [x], verbs: [get]}]",
                "\"*\" in users or groups would name a user or group called \"*\"");
  expectRefused("rules: [{groups: [a, '*'], namespaces: [x], verbs: [get]}]", "not everyone");
  expectRefused("rules: [", "policy.yaml");
}

TEST(PolicyTest, OnlyASmallRegularFileIsRead) {
  for (const char* path : {"/dev/zero", "/tmp"}) {
    try {
      Policy::load(path);
      FAIL() << path;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("not a regular file"), std::string::npos);
    }
  }
  const std::string big = ::testing::TempDir() + "/big-policy.yaml";
  {
    std::ofstream out(big);
    out << "rules:\n" << std::string(2 * 1024 * 1024, '#') << "\n";
  }
  try {
    Policy::load(big);
    FAIL() << "a 2 MiB policy was read";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("over 1 MiB"), std::string::npos);
  }
  std::remove(big.c_str());
}

TEST(BodyDepthTest, DeepBodiesAreRefusedBeforeParsing) {
  EXPECT_FALSE(nestedDeeperThan(R"({"a": [{"b": [1, 2]}]})", 4));
  EXPECT_TRUE(nestedDeeperThan(R"({"a": [{"b": [1, 2]}]})", 3));
  // Brackets inside strings, escaped quotes among them, do not count.
  EXPECT_FALSE(nestedDeeperThan(R"({"a": "[[[[\"[[[["})", 1));
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  try {
    parseBody(deep);
    FAIL() << "parsed";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::BadRequest);
    EXPECT_NE(std::string(error.what()).find("nested more than 100 levels"), std::string::npos);
  }
  EXPECT_NO_THROW(parseBody(std::string(100, '[') + std::string(100, ']')));
}

http::Request request(const std::string& method, const std::string& route,
                      std::map<std::string, std::string> pathParams = {}) {
  http::Request made;
  made.method = method;
  made.route = route;
  made.pathParams = std::move(pathParams);
  return made;
}

TEST(AccessTest, VerbAndNamespaceFollowTheRoute) {
  auto access = accessOf(
      request("GET", "/api/v1/namespaces/{namespace}/dataflows", {{"namespace", "team-a"}}));
  EXPECT_EQ(access.verb, "list");
  EXPECT_EQ(access.ns, "team-a");

  auto watch = request("GET", "/api/v1/dataflows");
  watch.query.emplace("watch", "true");
  access = accessOf(watch);
  EXPECT_EQ(access.verb, "watch");
  EXPECT_EQ(access.ns, "*");

  access = accessOf(request("GET", "/api/v1/namespaces/{namespace}/dataflows/{name}/log",
                            {{"namespace", "x"}, {"name", "flow"}}));
  EXPECT_EQ(access.verb, "get");

  auto platformGet = request("GET", "/dataflows/{name}", {{"name", "flow"}});
  platformGet.query.emplace("namespace", "team-b");
  access = accessOf(platformGet);
  EXPECT_EQ(access.verb, "get");
  EXPECT_EQ(access.ns, "team-b");

  access = accessOf(request("GET", "/dataflows"));
  EXPECT_EQ(access.ns, "default");
}

TEST(AccessTest, PlatformWritesTakeTheNamespaceFromTheBody) {
  auto create = request("POST", "/dataflows");
  create.body = R"({"name": "flow", "namespace": "team-b"})";
  EXPECT_EQ(accessOf(create).verb, "create");
  EXPECT_EQ(accessOf(create).ns, "team-b");

  auto suspend = request("PUT", "/dataflows/{name}/suspend", {{"name", "flow"}});
  suspend.body = R"({"suspend": true})";
  EXPECT_EQ(accessOf(suspend).verb, "update");
  EXPECT_EQ(accessOf(suspend).ns, "default");  // as the handler reads it

  // A query namespace does not move a body's write elsewhere: the two disagreeing is refused
  // by the handler, so the check is not made for the query's namespace.
  auto sneaky = request("PUT", "/dataflows/{name}", {{"name", "flow"}});
  sneaky.query.emplace("namespace", "team-a");
  sneaky.body = R"({"namespace": "team-b"})";
  EXPECT_EQ(accessOf(sneaky).ns, "default");
  EXPECT_THROW(writeNamespace(sneaky, nlohmann::json::parse(sneaky.body)), Error);
  auto queryOnly = request("POST", "/dataflows");
  queryOnly.query.emplace("namespace", "team-b");
  queryOnly.body = R"({"name": "flow"})";
  EXPECT_EQ(accessOf(queryOnly).ns, "team-b");
  EXPECT_EQ(writeNamespace(queryOnly, nlohmann::json::parse(queryOnly.body)), "team-b");

  auto secret = request("POST", "/secrets");
  secret.body = R"({"name": "creds", "namespace": "team-b", "data": []})";
  EXPECT_EQ(accessOf(secret).resource, "secrets");
  EXPECT_EQ(accessOf(secret).ns, "team-b");
  auto reveal = request("GET", "/secrets/{name}", {{"name", "creds"}});
  reveal.query.emplace("namespace", "team-a");
  EXPECT_EQ(accessOf(reveal).verb, "get");
  EXPECT_EQ(accessOf(reveal).resource, "secrets");
  EXPECT_EQ(accessOf(request("GET", "/dataflows")).resource, "dataflows");
  auto sneakySecret = request("PUT", "/secrets/{name}", {{"name", "creds"}});
  sneakySecret.query.emplace("namespace", "team-a");
  sneakySecret.body = R"({"namespace": "team-b", "data": []})";
  EXPECT_EQ(accessOf(sneakySecret).ns, "default");

  auto remove = request("DELETE", "/dataflows/{name}", {{"name", "flow"}});
  remove.query.emplace("namespace", "team-a");
  EXPECT_EQ(accessOf(remove).verb, "delete");
  EXPECT_EQ(accessOf(remove).ns, "team-a");
}

}  // namespace
}  // namespace wax::api
