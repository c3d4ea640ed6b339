#pragma once

// The flags of the servers that serve WaxAPI (wax-api in a cluster, waxd on one machine): its
// OpenID provider, its HTTP limits and CORS, and what they turn into.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "api/access.h"
#include "auth/identity.h"
#include "auth/oidc.h"
#include "http/metrics.h"
#include "http/server.h"
#include "server_main.h"

namespace wax {

struct ApiFlags {
  std::string authIssuer;
  std::string clientId;
  std::vector<std::string> audiences;
  std::string caFile;
  auth::ClaimNames claims;
  std::string loginClientId;
  std::string loginScopes = "openid profile email offline_access";
  std::vector<std::string> corsOrigins;
  int maxBodyMiB = 16;
  int maxStreams = 24;
  std::string ioTimeout = "30s";
  bool tokenCache = true;
};

// The provider's flags; `required` for wax-api, which has no other way in.
inline void addOidcFlags(CLI::App& app, ApiFlags& flags, bool required) {
  auto* issuer = app.add_option("--auth-issuer", flags.authIssuer,
                                "The OpenID provider's issuer URL (the Bytewax Platform's "
                                "authIssuer)")
                     ->check(flags::httpUrl())
                     ->envname("WAX_OIDC_ISSUER");
  auto* client = app.add_option("--client-id", flags.clientId,
                                "The OpenID client (clientId); tokens must be for it unless "
                                "--audience says")
                     ->envname("WAX_OIDC_CLIENT_ID");
  if (required) {
    issuer->required();
    client->required();
  } else {
    issuer->needs(client);
    client->needs(issuer);
  }
  app.add_option("--audience", flags.audiences,
                 "An audience tokens may carry instead of the client id; repeatable");
  app.add_option("--ca-file", flags.caFile, "CA bundle for the provider's TLS")
      ->check(CLI::ExistingFile);
  app.add_option("--username-claim", flags.claims.username, "The claim that names the user")
      ->envname("WAX_OIDC_USERNAME_CLAIM")
      ->capture_default_str();
  app.add_option("--groups-claim", flags.claims.groups, "The claim that lists the user's groups")
      ->envname("WAX_OIDC_GROUPS_CLAIM")
      ->capture_default_str();
  app.add_option("--login-client-id", flags.loginClientId,
                 "The public client `waxctl login` signs in with; default: --client-id");
  app.add_option("--login-scopes", flags.loginScopes, "The scopes `waxctl login` asks for")
      ->capture_default_str();
  app.add_flag("--token-cache,!--no-token-cache", flags.tokenCache,
               "Remember verified tokens for 10 s; --no-token-cache verifies the signature of "
               "every request, to measure it in benchmarks")
      ->capture_default_str();
}

inline void addHttpFlags(CLI::App& app, ApiFlags& flags) {
  app.add_option("--cors-allow-origin", flags.corsOrigins,
                 "An origin (https://host[:port]) whose pages may call WaxAPI from a browser, "
                 "or * for any; repeatable")
      ->check(flags::corsOrigin());
  app.add_option("--max-body-mib", flags.maxBodyMiB, "The largest request body taken, in MiB")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--max-streams", flags.maxStreams,
                 "Log follows and watches open at once; more are refused with 503")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--io-timeout", flags.ioTimeout,
                 "Drop a client that sends or reads nothing for this long (e.g. 30s)")
      ->check(flags::duration())
      ->capture_default_str();
}

inline auth::ProviderOptions providerOptions(const ApiFlags& flags) {
  auth::ProviderOptions options;
  options.issuer = flags.authIssuer;
  options.audiences = flags.audiences.empty() ? std::vector{flags.clientId} : flags.audiences;
  options.caFile = flags.caFile;
  return options;
}

inline api::LoginConfig loginConfig(const ApiFlags& flags) {
  return {flags.authIssuer, flags.loginClientId.empty() ? flags.clientId : flags.loginClientId,
          flags.loginScopes};
}

// The server's limits and CORS from the flags; every answer is counted in `metrics`.
inline http::ServerOptions serverOptions(const ApiFlags& flags, const std::string& host,
                                         uint16_t port,
                                         std::shared_ptr<http::HttpMetrics> metrics) {
  http::ServerOptions options{host, port};
  options.maxStreams = flags.maxStreams;
  options.maxBodyBytes = static_cast<size_t>(flags.maxBodyMiB) * 1024 * 1024;
  options.ioTimeoutSeconds = flags::seconds(flags.ioTimeout);
  options.corsAllowedOrigins = flags.corsOrigins;
  options.observer = [metrics](const http::Request& request, int status, double seconds) {
    metrics->observe(request.route, request.method, status, seconds);
  };
  return options;
}

}  // namespace wax
