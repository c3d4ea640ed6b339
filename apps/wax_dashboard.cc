// wax-dashboard: the dashboard for a cluster. It serves the front end, signs users in through
// the OpenID provider (the authorization code flow with PKCE, tokens kept on this server), and
// passes the page's API calls on to WaxAPI with the user's token, so that WaxAPI and the
// cluster's RBAC decide what each user sees.
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "api/api.h"
#include "api_flags.h"
#include "common/logging.h"
#include "common/version.h"
#include "dashboard/api_proxy.h"
#include "dashboard_flags.h"
#include "server_main.h"

namespace {

struct Flags {
  std::string address = "127.0.0.1:8080";
  std::string apiUrl;
  bool pkce = false;
  wax::ApiFlags api;
  wax::DashboardFlags dashboard;
  std::string logLevel = "info";
};

std::shared_ptr<spdlog::logger> log() {
  return wax::logger("wax-dashboard");
}

// The provider sends browsers back to URL/login, so the URL must be known. The Bytewax
// Platform's `pkce: false` means a confidential client: it must have its secret.
void checkClient(const Flags& flags) {
  if (flags.dashboard.url.empty()) {
    throw std::runtime_error(
        "--url (WAX_DASHBOARD_URL) is required: the dashboard's public URL, whose /login is a "
        "redirect URI of the client at the provider");
  }
  if (!flags.pkce && flags.dashboard.clientSecret.empty()) {
    throw std::runtime_error(
        "the dashboard's client has no secret: set WAX_OIDC_CLIENT_SECRET (--client-secret), "
        "or --pkce (WAX_OIDC_PKCE=true) to sign in as a public client");
  }
}

int run(const Flags& flags) {
  const sigset_t stopSignals = wax::blockStopSignals();
  checkClient(flags);
  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics = std::make_shared<wax::http::HttpMetrics>(*registry);
  const auto [host, port] = wax::flags::splitListenAddress(flags.address);
  wax::http::Server server(wax::serverOptions(flags.api, host, port, metrics));

  auto dashboard = wax::makeDashboard(flags.dashboard, flags.api, "");
  server.rewrite(dashboard->credentials());
  dashboard->registerRoutes(server);
  wax::dashboard::ApiProxy proxy({flags.apiUrl, flags.api.caFile});
  proxy.registerRoutes(server);
  wax::api::registerHealthRoutes(server);
  wax::http::registerMetricsRoute(server, registry);

  const uint16_t bound = server.start();
  log()->info("serving version={} address={}:{} url={} api={} issuer={}", wax::kVersion, host,
              bound, flags.dashboard.url, flags.apiUrl, flags.api.authIssuer);
  int received = 0;
  sigwait(&stopSignals, &received);
  log()->info("stopping signal={}", received);
  server.stop();
  return 0;
}

void addFlags(CLI::App& app, Flags& flags) {
  app.add_option("--listen", flags.address, "HOST:PORT to serve on; port 0 picks one")
      ->check(wax::flags::listenAddress())
      ->capture_default_str();
  app.add_option("--api-url", flags.apiUrl, "WaxAPI's URL, e.g. http://wax-api.wax.svc")
      ->check(wax::flags::httpUrl())
      ->envname("WAX_API_URL")
      ->required();
  wax::addOidcFlags(app, flags.api, true);
  wax::addHttpFlags(app, flags.api);
  wax::addDashboardFlags(app, flags.dashboard);
  app.add_option("--url", flags.dashboard.url, "Same as --dashboard-url");
  app.add_option("--client-secret", flags.dashboard.clientSecret,
                 "Same as --dashboard-client-secret (the Bytewax Platform's clientSecret)")
      ->envname("WAX_OIDC_CLIENT_SECRET");
  app.add_option("--title", flags.dashboard.branding.title, "Same as --dashboard-title");
  app.add_flag("--pkce", flags.pkce,
               "Sign in as a public client, without a secret (the platform's `pkce: true`)")
      ->envname("WAX_OIDC_PKCE");
  app.add_option("--log-level", flags.logLevel, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wax-dashboard: the Wax dashboard for a Kubernetes cluster, in front of WaxAPI",
               "wax-dashboard"};
  Flags flags;
  app.set_version_flag("--version",
                       fmt::format("wax-dashboard {} (commit {})", wax::kVersion, wax::kGitCommit));
  addFlags(app, flags);
  return wax::serverMain(app, argc, argv, flags.logLevel, [&flags] { return run(flags); });
}
