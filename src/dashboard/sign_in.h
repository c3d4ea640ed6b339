#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "auth/identity.h"
#include "auth/oidc.h"
#include "auth/oidc_client.h"
#include "dashboard/sessions.h"

// The two ways into the dashboard: the OpenID provider (the authorization code flow with PKCE,
// done by the dashboard's server, so that tokens never reach the browser), and, in local mode
// without a provider, a one-time link that waxd prints.
namespace wax::dashboard {

struct OidcSignInOptions {
  std::string issuer;
  auth::oidc::Client client;  // without a secret: a public client, as `pkce: true` asks
  std::string scopes = "openid profile email offline_access";
  std::string baseUrl;  // the dashboard's public URL; the provider redirects to baseUrl/login
  auth::oidc::HttpOptions http;
  auth::ClaimNames claims;
  // Access tokens are refreshed this long before they end, so that no request carries one
  // that ends on its way.
  std::chrono::seconds refreshAhead{60};
  std::chrono::seconds attemptTimeout{600};  // from the redirect to the provider to its answer
  size_t maxAttempts = 1000;                 // sign-ins under way at once
};

class OidcSignIn {
 public:
  using Now = std::function<Clock::time_point()>;
  // Reads the provider's discovery document; `idTokens` checks ID tokens, so its audience must
  // be the dashboard's client id. Throws wax::Error when the provider cannot be reached.
  OidcSignIn(OidcSignInOptions options, std::unique_ptr<auth::Provider> idTokens,
             Now now = Clock::now);

  std::string redirectUri() const { return options_.baseUrl + "/login"; }
  // Starts a sign-in that returns to `returnTo` (a path of this site) once done; `binding` is
  // the value of a cookie that ties the provider's answer to this browser. Returns the URL of
  // the provider's authorization endpoint with this request.
  std::string begin(const std::string& returnTo, const std::string& binding);

  struct Completed {
    Session session;
    std::string returnTo;
  };
  // The provider's answer at /login: checks state, the browser binding and the issuer, trades
  // the code for tokens and checks the ID token with its nonce. Throws wax::Error
  // (Unauthorized) with the reason in words.
  Completed complete(const std::string& code, const std::string& state, const std::string& iss,
                     const std::string& binding);

  // Refreshes the session's tokens when they end within refreshAhead. Throws wax::Error
  // (Unauthorized) when that fails: the session is over and the user signs in again.
  void refreshIfDue(Session& session);
  // Where the browser goes to sign out: the provider's end_session_endpoint (RP-initiated
  // logout) back to baseUrl/logout, or baseUrl/logout itself when the provider has none.
  // Revokes the refresh token first, where the provider can.
  std::string signOut(const Session& session);

 private:
  struct Attempt {
    std::string bindingDigest;
    std::string nonce;
    auth::oidc::Pkce pkce;
    std::string returnTo;
    Clock::time_point startedAt;
  };
  Attempt take(const std::string& state, const std::string& binding);
  auth::Identity identityOf(const auth::oidc::Tokens& tokens, const std::string& nonce);

  OidcSignInOptions options_;
  std::unique_ptr<auth::Provider> idTokens_;
  Now now_;
  auth::oidc::Endpoints endpoints_;
  std::mutex mutex_;
  std::map<std::string, Attempt> attempts_;  // by state; guarded by mutex_
};

// waxd's one-time sign-in links: each code signs one browser in, once, within `ttl`.
class SignInLinks {
 public:
  using Now = std::function<Clock::time_point()>;
  explicit SignInLinks(std::chrono::seconds ttl = std::chrono::minutes(15), Now now = Clock::now);

  std::string mint();
  // True once for a code that was minted and has not ended.
  bool redeem(const std::string& code);

 private:
  static constexpr size_t kMaxOutstanding = 100;
  std::chrono::seconds ttl_;
  Now now_;
  std::mutex mutex_;
  std::map<std::string, Clock::time_point> codes_;  // SHA-256 of a code -> its end
};

// `path` when it is a path of this site ("/ui/..."), else the dataflows page: the return
// address comes from the address bar, so it must not send anyone to another site.
std::string safeReturnPath(const std::string& path);

}  // namespace wax::dashboard
