#include "auth/oidc_client.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "auth/jwt.h"
#include "common/error.h"
#include "common/url.h"

namespace wax::auth::oidc {

namespace {

using nlohmann::json;

// Base64url without padding (RFC 4648 section 5), as PKCE and random tokens need it.
std::string base64Url(const unsigned char* data, size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < length; i += 3) {
    const size_t left = std::min<size_t>(3, length - i);
    uint32_t group = static_cast<uint32_t>(data[i]) << 16;
    group |= left > 1 ? static_cast<uint32_t>(data[i + 1]) << 8 : 0;
    group |= left > 2 ? data[i + 2] : 0;
    for (size_t j = 0; j <= left; ++j) {  // 1 byte: 2 symbols, 2: 3, 3: 4
      out += kAlphabet[(group >> (18 - 6 * j)) & 0x3f];
    }
  }
  return out;
}

// "https://idp.example.com:8443/realms/x/token" -> {"https://idp.example.com:8443", "/realms/..."}
std::pair<std::string, std::string> splitUrl(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos ||
      (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)) {
    throw Error(ErrorCode::BadRequest, fmt::format("\"{}\" is not an http(s) URL", url));
  }
  const auto slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) {
    return {url, "/"};
  }
  return {url.substr(0, slash), url.substr(slash)};
}

std::unique_ptr<httplib::Client> clientFor(const std::string& origin, const HttpOptions& http) {
  auto client = std::make_unique<httplib::Client>(origin);
  client->set_connection_timeout(http.timeoutSeconds, 0);
  client->set_read_timeout(http.timeoutSeconds, 0);
  client->set_write_timeout(http.timeoutSeconds, 0);
  if (!http.caFile.empty()) {
    client->set_ca_cert_path(http.caFile.c_str());
  }
  return client;
}

[[noreturn]] void unreachable(const std::string& url, httplib::Error error) {
  throw Error(ErrorCode::Unavailable, fmt::format("cannot reach the OpenID provider at {}: {}",
                                                  redactUrl(url), httplib::to_string(error)));
}

json parseAnswer(const std::string& url, const httplib::Result& result) {
  try {
    return json::parse(result->body);
  } catch (const json::exception&) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("{} answered {} with something other than JSON; is this the "
                            "provider's URL?",
                            redactUrl(url), result->status));
  }
}

json getJson(const std::string& url, const HttpOptions& http) {
  const auto [origin, path] = splitUrl(url);
  auto result = clientFor(origin, http)->Get(path);
  if (!result) {
    unreachable(url, result.error());
  }
  if (result->status != 200) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("{} answered {}", redactUrl(url), result->status));
  }
  return parseAnswer(url, result);
}

// A form POST to one of the provider's endpoints. A public client names itself in the body; a
// confidential one authenticates with HTTP Basic, its id and secret form-encoded first (RFC 6749
// section 2.3.1). Returns the status and the JSON answer.
std::pair<int, json> postForm(const std::string& url, httplib::Params params, const Client& client,
                              const HttpOptions& http) {
  const auto [origin, path] = splitUrl(url);
  auto connection = clientFor(origin, http);
  if (client.secret.empty()) {
    params.emplace("client_id", client.id);
  } else {
    connection->set_basic_auth(urlEncode(client.id), urlEncode(client.secret));
  }
  auto result = connection->Post(path, params);
  if (!result) {
    unreachable(url, result.error());
  }
  if (result->body.empty()) {
    return {result->status, json::object()};
  }
  return {result->status, parseAnswer(url, result)};
}

// The provider's words for a refused request (RFC 6749 section 5.2).
std::string oauthError(const json& answer) {
  const std::string code = answer.value("error", "unknown_error");
  const std::string description = answer.value("error_description", "");
  return description.empty() ? code : fmt::format("{} ({})", code, description);
}

Tokens tokensOf(const json& answer) {
  Tokens tokens;
  tokens.accessToken = answer.value("access_token", "");
  tokens.refreshToken = answer.value("refresh_token", "");
  tokens.idToken = answer.value("id_token", "");
  if (tokens.accessToken.empty()) {
    throw Error(ErrorCode::Unavailable, "the provider's token answer has no access_token");
  }
  if (auto expiresIn = answer.find("expires_in");
      expiresIn != answer.end() && expiresIn->is_number()) {
    tokens.expiresAt = std::time(nullptr) + expiresIn->get<int64_t>();
  }
  return tokens;
}

Tokens requestTokens(const Endpoints& endpoints, const httplib::Params& params,
                     const Client& client, const HttpOptions& http, const char* what) {
  auto [status, answer] = postForm(endpoints.token, params, client, http);
  if (status != 200) {
    throw Error(ErrorCode::Unauthorized,
                fmt::format("the provider refused {}: {}", what, oauthError(answer)));
  }
  return tokensOf(answer);
}

std::string stringOf(const json& document, const char* field) {
  auto it = document.find(field);
  return it != document.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Endpoints discover(const std::string& issuer, const HttpOptions& http) {
  std::string base = issuer;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  const json document = getJson(base + "/.well-known/openid-configuration", http);
  Endpoints endpoints;
  endpoints.issuer = stringOf(document, "issuer");
  // OpenID Connect Discovery section 4.3: the document must be the issuer's own.
  if (endpoints.issuer != issuer) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("the provider's discovery document names issuer \"{}\", not \"{}\"",
                            endpoints.issuer, issuer));
  }
  endpoints.authorization = stringOf(document, "authorization_endpoint");
  endpoints.token = stringOf(document, "token_endpoint");
  endpoints.deviceAuthorization = stringOf(document, "device_authorization_endpoint");
  endpoints.revocation = stringOf(document, "revocation_endpoint");
  endpoints.endSession = stringOf(document, "end_session_endpoint");
  if (endpoints.token.empty()) {
    throw Error(ErrorCode::Unavailable, "the provider's discovery document has no token_endpoint");
  }
  return endpoints;
}

std::string randomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    throw Error(ErrorCode::Internal, "the system's random source failed");
  }
  return base64Url(bytes, sizeof bytes);
}

std::string pkceChallenge(const std::string& verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return base64Url(digest, sizeof digest);
}

Pkce makePkce() {
  Pkce pkce;
  pkce.verifier = randomToken();  // 43 characters, within RFC 7636's 43 to 128
  pkce.challenge = pkceChallenge(pkce.verifier);
  return pkce;
}

std::string authorizationUrl(const Endpoints& endpoints, const AuthorizationRequest& request) {
  if (endpoints.authorization.empty()) {
    throw Error(ErrorCode::Unavailable,
                "the provider's discovery document has no authorization_endpoint; sign in with "
                "--device instead");
  }
  const std::string separator = endpoints.authorization.find('?') == std::string::npos ? "?" : "&";
  return endpoints.authorization + separator +
         fmt::format(
             "response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}"
             "&code_challenge={}&code_challenge_method=S256",
             urlEncode(request.clientId), urlEncode(request.redirectUri), urlEncode(request.scopes),
             request.state, request.nonce, request.codeChallenge);
}

// The redirect's query, once it comes.
class LoopbackReceiver::Impl {
 public:
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mutex;
  std::condition_variable arrived;
  std::string state;                     // of the sign-in it waits for; guarded by mutex
  std::optional<httplib::Params> query;  // guarded by mutex
};

LoopbackReceiver::LoopbackReceiver() : impl_(std::make_unique<Impl>()) {
  impl_->server.Get("/callback", [impl = impl_.get()](const httplib::Request& request,
                                                      httplib::Response& response) {
    std::lock_guard lock(impl->mutex);
    // Only the redirect that answers this sign-in counts: anything else on this port (another
    // program, a stale tab) is told so and ignored.
    if (impl->query || request.get_param_value("state") != impl->state) {
      response.status = 400;
      response.set_content(
          "<h1>Not this sign-in</h1><p>This link does not answer the sign-in "
          "waxctl is waiting for.</p>",
          "text/html; charset=utf-8");
      return;
    }
    const bool failed = request.has_param("error");
    response.set_content(failed ? "<h1>Sign-in failed</h1><p>See the terminal.</p>"
                                : "<h1>Signed in</h1><p>You can close this tab and return to "
                                  "the terminal.</p>",
                         "text/html; charset=utf-8");
    impl->query = request.params;
    impl->arrived.notify_all();
  });
  impl_->port = impl_->server.bind_to_any_port("127.0.0.1");
  if (impl_->port <= 0) {
    throw Error(ErrorCode::Unavailable, "cannot listen on 127.0.0.1 for the sign-in redirect");
  }
  impl_->thread = std::thread([impl = impl_.get()] { impl->server.listen_after_bind(); });
}

LoopbackReceiver::~LoopbackReceiver() {
  impl_->server.stop();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

std::string LoopbackReceiver::redirectUri() const {
  return fmt::format("http://127.0.0.1:{}/callback", impl_->port);
}

void LoopbackReceiver::expect(const std::string& state) {
  std::lock_guard lock(impl_->mutex);
  impl_->state = state;
}

std::string LoopbackReceiver::waitForCode(const std::string& state, const std::string& issuer,
                                          std::chrono::seconds timeout) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->arrived.wait_for(lock, timeout, [this] { return impl_->query.has_value(); })) {
    throw Error(ErrorCode::Unavailable,
                fmt::format("no sign-in within {} s; run `waxctl login` again, or use --device "
                            "to sign in on another device",
                            timeout.count()));
  }
  const auto& query = *impl_->query;
  auto value = [&query](const char* name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  if (!value("error").empty()) {
    const std::string description = value("error_description");
    throw Error(ErrorCode::Unauthorized,
                fmt::format("the provider refused the sign-in: {}{}", value("error"),
                            description.empty() ? "" : " (" + description + ")"));
  }
  // RFC 6749 section 10.12 (state) and RFC 9207 (iss): the redirect answers our request.
  if (value("state") != state) {
    throw Error(ErrorCode::Unauthorized,
                "the sign-in redirect carries another request's state; run `waxctl login` again");
  }
  if (!value("iss").empty() && value("iss") != issuer) {
    throw Error(ErrorCode::Unauthorized,
                fmt::format("the sign-in redirect comes from issuer \"{}\", not \"{}\"",
                            value("iss"), issuer));
  }
  if (value("code").empty()) {
    throw Error(ErrorCode::Unauthorized, "the sign-in redirect carries no code");
  }
  return value("code");
}

Tokens exchangeCode(const Endpoints& endpoints, const Client& client, const std::string& code,
                    const Pkce& pkce, const std::string& redirectUri, const HttpOptions& http) {
  return requestTokens(endpoints,
                       {{"grant_type", "authorization_code"},
                        {"code", code},
                        {"code_verifier", pkce.verifier},
                        {"redirect_uri", redirectUri}},
                       client, http, "the sign-in code");
}

Tokens refresh(const Endpoints& endpoints, const Client& client, const std::string& refreshToken,
               const HttpOptions& http) {
  return requestTokens(endpoints,
                       {{"grant_type", "refresh_token"}, {"refresh_token", refreshToken}}, client,
                       http, "to refresh the session");
}

DeviceGrant startDeviceFlow(const Endpoints& endpoints, const std::string& clientId,
                            const std::string& scopes, const HttpOptions& http) {
  if (endpoints.deviceAuthorization.empty()) {
    throw Error(ErrorCode::BadRequest,
                "the provider offers no device authorization flow; sign in through a browser "
                "(without --device)");
  }
  auto [status, answer] =
      postForm(endpoints.deviceAuthorization, {{"scope", scopes}}, Client{clientId}, http);
  if (status != 200) {
    throw Error(ErrorCode::Unauthorized,
                fmt::format("the provider refused the device sign-in: {}", oauthError(answer)));
  }
  DeviceGrant grant;
  grant.deviceCode = stringOf(answer, "device_code");
  grant.userCode = stringOf(answer, "user_code");
  grant.verificationUri = stringOf(answer, "verification_uri");
  grant.verificationUriComplete = stringOf(answer, "verification_uri_complete");
  grant.intervalSeconds = std::max(1, answer.value("interval", 5));
  grant.expiresInSeconds = answer.value("expires_in", 600);
  if (grant.deviceCode.empty() || grant.userCode.empty() || grant.verificationUri.empty()) {
    throw Error(ErrorCode::Unavailable, "the provider's device answer lacks its codes");
  }
  return grant;
}

Tokens pollDeviceFlow(const Endpoints& endpoints, const std::string& clientId,
                      const DeviceGrant& grant, const HttpOptions& http,
                      std::chrono::seconds timeout) {
  const httplib::Params params = {{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                                  {"device_code", grant.deviceCode}};
  const auto deadline = std::chrono::steady_clock::now() +
                        std::min(timeout, std::chrono::seconds(grant.expiresInSeconds));
  int interval = grant.intervalSeconds;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(interval));
    auto [status, answer] = postForm(endpoints.token, params, Client{clientId}, http);
    if (status == 200) {
      return tokensOf(answer);
    }
    const std::string error = answer.value("error", "");
    if (error == "slow_down") {
      interval += 5;  // RFC 8628 section 3.5
    } else if (error != "authorization_pending") {
      throw Error(ErrorCode::Unauthorized,
                  fmt::format("the device sign-in ended: {}", oauthError(answer)));
    }
  }
  throw Error(ErrorCode::Unavailable,
              "no one approved the device code in time; run `waxctl login --device` again");
}

bool revoke(const Endpoints& endpoints, const Client& client, const std::string& token,
            const HttpOptions& http) {
  if (endpoints.revocation.empty() || token.empty()) {
    return false;
  }
  try {
    auto [status, answer] =
        postForm(endpoints.revocation, {{"token", token}, {"token_type_hint", "refresh_token"}},
                 client, http);
    return status == 200;
  } catch (const Error&) {
    return false;
  }
}

std::optional<json> unverifiedClaims(const std::string& token) {
  const auto first = token.find('.');
  const auto second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos) {
    return std::nullopt;
  }
  const auto payload =
      auth::decodeBase64Url(std::string_view(token).substr(first + 1, second - first - 1));
  if (!payload) {
    return std::nullopt;
  }
  auto claims = json::parse(*payload, nullptr, false);
  if (!claims.is_object()) {
    return std::nullopt;
  }
  return claims;
}

}  // namespace wax::auth::oidc
