#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "common/version.h"

namespace wax::api {

bool isPublicPath(const std::string& path) {
  for (const char* open :
       {"/healthz", "/readyz", "/version", "/openapi.json", "/docs", "/metrics", "/auth/config"}) {
    if (path == open) {
      return true;
    }
  }
  return false;
}

void registerHealthRoutes(http::Routes& server) {
  auto okText = [](const http::Request&) {
    http::Response response;
    response.contentType = "text/plain";
    response.body = "ok\n";
    return response;
  };
  server.route("GET", "/healthz", okText);
  server.route("GET", "/readyz", okText);
  server.route("GET", "/version", [](const http::Request&) {
    http::Response response;
    response.body = nlohmann::json({{"version", kVersion}, {"gitCommit", kGitCommit}}).dump();
    return response;
  });
}

http::Filter bearerTokenFilter(std::string token) {
  return [token = std::move(token)](const http::Request& request) -> std::optional<http::Response> {
    if (isPublicPath(request.path)) {
      return std::nullopt;
    }
    const std::string header = request.header("authorization").value_or("");
    const std::string prefix = "Bearer ";
    const std::string given = header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : "";
    const bool match = given.size() == token.size() &&
                       CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
    if (match) {
      return std::nullopt;
    }
    auto response = http::errorResponse(
        401, "Unauthorized",
        "missing or wrong bearer token: send the API token as `Authorization: Bearer TOKEN`");
    response.headers["WWW-Authenticate"] = "Bearer realm=\"wax\"";
    return response;
  };
}

}  // namespace wax::api
