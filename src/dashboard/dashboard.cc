#include "dashboard/dashboard.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/logging.h"
#include "common/time.h"
#include "common/url.h"

namespace wax::dashboard {

namespace {

using nlohmann::json;

constexpr const char* kIndex = "/index.html";
constexpr int kBindingMaxAgeSeconds = 600;

constexpr const char* kViaSession = "x-wax-via-session";

// Only a JSON body: a form's types (text/plain among them) cross sites without a preflight.
bool isJson(const http::Request& request) {
  std::string type = request.header("content-type").value_or("");
  type = type.substr(0, type.find(';'));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  return type == "application/json";
}

bool isChange(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool sameSecret(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "https://cdn.example.com/theme.css" -> "https://cdn.example.com"; "" for a relative URL.
std::string originOf(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    return "";
  }
  return url.substr(0, url.find('/', scheme + 3));
}

http::Response redirect(const std::string& location) {
  http::Response response;
  response.status = 303;
  response.contentType = "text/plain";
  response.headers["Location"] = location;
  response.headers["Cache-Control"] = "no-store";
  return response;
}

http::Response jsonResponse(const json& body) {
  http::Response response;
  response.body = body.dump();
  response.headers["Cache-Control"] = "no-store";
  return response;
}

std::string rfc3339(int64_t unixSeconds) {
  return formatRfc3339(std::chrono::system_clock::from_time_t(static_cast<time_t>(unixSeconds)));
}

}  // namespace

std::string cookieValue(const http::Request& request, const std::string& name) {
  const std::string header = request.header("cookie").value_or("");
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(';', start);
    if (end == std::string::npos) {
      end = header.size();
    }
    std::string_view pair(header.data() + start, end - start);
    while (!pair.empty() && pair.front() == ' ') {
      pair.remove_prefix(1);
    }
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    start = end + 1;
  }
  return "";
}

// The handlers, apart from the Dashboard's state so that each stays short.
class Dashboard::Routes {
 public:
  explicit Routes(Dashboard& dashboard) : d_(dashboard) {}

  std::string sessionCookie() const { return d_.sessionCookie(); }
  std::string bindingCookie() const { return d_.secure_ ? "__Host-wax_login" : "wax_login"; }

  // HttpOnly: no script reads it. SameSite=Lax: it comes along when the provider sends the
  // browser back (a top-level navigation), and never with another site's POST.
  std::string setCookie(const std::string& name, const std::string& value, int maxAge) const {
    return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Lax{}{}", name, value,
                       d_.secure_ ? "; Secure" : "",
                       maxAge >= 0 ? fmt::format("; Max-Age={}", maxAge) : "");
  }

  http::Response page(const http::Request& request, int status = 200) const {
    auto response = d_.assets_.serve(kIndex, request);
    if (!response) {
      return http::errorResponse(503, "ServiceUnavailable",
                                 "this build carries no dashboard front end; build it with "
                                 "`make build` (it needs Node.js and npm)");
    }
    if (response->status == 200) {
      response->status = status;
    }
    addPageHeaders(*response);
    return std::move(*response);
  }

  // The page loads nothing from elsewhere but the branding an installation names.
  void addPageHeaders(http::Response& response) const {
    const auto& branding = d_.options_.branding;
    const std::string favicon = originOf(branding.faviconUrl);
    const std::string theme = originOf(branding.themeUrl);
    response.headers["Content-Security-Policy"] = fmt::format(
        "default-src 'self'; img-src 'self' data: {}; style-src 'self' 'unsafe-inline' {}; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'",
        favicon, theme);
    response.headers["X-Frame-Options"] = "DENY";
    response.headers["Referrer-Policy"] = "same-origin";
  }

  http::Response asset(const http::Request& request) const {
    if (auto response = d_.assets_.serve(request.path, request)) {
      return std::move(*response);
    }
    return http::errorResponse(404, "NotFound", "no such file: " + request.path);
  }

  http::Response login(const http::Request& request) const {
    if (!d_.signIn_ || request.queryValue("error")) {
      return page(request);  // the front end says what went wrong, or how to sign in
    }
    if (request.queryValue("code") || request.queryValue("state")) {
      return completeSignIn(request);
    }
    std::string binding = cookieValue(request, bindingCookie());
    if (binding.size() != 43) {  // one per browser, so that sign-ins in two tabs both work
      binding = auth::oidc::randomToken();
    }
    const std::string url =
        d_.signIn_->begin(request.queryValue("return_to").value_or(""), binding);
    auto response = redirect(url);
    response.headers["Set-Cookie"] = setCookie(bindingCookie(), binding, kBindingMaxAgeSeconds);
    return response;
  }

  http::Response completeSignIn(const http::Request& request) const {
    try {
      auto completed = d_.signIn_->complete(
          request.queryValue("code").value_or(""), request.queryValue("state").value_or(""),
          request.queryValue("iss").value_or(""), cookieValue(request, bindingCookie()));
      const std::string user = completed.session.identity.user;
      const std::string id = d_.sessions_.create(std::move(completed.session));
      logger("dashboard")->info("signed in user={}", user);
      auto response = redirect(completed.returnTo);
      response.headers["Set-Cookie"] = setCookie(sessionCookie(), id, -1);
      return response;
    } catch (const Error& error) {
      logger("dashboard")->warn("sign-in refused reason={}", error.what());
      return redirect("/login?error=sign_in_failed&error_description=" + urlEncode(error.what()));
    }
  }

  http::Response session(const http::Request& request) const {
    const auto& branding = d_.options_.branding;
    json body = {{"authenticated", false},
                 {"signIn", d_.signIn_ ? "oidc" : "link"},
                 {"branding",
                  {{"title", branding.title},
                   {"faviconUrl", branding.faviconUrl},
                   {"themeUrl", branding.themeUrl}}}};
    if (const auto session = d_.sessionOf(request)) {
      body["authenticated"] = true;
      body["user"] = session->identity.user;
      body["groups"] = session->identity.groups;
      body["csrfToken"] = session->csrfToken;
      if (session->tokens.expiresAt != 0) {
        body["expiresAt"] = rfc3339(session->tokens.expiresAt);
      }
    }
    return jsonResponse(body);
  }

  http::Response signInWithLink(const http::Request& request) const {
    if (d_.signIn_) {
      throw Error(ErrorCode::BadRequest,
                  "this dashboard signs users in through its OpenID provider: open /login");
    }
    if (!isJson(request)) {
      throw Error(ErrorCode::BadRequest, "send the code as JSON: {\"code\": \"...\"}");
    }
    const auto body = json::parse(request.body, nullptr, false);
    const auto code = body.is_object() ? body.find("code") : body.end();
    if (!body.is_object() || code == body.end() || !code->is_string()) {
      throw Error(ErrorCode::BadRequest, "code: give the code of the sign-in link as a string");
    }
    if (!d_.links_.redeem(code->get<std::string>())) {
      throw Error(ErrorCode::Unauthorized,
                  "this sign-in link was used already or has ended; run `waxctl local "
                  "dashboard` for a new one");
    }
    Session session;
    session.identity = auth::Identity{"owner", {}};
    session.owner = true;
    const std::string id = d_.sessions_.create(std::move(session));
    logger("dashboard")->info("signed in with a one-time link");
    auto response = jsonResponse({{"authenticated", true}});
    response.headers["Set-Cookie"] = setCookie(sessionCookie(), id, -1);
    return response;
  }

  http::Response signOut(const http::Request& request) const {
    const std::string id = cookieValue(request, sessionCookie());
    std::string next = d_.options_.baseUrl + "/logout";  // relative when the URL is unknown
    if (const auto live = d_.sessions_.find(id)) {
      Session session;
      {
        std::lock_guard lock(live->mutex);
        session = live->session;
      }
      d_.sessions_.end(id);
      if (d_.signIn_ && !session.owner) {
        next = d_.signIn_->signOut(session);
      }
      logger("dashboard")->info("signed out user={}", session.identity.user);
    }
    auto response = jsonResponse({{"redirect", next}});
    response.headers["Set-Cookie"] = setCookie(sessionCookie(), "", 0);
    return response;
  }

  // A link's session acts as the owner, so only the owner's own token may mint one: a user
  // whom the API lets in with a provider's token must not turn it into the owner's powers.
  http::Response mintLink(const http::Request& request) const {
    if (d_.signIn_) {
      throw Error(ErrorCode::BadRequest,
                  "this dashboard signs users in through its OpenID provider, not with links");
    }
    const std::string given = request.header("authorization").value_or("");
    // A session's own credentials do not count: a link's session would otherwise outlive its
    // end by minting the next link.
    if (request.header(kViaSession) || !sameSecret(given, "Bearer " + d_.options_.ownerToken)) {
      throw Error(ErrorCode::Forbidden,
                  "only waxd's own token (the token file) may make sign-in links; run `waxctl "
                  "local dashboard` as the user who started waxd");
    }
    return jsonResponse({{"path", d_.mintSignInLink()}});
  }

 private:
  Dashboard& d_;
};

Dashboard::Dashboard(DashboardOptions options, std::span<const Asset> assets,
                     std::unique_ptr<OidcSignIn> signIn)
    : options_(std::move(options)),
      assets_(assets),
      signIn_(std::move(signIn)),
      secure_(options_.baseUrl.starts_with("https://")) {}

Dashboard::~Dashboard() = default;

bool Dashboard::isPublicPath(const std::string& path) {
  for (const char* open : {"/", "/ui", "/login", "/logout", "/auth/session",
                           "/auth/session/sign-in", "/auth/session/logout"}) {
    if (path == open) {
      return true;
    }
  }
  // Files at the root (favicon.ico, robots.txt...) are the front end's too.
  const bool rootFile = path.size() > 1 && path.find('/', 1) == std::string::npos &&
                        path.find('.') != std::string::npos;
  return rootFile || path.starts_with("/ui/") || path.starts_with("/assets/");
}

http::Filter Dashboard::exceptPublicPaths(http::Filter filter) {
  return
      [filter = std::move(filter)](const http::Request& request) -> std::optional<http::Response> {
        return isPublicPath(request.path) ? std::nullopt : filter(request);
      };
}

void Dashboard::registerRoutes(http::Routes& routes) {
  auto handlers = std::make_shared<Routes>(*this);
  auto bind = [handlers](http::Response (Routes::*handler)(const http::Request&) const) {
    return [handlers, handler](const http::Request& request) {
      return ((*handlers).*handler)(request);
    };
  };
  auto page = [handlers](const http::Request& request) { return handlers->page(request); };
  for (const char* path : {"/", "/ui", "/ui/{page...}", "/logout"}) {
    routes.route("GET", path, page);
  }
  routes.route("GET", "/assets/{file...}", bind(&Routes::asset));
  for (const auto& file : builtAssetsAtRoot()) {
    routes.route("GET", file, bind(&Routes::asset));
  }
  routes.route("GET", "/login", bind(&Routes::login));
  routes.route("GET", "/auth/session", bind(&Routes::session));
  routes.route("POST", "/auth/session/sign-in", bind(&Routes::signInWithLink));
  routes.route("POST", "/auth/session/logout", bind(&Routes::signOut));
  routes.route("POST", "/auth/sign-in-links", bind(&Routes::mintLink));
}

std::vector<std::string> Dashboard::builtAssetsAtRoot() const {
  std::vector<std::string> paths;
  for (const auto& asset : assets_.all()) {
    if (asset.path != kIndex && !asset.path.starts_with("/assets/")) {
      paths.emplace_back(asset.path);
    }
  }
  return paths;
}

std::shared_ptr<const Session> Dashboard::sessionOf(const http::Request& request) {
  const std::string cookie = sessionCookie();
  const auto live = sessions_.find(cookieValue(request, cookie));
  if (!live) {
    return nullptr;
  }
  std::lock_guard lock(live->mutex);
  return std::make_shared<const Session>(live->session);
}

http::Rewriter Dashboard::credentials() {
  return [this](http::Request& request) -> std::optional<http::Response> {
    request.headers.erase(kViaSession);  // only this rewriter says so
    if (request.headers.count("authorization") != 0) {
      return std::nullopt;
    }
    const std::string id = cookieValue(request, sessionCookie());
    const auto live = sessions_.find(id);
    if (!live) {
      return std::nullopt;  // the route answers as it would without a cookie
    }
    std::lock_guard lock(live->mutex);
    // A page of another site can make the browser send the cookie, but cannot read the token
    // that our page sends back with each change.
    if (isChange(request.method) && request.path != "/auth/session/sign-in" &&
        !sameSecret(request.header("x-csrf-token").value_or(""), live->session.csrfToken)) {
      return http::errorResponse(403, "Forbidden",
                                 "this change lacks the dashboard's CSRF token (X-CSRF-Token); "
                                 "reload the page and try again");
    }
    if (!refreshed(id, live->session)) {
      return std::nullopt;
    }
    const auto& session = live->session;
    request.headers["authorization"] =
        "Bearer " + (session.owner ? options_.ownerToken : session.tokens.accessToken);
    request.headers[kViaSession] = "1";
    return std::nullopt;
  };
}

// False when the session has ended because its tokens could not be refreshed. A provider that
// cannot be reached ends nothing: the token may still be good, and the provider may return.
bool Dashboard::refreshed(const std::string& id, Session& session) {
  if (!signIn_) {
    return true;
  }
  try {
    signIn_->refreshIfDue(session);
    return true;
  } catch (const Error& error) {
    if (error.code() == ErrorCode::Unavailable) {
      logger("dashboard")
          ->warn("cannot refresh a session user={} error={}", session.identity.user, error.what());
      return true;
    }
    logger("dashboard")
        ->info("session ended user={} reason={}", session.identity.user, error.what());
    sessions_.end(id);
    return false;
  }
}

std::string Dashboard::mintSignInLink(const std::string& page) {
  return fmt::format("{}#sign-in={}", safeReturnPath(page), links_.mint());
}

}  // namespace wax::dashboard
