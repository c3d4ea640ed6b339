#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/server.h"
#include "operator/runtime.h"
#include "store/store.h"

// The WaxAPI handlers: the Bytewax Platform's endpoint set (/dataflows, /namespaces, ...) so
// that its clients work unchanged, and a versioned resource API (/api/v1/...) in the shape of
// the Kubernetes API for waxctl and new clients. Both sit on the same store and runtime.
namespace wax::api {

struct ApiContext {
  store::Store& store;
  operator_::Runtime& runtime;
};

void registerPlatformRoutes(http::Routes& server, ApiContext& context);
void registerResourceRoutes(http::Routes& server, ApiContext& context);
// /secrets, part of the platform's set (registerPlatformRoutes registers it).
void registerSecretRoutes(http::Routes& server, ApiContext& context);
// /healthz, /readyz and /version; they need no token.
void registerHealthRoutes(http::Routes& server);
// /openapi.json, the OpenAPI 3 document of every route above, and /docs, a page that shows it;
// they need no token. Every server that serves the API registers them too.
void registerDocsRoutes(http::Routes& server);

// A DataflowResponse of the platform (the DataflowDto fields, creationTimestamp and the `ui`
// summary) of a Dataflow as the store has it; wax-api renders its watch cache with it.
nlohmann::json dataflowResponse(const nlohmann::json& object);

// The answer to GET /namespaces (`route` "/namespaces", the platform's shape) or to
// GET /api/v1/namespaces (a NamespaceList) that names `names`; wax-api decides them itself.
http::Response namespaceListResponse(const std::string& route,
                                     const std::vector<std::string>& names);

// The paths that need no token: health, version, the docs, metrics and the login
// configuration (a reader of the docs needs them to learn how to get a token).
bool isPublicPath(const std::string& path);

// The document served at /openapi.json: src/api/openapi.json, compiled in.
std::string_view openApiDocument();
// The page served at /docs: src/api/docs.html, compiled in.
std::string_view docsPage();

// Requires `Authorization: Bearer <token>` on every path but the health and docs ones. The
// comparison takes the same time whatever the token, and the token never reaches a log.
http::Filter bearerTokenFilter(std::string token);

}  // namespace wax::api
