#include "api/access.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "api/admission.h"
#include "api/api.h"
#include "api/params.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/logging.h"
#include "core/codec.h"
#include "core/validation.h"

namespace wax::api {

namespace {

using nlohmann::json;

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::vector<std::string> stringList(const json& rule, const char* field, size_t index,
                                    const std::string& source) {
  if (!rule.contains(field)) {
    return {};
  }
  const auto& value = rule[field];
  const bool strings = value.is_array() && std::all_of(value.begin(), value.end(),
                                                       [](const json& v) { return v.is_string(); });
  if (!strings) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: rules[{}].{}: must be a list of strings, e.g. [a, b]", source,
                            index, field));
  }
  return value.get<std::vector<std::string>>();
}

PolicyRule ruleOf(const json& rule, size_t index, const std::string& source) {
  if (!rule.is_object()) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: rules[{}]: must be a mapping with users or groups, namespaces "
                            "and verbs",
                            source, index));
  }
  for (const auto& [key, unused] : rule.items()) {
    if (key != "users" && key != "groups" && key != "namespaces" && key != "verbs" &&
        key != "resources") {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("{}: rules[{}].{}: unknown field; a rule has users, groups, "
                              "namespaces, verbs and resources",
                              source, index, key));
    }
  }
  PolicyRule parsed{
      stringList(rule, "users", index, source), stringList(rule, "groups", index, source),
      stringList(rule, "namespaces", index, source), stringList(rule, "verbs", index, source),
      stringList(rule, "resources", index, source)};
  if (parsed.resources.empty()) {
    parsed.resources = {"dataflows"};
  }
  for (const auto* names : {&parsed.users, &parsed.groups}) {
    if (contains(*names, "*")) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("{}: rules[{}]: \"*\" in users or groups would name a user or group "
                              "called \"*\", not everyone; name a group that every user has",
                              source, index));
    }
  }
  if (parsed.users.empty() && parsed.groups.empty()) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: rules[{}]: names no users and no groups, so it allows no one",
                            source, index));
  }
  if (parsed.namespaces.empty() || parsed.verbs.empty()) {
    throw Error(
        ErrorCode::BadRequest,
        fmt::format("{}: rules[{}]: needs namespaces and verbs (\"*\" for all)", source, index));
  }
  for (const auto& ns : parsed.namespaces) {
    if (ns != "*" && !core::isDns1123Label(ns)) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("{}: rules[{}].namespaces: \"{}\" is not a namespace name; use "
                              "lowercase letters, digits and '-', or \"*\"",
                              source, index, ns));
    }
  }
  for (const auto& verb : parsed.verbs) {
    if (verb != "*" && !contains(kVerbs, verb)) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("{}: rules[{}].verbs: \"{}\" is not a verb; use {} or \"*\"", source,
                              index, verb, fmt::join(kVerbs, ", ")));
    }
  }
  for (const auto& resource : parsed.resources) {
    if (resource != "*" && !contains(kResources, resource)) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("{}: rules[{}].resources: \"{}\" is not a resource; use {} or "
                              "\"*\"",
                              source, index, resource, fmt::join(kResources, ", ")));
    }
  }
  return parsed;
}

bool names(const PolicyRule& rule, const auth::Identity& who) {
  if (contains(rule.users, who.user)) {
    return true;
  }
  return std::any_of(who.groups.begin(), who.groups.end(),
                     [&rule](const std::string& group) { return contains(rule.groups, group); });
}

bool isNamespaceList(const std::string& route) {
  return route == "/namespaces" || route == "/api/v1/namespaces";
}

// The namespace that a Bytewax Platform write names, as its handler reads it; a body the
// handler refuses is checked as "default".
std::string bodyNamespace(const http::Request& request) {
  if (nestedDeeperThan(request.body, kMaxBodyDepth)) {
    return "default";  // the handler refuses the body; it must not be parsed here either
  }
  try {
    return writeNamespace(request, json::parse(request.body, nullptr, false));
  } catch (const Error&) {
    return "default";
  }
}

std::string namespaceOf(const http::Request& request) {
  if (auto ns = request.pathParams.find("namespace"); ns != request.pathParams.end()) {
    return ns->second;
  }
  if (request.route.rfind("/api/v1/", 0) == 0) {
    return "*";  // /api/v1/dataflows and the like: across all namespaces
  }
  // The platform's writes name their namespace in the body, and the handlers write there.
  const bool bodyNames =
      request.route.rfind("/dataflows", 0) == 0 || request.route.rfind("/secrets", 0) == 0;
  if ((request.method == "POST" || request.method == "PUT") && bodyNames) {
    return bodyNamespace(request);
  }
  return request.queryValue("namespace").value_or("default");
}

std::string verbOf(const http::Request& request) {
  if (request.method == "POST") {
    return "create";
  }
  if (request.method == "PUT") {
    return "update";
  }
  if (request.method == "DELETE") {
    return "delete";
  }
  if (request.pathParams.count("name") != 0) {
    return "get";  // the dataflow, its pods, processes and logs
  }
  return request.queryValue("watch").value_or("") == "true" ? "watch" : "list";
}

}  // namespace

std::string bearerTokenOf(const http::Request& request) {
  const std::string header = request.header("authorization").value_or("");
  const std::string prefix = "Bearer ";
  return header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : "";
}

http::Response unauthorizedResponse(const std::string& message, bool tokenGiven) {
  auto response = http::errorResponse(401, "Unauthorized", message);
  response.headers["WWW-Authenticate"] =
      tokenGiven ? "Bearer realm=\"wax\", error=\"invalid_token\"" : "Bearer realm=\"wax\"";
  return response;
}

struct OidcAuthenticator::Remembered {
  struct Entry {
    auth::Identity identity;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;  // by the token's SHA-256; guarded by mutex

  std::optional<auth::Identity> find(const std::string& digest) {
    std::lock_guard lock(mutex);
    auto it = entries.find(digest);
    if (it == entries.end()) {
      return std::nullopt;
    }
    if (it->second.until <= std::chrono::steady_clock::now()) {
      entries.erase(it);
      return std::nullopt;
    }
    return it->second.identity;
  }

  void add(const std::string& digest, const auth::Identity& identity,
           std::chrono::steady_clock::time_point until) {
    std::lock_guard lock(mutex);
    if (entries.size() >= kMaxRemembered) {
      std::erase_if(entries, [now = std::chrono::steady_clock::now()](const auto& entry) {
        return entry.second.until <= now;
      });
    }
    if (entries.size() >= kMaxRemembered) {
      entries.clear();  // many live tokens at once: start over rather than grow
    }
    entries[digest] = {identity, until};
  }
};

OidcAuthenticator::OidcAuthenticator(auth::Provider& provider, auth::ClaimNames claims,
                                     bool remember)
    : provider_(provider),
      claims_(std::move(claims)),
      remembered_(remember ? std::make_shared<Remembered>() : nullptr) {}

namespace {

// When a verified token stops being remembered: kRememberFor from now, or its exp if sooner.
std::chrono::steady_clock::time_point rememberUntil(const json& claims,
                                                    std::chrono::seconds rememberFor) {
  const auto now = std::chrono::steady_clock::now();
  auto until = now + rememberFor;
  if (auto exp = claims.find("exp"); exp != claims.end() && exp->is_number()) {
    const auto left = std::chrono::system_clock::from_time_t(exp->get<int64_t>()) -
                      std::chrono::system_clock::now();
    until = std::min(until, now + std::chrono::duration_cast<std::chrono::seconds>(left));
  }
  return until;
}

}  // namespace

std::variant<auth::Identity, http::Response> OidcAuthenticator::operator()(
    const http::Request& request) const {
  const std::string token = bearerTokenOf(request);
  if (token.empty()) {
    return unauthorizedResponse(
        "send an OpenID Connect access token as `Authorization: Bearer TOKEN`", false);
  }
  if (!remembered_) {
    return verify(token, "");
  }
  const std::string digest = sha256Hex(token);
  if (auto identity = remembered_->find(digest)) {
    return *identity;
  }
  return verify(token, digest);
}

std::variant<auth::Identity, http::Response> OidcAuthenticator::verify(
    const std::string& token, const std::string& digest) const {
  try {
    const auto verified = provider_.verify(token);
    auto identity = auth::identityOf(verified.claims, claims_);
    if (remembered_) {
      remembered_->add(digest, identity, rememberUntil(verified.claims, kRememberFor));
    }
    return identity;
  } catch (const auth::TokenError& error) {
    return unauthorizedResponse(error.what());
  }
}

void registerAuthRoutes(http::Routes& routes, const LoginConfig& config,
                        Authenticate authenticate) {
  const json body = {
      {"issuer", config.issuer}, {"clientId", config.clientId}, {"scopes", config.scopes}};
  routes.route("GET", "/auth/config", [body](const http::Request&) {
    http::Response response;
    response.body = body.dump() + "\n";
    return response;
  });
  // Who the token speaks for, as the API and then the cluster's RBAC see it.
  routes.route("GET", "/auth/whoami", [authenticate](const http::Request& request) {
    auto identity = authenticate(request);
    if (auto* refusal = std::get_if<http::Response>(&identity)) {
      return *refusal;
    }
    http::Response response;
    response.body = std::get<auth::Identity>(identity).toJson().dump() + "\n";
    return response;
  });
}

Policy Policy::parse(const std::string& text, const std::string& source) {
  json document;
  try {
    document = core::yamlToJson(text);
  } catch (const std::exception& error) {
    throw Error(ErrorCode::BadRequest, fmt::format("{}: {}", source, error.what()));
  }
  if (!document.is_object() || !document.contains("rules") || !document["rules"].is_array()) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: rules: required, a list of rules (users or groups, "
                            "namespaces, verbs)",
                            source));
  }
  Policy policy;
  for (size_t i = 0; i < document["rules"].size(); ++i) {
    policy.rules_.push_back(ruleOf(document["rules"][i], i, source));
  }
  return policy;
}

Policy Policy::load(const std::string& path) {
  constexpr uintmax_t kMaxPolicyBytes = 1024 * 1024;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("--policy {}: not a regular file; give a policy file", path));
  }
  if (std::filesystem::file_size(path, error) > kMaxPolicyBytes) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("--policy {}: over 1 MiB; a policy names groups rather than every "
                            "user",
                            path));
  }
  std::ifstream in(path);
  if (!in) {
    throw Error(
        ErrorCode::BadRequest,
        fmt::format("--policy {}: cannot read the file; give a readable policy file", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

bool Policy::allows(const auth::Identity& who, const std::string& verb, const std::string& ns,
                    const std::string& resource) const {
  auto grants = [](const std::vector<std::string>& list, const std::string& value) {
    return contains(list, "*") || contains(list, value);
  };
  return std::any_of(rules_.begin(), rules_.end(), [&](const PolicyRule& rule) {
    return names(rule, who) && grants(rule.verbs, verb) && grants(rule.namespaces, ns) &&
           grants(rule.resources, resource);
  });
}

std::vector<std::string> Policy::visible(const auth::Identity& who,
                                         const std::vector<std::string>& namespaces) const {
  std::set<std::string> seen;
  for (const auto& rule : rules_) {
    if (!names(rule, who)) {
      continue;
    }
    for (const auto& ns : rule.namespaces) {
      if (ns == "*") {
        seen.insert(namespaces.begin(), namespaces.end());
      } else {
        seen.insert(ns);  // named by the policy: usable even before it holds a dataflow
      }
    }
  }
  return {seen.begin(), seen.end()};
}

Access accessOf(const http::Request& request) {
  const bool secret = request.route.rfind("/secrets", 0) == 0;
  return {verbOf(request), namespaceOf(request), secret ? "secrets" : "dataflows"};
}

PolicyRoutes::PolicyRoutes(http::Routes& inner, std::string ownerToken, Authenticate authenticate,
                           Policy policy)
    : inner_(inner),
      ownerToken_(std::move(ownerToken)),
      authenticate_(std::move(authenticate)),
      policy_(std::make_shared<const Policy>(std::move(policy))) {}

bool PolicyRoutes::isOwner(const http::Request& request) const {
  const std::string given = bearerTokenOf(request);
  return !ownerToken_.empty() && given.size() == ownerToken_.size() &&
         CRYPTO_memcmp(given.data(), ownerToken_.data(), given.size()) == 0;
}

namespace {

http::Response forbidden(const auth::Identity& who, const Access& access) {
  const std::string where =
      access.ns == "*" ? "across all namespaces" : fmt::format("in namespace \"{}\"", access.ns);
  const std::string groups =
      who.groups.empty() ? "" : fmt::format(" (groups: {})", fmt::join(who.groups, ", "));
  return http::errorResponse(
      403, "Forbidden",
      fmt::format("user \"{}\"{} may not {} {} {}: no rule of the policy file allows it{}",
                  who.user, groups, access.verb, access.resource, where,
                  access.resource == "secrets"
                      ? " (a rule is about dataflows unless it says resources: [secrets])"
                      : ""));
}

// Leaves in a list of namespaces (either API's shape) only those `who` may use.
http::Response onlyVisible(http::Response response, const Policy& policy,
                           const auth::Identity& who) {
  auto body = json::parse(response.body, nullptr, false);
  if (response.status != 200 || !body.is_object()) {
    return response;
  }
  if (body.contains("namespaces")) {
    body["namespaces"] = policy.visible(who, body["namespaces"].get<std::vector<std::string>>());
  } else if (body.contains("items")) {
    std::vector<std::string> all;
    for (const auto& item : body["items"]) {
      all.push_back(item["metadata"].value("name", ""));
    }
    body["items"] = json::array();
    for (const auto& ns : policy.visible(who, all)) {
      body["items"].push_back({{"metadata", {{"name", ns}}}});
    }
  }
  response.body = body.dump() + "\n";
  return response;
}

void logAccess(const auth::Identity& who, const Access& access, int status) {
  // Who changed what: every change and every refusal, at info; reads at debug.
  const bool change = access.verb != "get" && access.verb != "list" && access.verb != "watch";
  const auto level = change || status == 403 ? spdlog::level::info : spdlog::level::debug;
  logger("api")->log(level, "access user={} verb={} resource={} namespace={} status={}", who.user,
                     access.verb, access.resource, access.ns, status);
}

}  // namespace

void PolicyRoutes::route(const std::string& method, const std::string& pattern,
                         http::Handler handler) {
  inner_.route(method, pattern, [this, handler](const http::Request& request) {
    if (isOwner(request)) {
      return handler(request);
    }
    auto identity = authenticate_(request);
    if (auto* refusal = std::get_if<http::Response>(&identity)) {
      return *refusal;
    }
    const auto& who = std::get<auth::Identity>(identity);
    if (isNamespaceList(request.route)) {
      return onlyVisible(handler(request), *policy_, who);
    }
    const Access access = accessOf(request);
    if (!policy_->allows(who, access.verb, access.ns, access.resource)) {
      logAccess(who, access, 403);
      return forbidden(who, access);
    }
    auto response = handler(request);
    logAccess(who, access, response.status);
    return response;
  });
}

Authenticate PolicyRoutes::whoami() const {
  return [this](const http::Request& request) -> std::variant<auth::Identity, http::Response> {
    if (isOwner(request)) {
      return auth::Identity{"owner", {}};  // the holder of waxd's token file
    }
    return authenticate_(request);
  };
}

http::Filter PolicyRoutes::filter() const {
  // The token is checked again by the route, once the body is read; a signature check costs
  // tens of microseconds, and without this a stranger's body would be read whole first.
  return [this](const http::Request& request) -> std::optional<http::Response> {
    if (isPublicPath(request.path) || isOwner(request)) {
      return std::nullopt;
    }
    auto identity = authenticate_(request);
    if (auto* refusal = std::get_if<http::Response>(&identity)) {
      return *refusal;
    }
    return std::nullopt;
  };
}

}  // namespace wax::api
