#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/identity.h"
#include "auth/oidc.h"
#include "http/server.h"

// Who may call the API, and what they may do, when WaxAPI runs without a cluster's RBAC to
// decide (local mode, inside waxd): OpenID Connect tokens name the caller, and a policy file
// maps users and groups to namespaces and verbs.
namespace wax::api {

// Checks a request's bearer token with the provider; the identity it names, or the 401.
// Accepted tokens are remembered, by their SHA-256, for up to kRememberFor and never past
// their `exp`: a request's token is checked before its body is read and again by its route,
// and clients send the same token many times. A key the provider drops stops verifying within
// that time, as with the Kubernetes API server's token cache. `remember` false verifies every
// time, so that a benchmark can measure what a verification costs.
class OidcAuthenticator {
 public:
  static constexpr std::chrono::seconds kRememberFor{10};
  static constexpr size_t kMaxRemembered = 4096;

  OidcAuthenticator(auth::Provider& provider, auth::ClaimNames claims, bool remember = true);

  std::variant<auth::Identity, http::Response> operator()(const http::Request& request) const;

 private:
  struct Remembered;
  // Verifies `token` and remembers its identity by `digest` when remembering.
  std::variant<auth::Identity, http::Response> verify(const std::string& token,
                                                      const std::string& digest) const;

  auth::Provider& provider_;
  auth::ClaimNames claims_;
  std::shared_ptr<Remembered> remembered_;  // shared by copies; null when not remembering
};

using Authenticate =
    std::function<std::variant<auth::Identity, http::Response>(const http::Request&)>;

std::string bearerTokenOf(const http::Request& request);
// 401 with WWW-Authenticate (RFC 6750 section 3): error="invalid_token" only when a token came.
http::Response unauthorizedResponse(const std::string& message, bool tokenGiven = true);

// What `waxctl login` signs in with, served at GET /auth/config without a token.
struct LoginConfig {
  std::string issuer;
  std::string clientId;
  std::string scopes;
};
// GET /auth/config, and GET /auth/whoami: the identity `authenticate` finds in the request.
void registerAuthRoutes(http::Routes& routes, const LoginConfig& config, Authenticate authenticate);

// The verbs a rule grants, as Kubernetes names them for the same requests.
inline const std::vector<std::string> kVerbs = {"get",    "list",   "watch",
                                                "create", "update", "delete"};
// What rules are about: dataflows (with their code, processes and logs) and secrets.
inline const std::vector<std::string> kResources = {"dataflows", "secrets"};

struct PolicyRule {
  std::vector<std::string> users;       // any of these users...
  std::vector<std::string> groups;      // ...or members of any of these groups
  std::vector<std::string> namespaces;  // "*": every namespace
  std::vector<std::string> verbs;       // from kVerbs, or "*"
  std::vector<std::string> resources;   // from kResources, or "*"; default: dataflows
};

// The policy file, in YAML or JSON:
//   rules:
//     - groups: [wax-admins]
//       namespaces: ["*"]
//       verbs: ["*"]
//     - users: [bob]
//       namespaces: [team-a]
//       verbs: [get, list, watch]
//       resources: [dataflows, secrets]
// A request is allowed when some rule names its caller, its namespace, its verb and its
// resource; nothing else is. A rule without resources is about dataflows: secrets must be
// named, as reading one (get) shows its values.
class Policy {
 public:
  // Throws wax::Error (BadRequest) naming the field and the fix.
  static Policy parse(const std::string& text, const std::string& source);
  static Policy load(const std::string& path);

  bool allows(const auth::Identity& who, const std::string& verb, const std::string& ns,
              const std::string& resource = "dataflows") const;
  // Of `namespaces`, those in which `who` may do anything at all.
  std::vector<std::string> visible(const auth::Identity& who,
                                   const std::vector<std::string>& namespaces) const;
  size_t size() const { return rules_.size(); }

 private:
  std::vector<PolicyRule> rules_;
};

// What a request asks to do, from its method and route: get, list, watch, create, update or
// delete, and in which namespace ("*" for a list across all).
struct Access {
  std::string verb;
  std::string ns;
  std::string resource;  // "dataflows" or "secrets"
};
Access accessOf(const http::Request& request);

// Wraps every route registered through it: the caller must hold the owner's token (waxd's
// token file, which may do everything) or a token the authenticator accepts, for which the
// policy must allow the request. Lists of namespaces show only those the caller may use.
class PolicyRoutes : public http::Routes {
 public:
  PolicyRoutes(http::Routes& inner, std::string ownerToken, Authenticate authenticate,
               Policy policy);
  void route(const std::string& method, const std::string& pattern, http::Handler handler) override;
  // The screen before a body is read: a request with neither kind of token is refused.
  http::Filter filter() const;
  // The caller as /auth/whoami names it: the owner, or the token's identity.
  Authenticate whoami() const;

 private:
  bool isOwner(const http::Request& request) const;

  http::Routes& inner_;
  std::string ownerToken_;
  Authenticate authenticate_;
  std::shared_ptr<const Policy> policy_;
};

}  // namespace wax::api
