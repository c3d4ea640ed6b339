#pragma once

#include <string>

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

// The paths that need no token: health, version, metrics, the login configuration.
bool isPublicPath(const std::string& path);

// Requires `Authorization: Bearer <token>` on every path but the health ones. The comparison
// takes the same time whatever the token, and the token never reaches a log.
http::Filter bearerTokenFilter(std::string token);

}  // namespace wax::api
