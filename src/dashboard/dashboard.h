#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dashboard/assets.h"
#include "dashboard/sessions.h"
#include "dashboard/sign_in.h"
#include "http/server.h"

// The dashboard's server side, on the same server as the API it calls (waxd serves both on one
// port): the front end's files, the sign-in and sign-out pages, and the session that turns the
// browser's cookie into the credentials of its user for every API request.
//
// Paths (the Bytewax Platform's redirect URIs are /login and /logout):
//   GET  /, /ui/...              the front end (index.html; its router draws the page)
//   GET  /assets/..., /favicon.* its files
//   GET  /login                  starts a sign-in at the provider, or takes its answer
//   GET  /logout                 where the provider sends the browser after signing out
//   GET  /auth/session           who is signed in, the CSRF token, how to sign in, branding
//   POST /auth/session/sign-in   {"code"}: trades a one-time link's code for a session
//   POST /auth/session/logout    ends the session; answers where the browser goes next
//   POST /auth/sign-in-links     mints a one-time link: {"path"} (waxd's own token only)
namespace wax::dashboard {

// What the Bytewax Platform lets an installation change: dashboard.title, faviconUrl, themeUrl.
struct Branding {
  std::string title = "Wax";
  std::string faviconUrl;  // empty: the front end's own
  std::string themeUrl;    // a stylesheet loaded after the front end's; empty: none
};

struct DashboardOptions {
  // The dashboard's public URL, e.g. https://wax.example.com; https makes its cookies Secure.
  // Empty when unknown (waxd on a port picked at start): its own links are then relative.
  std::string baseUrl;
  Branding branding;
  // Where sessions act with waxd's own token (one-time links): that token.
  std::string ownerToken;
};

class Dashboard {
 public:
  // `signIn` null: sessions come from one-time links (waxd without a provider).
  Dashboard(DashboardOptions options, std::span<const Asset> assets,
            std::unique_ptr<OidcSignIn> signIn);
  ~Dashboard();

  void registerRoutes(http::Routes& routes);
  // Turns a request's session cookie into its Authorization header, after checking the CSRF
  // token of a change; a request that brings its own Authorization is left as it is.
  http::Rewriter credentials();
  // The path (with its fragment) of a link that signs one browser in, once (link mode only).
  std::string mintSignInLink(const std::string& page = "/ui/dataflows");

  static bool isPublicPath(const std::string& path);
  // `filter`, except for the dashboard's public paths, which it lets through: the page and its
  // files load before anyone signs in.
  static http::Filter exceptPublicPaths(http::Filter filter);
  SessionStore& sessions() { return sessions_; }

 private:
  class Routes;
  std::shared_ptr<const Session> sessionOf(const http::Request& request);
  bool refreshed(const std::string& id, Session& session);
  // The cookie that carries the session id; `__Host-` (no Domain, Path /, Secure) over TLS.
  std::string sessionCookie() const { return secure_ ? "__Host-wax_session" : "wax_session"; }
  // The front end's files at the site root (favicon.ico...): each gets its own route.
  std::vector<std::string> builtAssetsAtRoot() const;

  DashboardOptions options_;
  AssetServer assets_;
  std::unique_ptr<OidcSignIn> signIn_;
  SignInLinks links_;
  SessionStore sessions_;
  bool secure_;  // served over TLS: cookies are Secure and __Host- prefixed
};

// The value of cookie `name` in the request's Cookie header, or "".
std::string cookieValue(const http::Request& request, const std::string& name);

}  // namespace wax::dashboard
