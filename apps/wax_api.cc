// wax-api: WaxAPI in a cluster. Every request carries an OpenID Connect access token; WaxAPI
// verifies it and acts for its user through Kubernetes impersonation, so that the cluster's
// RBAC decides what each user may see and change. The handlers are those waxd serves.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <list>
#include <mutex>
#include <variant>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "api/access.h"
#include "api/api.h"
#include "api_flags.h"
#include "auth/identity.h"
#include "auth/oidc.h"
#include "cluster/dataflow_cache.h"
#include "cluster/kube_runtime.h"
#include "cluster/kube_store.h"
#include "common/logging.h"
#include "common/version.h"
#include "http/metrics.h"
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
  wax::ApiFlags api;
  bool listCache = true;
  std::string logLevel = "info";
};

std::shared_ptr<spdlog::logger> log() {
  return wax::logger("wax-api");
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

  std::shared_ptr<Tenant> of(const wax::auth::Identity& identity) {
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

// Lists of Dataflows answered from a watch cache shared by every user, when the API server's
// RBAC lets the caller list there: the resource API's DataflowLists, and the platform's
// GET /dataflows?namespace=, whose items the cache keeps rendered too. A write through this
// WaxAPI in the last kFresh may not be in the cache yet, so lists then go to the API server,
// and a caller reads their own writes. Without the rights the cache needs, every list goes to
// the API server.
class CachedLists {
 public:
  static constexpr std::chrono::seconds kFresh{2};

  CachedLists(wax::kube::Client& own, wax::cluster::AccessReviews& reviews)
      : cache_(own, platformText), reviews_(reviews) {}
  void start() { cache_.start(); }
  void stop() { cache_.stop(); }

  void noteWrite() { lastWrite_ = std::chrono::steady_clock::now().time_since_epoch().count(); }

  std::optional<wax::http::Response> answer(const std::string& key,
                                            const wax::http::Request& request,
                                            const wax::auth::Identity& who) {
    const bool platform = key == "GET /dataflows";
    const bool list = platform || key == "GET /api/v1/dataflows" ||
                      key == "GET /api/v1/namespaces/{namespace}/dataflows";
    if (!list || request.queryValue("watch").value_or("") == "true" || recentlyWritten()) {
      return std::nullopt;
    }
    const auto ns = namespaceOf(request, platform);
    if (!ns || !mayList(who, *ns)) {
      return std::nullopt;  // the handler refuses: a bad namespace, or the API server's 403
    }
    auto body = platform ? platformBody(*ns) : cache_.listBody(*ns);
    if (!body) {
      return std::nullopt;
    }
    wax::http::Response response;
    response.body = std::move(*body);
    return response;
  }

 private:
  // A DataflowResponse as the platform's handler writes it, from the object the watch gave.
  static std::string platformText(const json& object) {
    return wax::api::dataflowResponse(wax::cluster::toStoreObject("dataflows", object)).dump();
  }

  // The namespace listed ("" for all), or nullopt for one the handler must refuse. The
  // platform's list names one, "default" when the query has none, as its handler reads it.
  static std::optional<std::string> namespaceOf(const wax::http::Request& request, bool platform) {
    if (platform) {
      const auto ns = request.queryValue("namespace").value_or("default");
      return wax::core::isDns1123Label(ns) ? std::optional(ns) : std::nullopt;
    }
    const auto it = request.pathParams.find("namespace");
    if (it == request.pathParams.end()) {
      return std::string();  // every namespace
    }
    return wax::core::isDns1123Label(it->second) ? std::optional(it->second) : std::nullopt;
  }

  // Whether the API server's RBAC lets `who` list Dataflows in `ns`; false also when it cannot
  // be asked, and the API server's own refusal then names the user and the right.
  bool mayList(const wax::auth::Identity& who, const std::string& ns) {
    try {
      return reviews_.allowed(who, {"list", "bytewax.io", "dataflows", ns});
    } catch (const wax::Error& error) {
      log()->warn("list cache off for this request: access review failed error={}", error.what());
      return false;
    }
  }

  std::optional<std::string> platformBody(const std::string& ns) const {
    auto items = cache_.renderedList(ns);
    if (!items) {
      return std::nullopt;
    }
    return R"({"dataflows":[)" + *items + "]}\n";
  }

  bool recentlyWritten() const {
    const auto last = std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(lastWrite_.load()));
    return std::chrono::steady_clock::now() - last < kFresh;
  }

  wax::cluster::DataflowCache cache_;
  wax::cluster::AccessReviews& reviews_;
  std::atomic<int64_t> lastWrite_{0};
};

// Lists of namespaces: those in which the caller may list Dataflows, found with wax-api's own
// rights. Listed as the caller, a user bound in some namespaces only would get 403, having
// no right to list namespaces, and could not learn where to work. Without the rights this
// needs (list namespaces, create subjectaccessreviews), the list is asked for as the caller.
class NamespaceLists {
 public:
  NamespaceLists(wax::kube::Client& own, wax::cluster::AccessReviews& reviews)
      : visible_(own, reviews) {}

  std::optional<wax::http::Response> answer(const std::string& key,
                                            const wax::auth::Identity& who) {
    if (key != "GET /namespaces" && key != "GET /api/v1/namespaces") {
      return std::nullopt;
    }
    try {
      return wax::api::namespaceListResponse(key.substr(4), visible_.of(who));
    } catch (const wax::Error& error) {
      log()->warn("listing namespaces as the caller: wax-api's own list failed error={}",
                  error.what());
      return std::nullopt;
    }
  }

 private:
  wax::cluster::VisibleNamespaces visible_;
};

// What wax-api answers itself, with its own rights, rather than through the caller's tenant.
struct OwnAnswers {
  CachedLists* lists = nullptr;  // null with --no-list-cache
  NamespaceLists* namespaces = nullptr;

  std::optional<wax::http::Response> answer(const std::string& key,
                                            const wax::http::Request& request,
                                            const wax::auth::Identity& who) {
    if (lists != nullptr && request.method != "GET") {
      lists->noteWrite();
      return std::nullopt;
    }
    if (auto answer = namespaces->answer(key, who)) {
      return answer;
    }
    return lists != nullptr ? lists->answer(key, request, who) : std::nullopt;
  }
};

// Checks the token of a request that has a body before the body is read, so that no one
// without a valid token can make wax-api read (and hold) up to --max-body-mib first. The route
// checks it again, from the authenticator's memory. Requests without a body are left to the
// route, so that their token is verified once.
wax::http::Filter tokenBeforeBody(const wax::api::Authenticate& authenticate) {
  return [authenticate](const wax::http::Request& request) -> std::optional<wax::http::Response> {
    const bool hasBody =
        request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
    if (!hasBody || wax::api::isPublicPath(request.path)) {
      return std::nullopt;
    }
    auto identity = authenticate(request);
    if (auto* refusal = std::get_if<wax::http::Response>(&identity)) {
      return std::move(*refusal);
    }
    return std::nullopt;
  };
}

// Each API route, served by the handlers of the caller's identity. The routes are learnt from
// a tenant of no one.
void registerTenantRoutes(wax::http::Server& server, const wax::api::Authenticate& authenticate,
                          Tenants& tenants, OwnAnswers& own, const wax::kube::Config& config,
                          const wax::kube::ClientOptions& clientOptions) {
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
                   auto identity = authenticate(request);
                   if (auto* refusal = std::get_if<wax::http::Response>(&identity)) {
                     return *refusal;
                   }
                   const auto& user = std::get<wax::auth::Identity>(identity);
                   if (auto answer = own.answer(key, request, user)) {
                     return std::move(*answer);
                   }
                   return tenants.of(user)->handlers.at(key)(request);
                 });
  }
}

int run(const Flags& flags) {
  const sigset_t stopSignals = wax::blockStopSignals();

  const auto providerOptions = wax::providerOptions(flags.api);
  wax::auth::Provider provider(providerOptions,
                               wax::auth::httpFetcher(flags.api.caFile, providerOptions.timeout));
  const wax::api::Authenticate authenticate =
      wax::api::OidcAuthenticator(provider, flags.api.claims, flags.api.tokenCache);

  wax::kube::Config config = wax::kube::loadConfig({flags.kubeconfig, flags.context, ""});
  wax::kube::ClientOptions clientOptions;
  clientOptions.userAgent = fmt::format("wax-api/{}", wax::kVersion);
  Tenants tenants(config, clientOptions);

  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics = std::make_shared<wax::http::HttpMetrics>(*registry);
  const auto [host, port] = wax::flags::splitListenAddress(flags.address);
  const auto options = wax::serverOptions(flags.api, host, port, metrics);
  wax::http::Server server(options);
  server.filter(tokenBeforeBody(authenticate));
  wax::api::registerHealthRoutes(server);
  wax::api::registerDocsRoutes(server);
  wax::http::registerMetricsRoute(server, registry);
  wax::api::registerAuthRoutes(server, wax::loginConfig(flags.api), authenticate);
  wax::kube::Client own(config, clientOptions);
  wax::cluster::AccessReviews reviews(own);
  NamespaceLists namespaces(own, reviews);
  std::unique_ptr<CachedLists> cached;
  if (flags.listCache) {
    cached = std::make_unique<CachedLists>(own, reviews);
    cached->start();
  }
  OwnAnswers answers{cached.get(), &namespaces};
  registerTenantRoutes(server, authenticate, tenants, answers, config, clientOptions);
  const uint16_t bound = server.start();
  log()->info("serving version={} address={}:{} issuer={} cluster={}", wax::kVersion, options.host,
              bound, providerOptions.issuer, wax::kube::describe(config));
  int received = 0;
  sigwait(&stopSignals, &received);
  log()->info("stopping signal={}", received);
  server.stop();
  if (cached) {
    cached->stop();
  }
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
  wax::addOidcFlags(app, flags.api, true);
  wax::addHttpFlags(app, flags.api);
  app.add_flag("--list-cache,!--no-list-cache", flags.listCache,
               "Answer lists of Dataflows from a watch cache, checked with SubjectAccessReviews "
               "(wax-api then needs list and watch on dataflows, and create on "
               "subjectaccessreviews)")
      ->capture_default_str();
  app.add_option("--log-level", flags.logLevel, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  return wax::serverMain(app, argc, argv, flags.logLevel, [&flags] { return run(flags); });
}
