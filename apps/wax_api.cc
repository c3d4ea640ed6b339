// wax-api: WaxAPI in a cluster. Every request carries an OpenID Connect access token; WaxAPI
// verifies it and acts for its user through Kubernetes impersonation, so that the cluster's
// RBAC decides what each user may see and change. The handlers are those waxd serves.
#include <signal.h>

#include <iostream>
#include <list>
#include <mutex>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "api/api.h"
#include "auth/oidc.h"
#include "cluster/kube_runtime.h"
#include "cluster/kube_store.h"
#include "common/logging.h"
#include "common/version.h"
#include "http/server.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "server_main.h"

namespace {

using nlohmann::json;

struct Flags {
  std::string kubeconfig;
  std::string context;
  std::string address = "127.0.0.1:8081";
  std::string authIssuer;
  std::string clientId;
  std::vector<std::string> audiences;
  std::string caFile;
  std::string usernameClaim = "sub";
  std::string groupsClaim = "groups";
  std::string logLevel = "info";
};

std::shared_ptr<spdlog::logger> log() {
  return wax::logger("wax-api");
}

struct Identity {
  std::string user;
  std::vector<std::string> groups;

  std::string key() const {
    std::string key = user;
    for (const auto& group : groups) {
      key += '\n' + group;
    }
    return key;
  }
};

// The claims that name the user and groups, as the flags say. A token without a username is
// not one WaxAPI can act for.
Identity identityOf(const json& claims, const Flags& flags) {
  Identity identity;
  if (auto user = claims.find(flags.usernameClaim); user != claims.end() && user->is_string()) {
    identity.user = user->get<std::string>();
  }
  if (identity.user.empty()) {
    throw wax::auth::TokenError(
        wax::auth::TokenError::Reason::Malformed,
        fmt::format("the token has no \"{}\" claim to name its user", flags.usernameClaim));
  }
  if (auto groups = claims.find(flags.groupsClaim); groups != claims.end()) {
    for (const auto& group : groups->is_array() ? *groups : json::array({*groups})) {
      if (group.is_string()) {
        identity.groups.push_back(group.get<std::string>());
      }
    }
  }
  return identity;
}

// The handlers for one identity: a Kubernetes client that impersonates it, and the store and
// runtime over that client, as waxctl has them in-process.
struct Tenant {
  wax::kube::Client client;
  wax::cluster::KubeStore store;
  wax::cluster::KubeRuntime runtime;
  wax::api::ApiContext context;
  std::map<std::string, wax::http::Handler> handlers;  // "METHOD pattern"

  Tenant(wax::kube::Config config, const wax::kube::ClientOptions& options)
      : client(std::move(config), options),
        store(client),
        runtime(client, store, {}, nullptr),
        context{store, runtime} {}
};

// Collects the routes the API registers, by method and pattern.
class RouteTable : public wax::http::Routes {
 public:
  explicit RouteTable(std::map<std::string, wax::http::Handler>& into) : into_(into) {}
  void route(const std::string& method, const std::string& pattern,
             wax::http::Handler handler) override {
    into_[method + " " + pattern] = std::move(handler);
  }

 private:
  std::map<std::string, wax::http::Handler>& into_;
};

void registerApi(wax::http::Routes& routes, wax::api::ApiContext& context) {
  wax::api::registerPlatformRoutes(routes, context);
  wax::api::registerResourceRoutes(routes, context);
}

// Tenants by identity, the least recently used dropped beyond kMaxTenants (each holds a
// connection pool to the API server).
class Tenants {
 public:
  static constexpr size_t kMaxTenants = 128;

  Tenants(wax::kube::Config config, wax::kube::ClientOptions options)
      : config_(std::move(config)), options_(std::move(options)) {}

  std::shared_ptr<Tenant> of(const Identity& identity) {
    std::lock_guard lock(mutex_);
    const std::string key = identity.key();
    for (auto it = recent_.begin(); it != recent_.end(); ++it) {
      if (it->first == key) {
        recent_.splice(recent_.begin(), recent_, it);
        return it->second;
      }
    }
    wax::kube::Config config = config_;
    config.user.impersonateUser = identity.user;
    config.user.impersonateGroups = identity.groups;
    auto tenant = std::make_shared<Tenant>(std::move(config), options_);
    RouteTable table(tenant->handlers);
    registerApi(table, tenant->context);
    recent_.emplace_front(key, tenant);
    if (recent_.size() > kMaxTenants) {
      recent_.pop_back();
    }
    return tenant;
  }

 private:
  wax::kube::Config config_;
  wax::kube::ClientOptions options_;
  std::mutex mutex_;
  std::list<std::pair<std::string, std::shared_ptr<Tenant>>> recent_;  // guarded by mutex_
};

wax::http::Response unauthorized(const std::string& message) {
  auto response = wax::http::errorResponse(401, "Unauthorized", message);
  // RFC 6750: the scheme, and why the token was refused.
  response.headers["WWW-Authenticate"] = "Bearer realm=\"wax\", error=\"invalid_token\"";
  return response;
}

std::string bearerToken(const wax::http::Request& request) {
  const std::string header = request.header("authorization").value_or("");
  const std::string prefix = "Bearer ";
  return header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : "";
}

int run(const Flags& flags) {
  const sigset_t stopSignals = wax::blockStopSignals();
  const auto [host, port] = wax::flags::splitListenAddress(flags.address);

  wax::auth::ProviderOptions providerOptions;
  providerOptions.issuer = flags.authIssuer;
  providerOptions.audiences =
      flags.audiences.empty() ? std::vector{flags.clientId} : flags.audiences;
  providerOptions.caFile = flags.caFile;
  wax::auth::Provider provider(providerOptions,
                               wax::auth::httpFetcher(flags.caFile, providerOptions.timeout));

  wax::kube::Config config = wax::kube::loadConfig({flags.kubeconfig, flags.context, ""});
  wax::kube::ClientOptions clientOptions;
  clientOptions.userAgent = fmt::format("wax-api/{}", wax::kVersion);
  Tenants tenants(config, clientOptions);

  wax::http::Server server({host, port});
  // Served without a token: probes have none, and the docs say how to get one.
  wax::api::registerHealthRoutes(server);
  wax::api::registerDocsRoutes(server);
  // The routes are learnt from a tenant of no one; each request is served by its user's.
  std::map<std::string, wax::http::Handler> patterns;
  {
    Tenant unused(config, clientOptions);
    RouteTable table(patterns);
    registerApi(table, unused.context);
  }
  for (const auto& [key, unused] : patterns) {
    const auto space = key.find(' ');
    server.route(key.substr(0, space), key.substr(space + 1),
                 [&, key](const wax::http::Request& request) -> wax::http::Response {
                   const std::string token = bearerToken(request);
                   if (token.empty()) {
                     return unauthorized(
                         "send an OpenID Connect access token as `Authorization: Bearer TOKEN`");
                   }
                   Identity identity;
                   try {
                     identity = identityOf(provider.verify(token).claims, flags);
                   } catch (const wax::auth::TokenError& error) {
                     return unauthorized(error.what());
                   }
                   return tenants.of(identity)->handlers.at(key)(request);
                 });
  }
  const uint16_t bound = server.start();
  log()->info("serving version={} address={}:{} issuer={} cluster={}", wax::kVersion, host, bound,
              providerOptions.issuer, wax::kube::describe(config));
  int received = 0;
  sigwait(&stopSignals, &received);
  log()->info("stopping signal={}", received);
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wax-api: WaxAPI for a Kubernetes cluster, authenticated by OpenID Connect",
               "wax-api"};
  Flags flags;
  app.set_version_flag("--version",
                       fmt::format("wax-api {} (commit {})", wax::kVersion, wax::kGitCommit));
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "Kubeconfig file; default: in-cluster, then KUBECONFIG, then ~/.kube/config");
  app.add_option("--context", flags.context, "Kubeconfig context to use");
  app.add_option("--listen", flags.address, "HOST:PORT to serve on; port 0 picks one")
      ->check(wax::flags::listenAddress())
      ->capture_default_str();
  app.add_option("--auth-issuer", flags.authIssuer,
                 "The OpenID provider's issuer URL (the Bytewax Platform's authIssuer)")
      ->check(wax::flags::httpUrl())
      ->required()
      ->envname("WAX_OIDC_ISSUER");
  app.add_option("--client-id", flags.clientId,
                 "The OpenID client (clientId); tokens must be for it unless --audience says")
      ->required()
      ->envname("WAX_OIDC_CLIENT_ID");
  app.add_option("--audience", flags.audiences,
                 "An audience tokens may carry instead of the client id; repeatable");
  app.add_option("--ca-file", flags.caFile, "CA bundle for the provider's TLS");
  app.add_option("--username-claim", flags.usernameClaim, "The claim that names the user")
      ->envname("WAX_OIDC_USERNAME_CLAIM")
      ->capture_default_str();
  app.add_option("--groups-claim", flags.groupsClaim, "The claim that lists the user's groups")
      ->envname("WAX_OIDC_GROUPS_CLAIM")
      ->capture_default_str();
  app.add_option("--log-level", flags.logLevel, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  if (auto exitCode = wax::parseCommandLine(app, argc, argv)) {
    return *exitCode;
  }
  wax::initLogging(flags.logLevel);
  try {
    return run(flags);
  } catch (const std::exception& error) {
    std::cerr << "wax-api: " << error.what() << "\n";
    return 1;
  }
}
