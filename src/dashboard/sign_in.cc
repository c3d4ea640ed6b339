#include "dashboard/sign_in.h"

#include <openssl/crypto.h>

#include <ctime>

#include <fmt/format.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/url.h"

namespace wax::dashboard {

namespace oidc = auth::oidc;

namespace {

[[noreturn]] void refuse(const std::string& message) {
  throw Error(ErrorCode::Unauthorized, message);
}

bool sameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string safeReturnPath(const std::string& path) {
  // "//host" and "/\host" are other sites to a browser; control characters have no place here.
  const bool local = path.size() > 1 && path[0] == '/' && path[1] != '/' && path[1] != '\\' &&
                     path.find_first_of("\r\n\t") == std::string::npos;
  return local ? path : "/ui/dataflows";
}

OidcSignIn::OidcSignIn(OidcSignInOptions options, std::unique_ptr<auth::Provider> idTokens, Now now)
    : options_(std::move(options)),
      idTokens_(std::move(idTokens)),
      now_(std::move(now)),
      endpoints_(oidc::discover(options_.issuer, options_.http)) {}

std::string OidcSignIn::begin(const std::string& returnTo, const std::string& binding) {
  Attempt attempt;
  attempt.nonce = oidc::randomToken();
  attempt.pkce = oidc::makePkce();
  attempt.returnTo = safeReturnPath(returnTo);
  attempt.startedAt = now_();
  attempt.bindingDigest = sha256Hex(binding);
  const std::string state = oidc::randomToken();
  const std::string url =
      oidc::authorizationUrl(endpoints_, {options_.client.id, redirectUri(), options_.scopes, state,
                                          attempt.nonce, attempt.pkce.challenge});
  std::lock_guard lock(mutex_);
  for (auto it = attempts_.begin(); it != attempts_.end();) {
    const bool old = attempt.startedAt - it->second.startedAt > options_.attemptTimeout;
    it = old ? attempts_.erase(it) : std::next(it);
  }
  if (attempts_.size() >= options_.maxAttempts) {
    throw Error(ErrorCode::Unavailable,
                "too many sign-ins are under way at once; try again in a few minutes");
  }
  attempts_[state] = std::move(attempt);
  return url;
}

// Each attempt answers once: a replayed answer finds nothing.
OidcSignIn::Attempt OidcSignIn::take(const std::string& state, const std::string& binding) {
  std::lock_guard lock(mutex_);
  const auto it = attempts_.find(state);
  if (it == attempts_.end()) {
    refuse("this sign-in is unknown, was used already or took too long; sign in again");
  }
  Attempt attempt = std::move(it->second);
  attempts_.erase(it);
  if (now_() - attempt.startedAt > options_.attemptTimeout) {
    refuse("the sign-in took too long; sign in again");
  }
  // RFC 6749 section 10.12: the answer must come to the browser that asked, or someone could
  // sign a victim's browser in as themselves with their own code.
  if (!sameSecret(sha256Hex(binding), attempt.bindingDigest)) {
    refuse("this sign-in was started in another browser or tab; sign in again from here");
  }
  return attempt;
}

OidcSignIn::Completed OidcSignIn::complete(const std::string& code, const std::string& state,
                                           const std::string& iss, const std::string& binding) {
  Attempt attempt = take(state, binding);
  // RFC 9207: a provider that names itself must be ours (a mix-up attack names another).
  if (!iss.empty() && iss != endpoints_.issuer) {
    refuse(fmt::format("the sign-in answer comes from issuer \"{}\", not \"{}\"", iss,
                       endpoints_.issuer));
  }
  if (code.empty()) {
    refuse("the provider's answer carries no code; sign in again");
  }
  auto tokens = oidc::exchangeCode(endpoints_, options_.client, code, attempt.pkce, redirectUri(),
                                   options_.http);
  Completed completed;
  completed.session.identity = identityOf(tokens, attempt.nonce);
  completed.session.tokens = std::move(tokens);
  completed.returnTo = attempt.returnTo;
  return completed;
}

// The ID token names the user: its signature, issuer, audience (our client) and times are the
// provider's checks, and its nonce ties it to this sign-in (OpenID Connect Core 3.1.3.7).
auth::Identity OidcSignIn::identityOf(const oidc::Tokens& tokens, const std::string& nonce) {
  if (tokens.idToken.empty()) {
    refuse("the provider sent no ID token; the dashboard's scopes must include openid");
  }
  const auto verified = idTokens_->verify(tokens.idToken);
  if (verified.claims.value("nonce", "") != nonce) {
    refuse("the ID token does not answer this sign-in (wrong nonce); sign in again");
  }
  return auth::identityOf(verified.claims, options_.claims);
}

void OidcSignIn::refreshIfDue(Session& session) {
  const int64_t endsAt = session.tokens.expiresAt;
  const int64_t now = Clock::to_time_t(now_());
  if (session.owner || endsAt == 0 || now < endsAt - options_.refreshAhead.count()) {
    return;
  }
  if (session.tokens.refreshToken.empty()) {
    refuse("the session has ended; sign in again");
  }
  auto fresh =
      oidc::refresh(endpoints_, options_.client, session.tokens.refreshToken, options_.http);
  // A provider may keep the refresh token (no rotation) or the ID token.
  if (fresh.refreshToken.empty()) {
    fresh.refreshToken = session.tokens.refreshToken;
  }
  if (fresh.idToken.empty()) {
    fresh.idToken = session.tokens.idToken;
  }
  session.tokens = std::move(fresh);
}

std::string OidcSignIn::signOut(const Session& session) {
  oidc::revoke(endpoints_, options_.client, session.tokens.refreshToken, options_.http);
  const std::string back = options_.baseUrl + "/logout";
  if (endpoints_.endSession.empty()) {
    return back;
  }
  const std::string separator = endpoints_.endSession.find('?') == std::string::npos ? "?" : "&";
  std::string url = endpoints_.endSession + separator +
                    "post_logout_redirect_uri=" + urlEncode(back) +
                    "&client_id=" + urlEncode(options_.client.id);
  if (!session.tokens.idToken.empty()) {
    url += "&id_token_hint=" + urlEncode(session.tokens.idToken);
  }
  return url;
}

SignInLinks::SignInLinks(std::chrono::seconds ttl, Now now) : ttl_(ttl), now_(std::move(now)) {}

std::string SignInLinks::mint() {
  const std::string code = oidc::randomToken();
  const auto now = now_();
  std::lock_guard lock(mutex_);
  std::erase_if(codes_, [now](const auto& entry) { return entry.second <= now; });
  if (codes_.size() >= kMaxOutstanding) {
    codes_.erase(codes_.begin());
  }
  codes_[sha256Hex(code)] = now + ttl_;
  return code;
}

bool SignInLinks::redeem(const std::string& code) {
  if (code.empty()) {
    return false;
  }
  std::lock_guard lock(mutex_);
  const auto it = codes_.find(sha256Hex(code));
  if (it == codes_.end()) {
    return false;
  }
  const bool live = now_() < it->second;
  codes_.erase(it);
  return live;
}

}  // namespace wax::dashboard
