#pragma once
// The flags of the dashboard, served by waxd beside its API: how it signs users in (the same
// OpenID provider as the API, or waxd's one-time links without one) and its branding.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "api_flags.h"
#include "dashboard/dashboard.h"

namespace wax {

struct DashboardFlags {
  std::string url;  // the public URL; the provider sends browsers back to URL/login
  std::string clientId;
  std::string clientSecret;
  std::string scopes = "openid profile email offline_access";
  dashboard::Branding branding;
};

inline void addDashboardFlags(CLI::App& app, DashboardFlags& flags) {
  app.add_option("--dashboard-url", flags.url,
                 "The dashboard's public URL (with --auth-issuer, URL/login must be a redirect "
                 "URI of the dashboard's client); default: http://HOST:PORT with --port")
      ->check(flags::httpUrl())
      ->envname("WAX_DASHBOARD_URL");
  app.add_option("--dashboard-client-id", flags.clientId,
                 "The OpenID client the dashboard signs users in as; default: --client-id")
      ->envname("WAX_DASHBOARD_CLIENT_ID");
  app.add_option("--dashboard-client-secret", flags.clientSecret,
                 "Its secret; none makes it a public client (PKCE only, the platform's "
                 "`pkce: true`). Prefer the environment variable, which ps does not show")
      ->envname("WAX_DASHBOARD_CLIENT_SECRET");
  app.add_option("--dashboard-scopes", flags.scopes, "The scopes the dashboard asks for")
      ->capture_default_str();
  app.add_option("--dashboard-title", flags.branding.title, "The title the dashboard shows")
      ->capture_default_str();
  app.add_option("--dashboard-favicon-url", flags.branding.faviconUrl,
                 "An icon for the dashboard's pages");
  app.add_option("--dashboard-theme-url", flags.branding.themeUrl,
                 "A stylesheet loaded after the dashboard's own");
}

// The dashboard for a server whose API checks tokens of `api`'s provider, or waxd's own token
// (`ownerToken`) when there is none. Throws wax::Error when the provider cannot be reached.
inline std::unique_ptr<dashboard::Dashboard> makeDashboard(const DashboardFlags& flags,
                                                           const ApiFlags& api,
                                                           const std::string& ownerToken) {
  dashboard::DashboardOptions options{flags.url, flags.branding, ownerToken};
  std::unique_ptr<dashboard::OidcSignIn> signIn;
  if (!api.authIssuer.empty() && !flags.url.empty()) {
    dashboard::OidcSignInOptions oidc;
    oidc.issuer = api.authIssuer;
    oidc.client = {flags.clientId.empty() ? api.clientId : flags.clientId, flags.clientSecret};
    oidc.scopes = flags.scopes;
    oidc.baseUrl = flags.url;
    oidc.http.caFile = api.caFile;
    oidc.claims = api.claims;
    // ID tokens are for the dashboard's client, whatever audience the API's tokens carry.
    auto idTokenOptions = providerOptions(api);
    idTokenOptions.audiences = {oidc.client.id};
    signIn = std::make_unique<dashboard::OidcSignIn>(
        std::move(oidc),
        std::make_unique<auth::Provider>(idTokenOptions,
                                         auth::httpFetcher(api.caFile, idTokenOptions.timeout)));
  }
  return std::make_unique<dashboard::Dashboard>(std::move(options), dashboard::builtAssets(),
                                                std::move(signIn));
}

}  // namespace wax
