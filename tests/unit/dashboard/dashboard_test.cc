// The dashboard's server side in link mode (waxd without a provider), driven through the same
// dispatcher and session rewriter the server uses. Sign-in through a provider is tested end to
// end against a real one (tests/dashboard).
#include "dashboard/dashboard.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/router.h"

namespace wax::dashboard {
namespace {

using nlohmann::json;

constexpr char kOwnerToken[] = "owner-token";

const Asset kAssets[] = {
    {"/index.html", "text/html; charset=utf-8", "<html>wax</html>", "", "\"i1\""},
    {"/assets/index-abc.js", "text/javascript", "console.log(1)", "GZ", "\"j1\""},
    {"/favicon.svg", "image/svg+xml", "<svg/>", "", "\"f1\""},
};

class DashboardTest : public ::testing::Test {
 protected:
  DashboardTest() : dashboard_({"", {}, kOwnerToken}, kAssets, nullptr) {
    dashboard_.registerRoutes(dispatcher_);
    // What the API's routes see: the Authorization the rewriter put there.
    dispatcher_.route("POST", "/dataflows", [](const http::Request& request) {
      http::Response response;
      response.body = request.header("authorization").value_or("none");
      return response;
    });
  }

  http::Response send(http::Request request) {
    if (auto stop = dashboard_.credentials()(request)) {
      return *stop;
    }
    return dispatcher_.dispatch(request);
  }

  static http::Request request(const std::string& method, const std::string& path,
                               const std::string& cookie = "") {
    http::Request request;
    request.method = method;
    request.path = path;
    if (!cookie.empty()) {
      request.headers["cookie"] = cookie;
    }
    return request;
  }

  // Signs in with a fresh link; returns the Cookie header of the session.
  std::string signIn() {
    const std::string path = dashboard_.mintSignInLink();
    const std::string code = path.substr(path.find("#sign-in=") + 9);
    auto post = request("POST", "/auth/session/sign-in");
    post.headers["content-type"] = "application/json";
    post.body = json{{"code", code}}.dump();
    const auto answer = send(post);
    EXPECT_EQ(answer.status, 200) << answer.body;
    const std::string setCookie = answer.headers.at("Set-Cookie");
    EXPECT_NE(setCookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(setCookie.find("SameSite=Lax"), std::string::npos);
    return setCookie.substr(0, setCookie.find(';'));
  }

  std::string csrfOf(const std::string& cookie) {
    return json::parse(send(request("GET", "/auth/session", cookie)).body).at("csrfToken");
  }

  Dashboard dashboard_;
  http::Dispatcher dispatcher_;
};

TEST_F(DashboardTest, ThePageIsServedForEveryPathOfTheFrontEndsRouter) {
  for (const char* path :
       {"/", "/ui", "/ui/dataflows", "/ui/namespaces/a/dataflows/b", "/logout", "/login"}) {
    const auto answer = send(request("GET", path));
    EXPECT_EQ(answer.status, 200) << path;
    EXPECT_EQ(answer.body, "<html>wax</html>") << path;
    EXPECT_NE(answer.headers.at("Content-Security-Policy").find("default-src 'self'"),
              std::string::npos);
    EXPECT_EQ(answer.headers.at("X-Frame-Options"), "DENY");
  }
}

TEST_F(DashboardTest, HashedAssetsAreImmutableAndTheRestIsRevalidated) {
  auto js = request("GET", "/assets/index-abc.js");
  js.headers["accept-encoding"] = "gzip, br";
  const auto answer = send(js);
  EXPECT_EQ(answer.body, "GZ");
  EXPECT_EQ(answer.headers.at("Content-Encoding"), "gzip");
  EXPECT_NE(answer.headers.at("Cache-Control").find("immutable"), std::string::npos);

  for (const char* refused : {"gzip;q=0", "br", "identity", "gzip; q=0.0, br", ""}) {
    js.headers["accept-encoding"] = refused;
    EXPECT_EQ(send(js).body, "console.log(1)") << refused;
    EXPECT_EQ(send(js).headers.count("Content-Encoding"), 0u) << refused;
  }
  for (const char* taken : {"*", "br;q=1, gzip;q=0.5", "GZIP", "deflate, gzip"}) {
    js.headers["accept-encoding"] = taken;
    EXPECT_EQ(send(js).body, "GZ") << taken;
  }

  auto icon = request("GET", "/favicon.svg");
  EXPECT_EQ(send(icon).headers.at("Cache-Control"), "no-cache");
  icon.headers["if-none-match"] = "\"f1\"";
  EXPECT_EQ(send(icon).status, 304);
  EXPECT_EQ(send(request("GET", "/assets/missing.js")).status, 404);
}

TEST_F(DashboardTest, WithoutASessionNothingIsSignedInAndNoCredentialsAreAdded) {
  const auto session = json::parse(send(request("GET", "/auth/session")).body);
  EXPECT_FALSE(session.at("authenticated"));
  EXPECT_EQ(session.at("signIn"), "link");
  EXPECT_FALSE(session.contains("csrfToken"));
  EXPECT_EQ(send(request("POST", "/dataflows", "wax_session=made-up")).body, "none");
}

TEST_F(DashboardTest, ALinksSessionActsWithTheOwnersTokenForChangesThatCarryItsCsrfToken) {
  const std::string cookie = signIn();
  const auto session = json::parse(send(request("GET", "/auth/session", cookie)).body);
  EXPECT_TRUE(session.at("authenticated"));
  EXPECT_EQ(session.at("user"), "owner");

  auto change = request("POST", "/dataflows", cookie);
  EXPECT_EQ(send(change).status, 403);  // no CSRF token: another site's form could do this
  change.headers["x-csrf-token"] = "wrong";
  EXPECT_EQ(send(change).status, 403);
  change.headers["x-csrf-token"] = csrfOf(cookie);
  EXPECT_EQ(send(change).body, std::string("Bearer ") + kOwnerToken);
}

TEST_F(DashboardTest, ALinkSignsInOnce) {
  const std::string path = dashboard_.mintSignInLink();
  auto post = request("POST", "/auth/session/sign-in");
  post.headers["content-type"] = "application/json";
  post.body = json{{"code", path.substr(path.find("#sign-in=") + 9)}}.dump();
  EXPECT_EQ(send(post).status, 200);
  EXPECT_EQ(send(post).status, 401);
}

TEST_F(DashboardTest, LinkSignInRefusesBodiesThatAreNotACode) {
  for (const char* body : {"", "[]", "{\"code\": 1}", "{\"other\": \"x\"}", "{"}) {
    auto post = request("POST", "/auth/session/sign-in");
    post.headers["content-type"] = "application/json";
    post.body = body;
    EXPECT_EQ(send(post).status, 400) << body;
  }
}

TEST_F(DashboardTest, OnlyTheOwnersTokenMintsLinks) {
  auto mint = request("POST", "/auth/sign-in-links");
  EXPECT_EQ(send(mint).status, 403);
  mint.headers["authorization"] = "Bearer some-users-token";
  EXPECT_EQ(send(mint).status, 403);
  mint.headers["authorization"] = std::string("Bearer ") + kOwnerToken;
  const auto answer = send(mint);
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(
      json::parse(answer.body).at("path").get<std::string>().rfind("/ui/dataflows#sign-in=", 0),
      0u);
}

TEST_F(DashboardTest, ASessionCannotMintTheNextLink) {
  const std::string cookie = signIn();
  auto mint = request("POST", "/auth/sign-in-links", cookie);
  mint.headers["x-csrf-token"] = csrfOf(cookie);
  EXPECT_EQ(send(mint).status, 403);
  mint.headers["x-wax-via-session"] = "spoofed";  // erased by the rewriter, never trusted
  mint.headers["authorization"] = std::string("Bearer ") + kOwnerToken;
  EXPECT_EQ(send(mint).status, 200);
}

TEST_F(DashboardTest, LinkSignInTakesJsonOnly) {
  const std::string path = dashboard_.mintSignInLink();
  const std::string code = path.substr(path.find("#sign-in=") + 9);
  auto post = request("POST", "/auth/session/sign-in");
  post.body = json{{"code", code}}.dump();
  for (const char* type : {"text/plain; application/json", "text/plain", "application/jsonx"}) {
    post.headers["content-type"] = type;
    EXPECT_EQ(send(post).status, 400) << type;
  }
  post.headers["content-type"] = "Application/JSON; charset=utf-8";
  EXPECT_EQ(send(post).status, 200);
}

TEST_F(DashboardTest, SignOutEndsTheSessionAndClearsTheCookie) {
  const std::string cookie = signIn();
  auto logout = request("POST", "/auth/session/logout", cookie);
  logout.headers["x-csrf-token"] = csrfOf(cookie);
  const auto answer = send(logout);
  EXPECT_EQ(json::parse(answer.body).at("redirect"), "/logout");
  EXPECT_NE(answer.headers.at("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(json::parse(send(request("GET", "/auth/session", cookie)).body).at("authenticated"));
}

TEST_F(DashboardTest, PublicPathsAreThePageItsFilesAndTheSessionOnly) {
  for (const char* open :
       {"/", "/ui/dataflows", "/assets/a.js", "/favicon.svg", "/login", "/auth/session"}) {
    EXPECT_TRUE(Dashboard::isPublicPath(open)) << open;
  }
  for (const char* closed : {"/dataflows", "/api/v1/namespaces", "/secrets", "/auth/sign-in-links",
                             "/auth/whoami", "/uix", "/api/v1/a.b"}) {
    EXPECT_FALSE(Dashboard::isPublicPath(closed)) << closed;
  }
}

TEST(CookieValueTest, FindsTheNamedCookieOnly) {
  http::Request request;
  request.headers["cookie"] = "a=1; wax_session=abc;x_wax_session=no; b=2";
  EXPECT_EQ(cookieValue(request, "wax_session"), "abc");
  EXPECT_EQ(cookieValue(request, "b"), "2");
  EXPECT_EQ(cookieValue(request, "missing"), "");
}

}  // namespace
}  // namespace wax::dashboard
