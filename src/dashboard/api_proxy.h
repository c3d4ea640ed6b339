#pragma once

#include <chrono>
#include <string>

#include "http/server.h"

// wax-dashboard's way to WaxAPI in a cluster: the page calls its own origin, and each API
// request goes on to WaxAPI with the Authorization header the session put on it, so that
// WaxAPI checks the user's token and the cluster's RBAC decides. Watches and log follows are
// passed on as they arrive.
namespace wax::dashboard {

struct ApiProxyOptions {
  std::string apiUrl;  // e.g. http://wax-api.wax.svc
  std::string caFile;  // for an https:// apiUrl; empty: the system's CAs
  std::chrono::seconds timeout{30};
  // How long a stream may stay silent before it is ended (the page then resumes it).
  std::chrono::seconds streamIdle{300};
};

class ApiProxy {
 public:
  explicit ApiProxy(ApiProxyOptions options);

  // Registers the API's paths (the platform's endpoint set, /api/v1, /auth/config, whoami).
  void registerRoutes(http::Routes& routes) const;
  http::Response forward(const http::Request& request) const;

 private:
  http::Response forwardStream(const http::Request& request, const std::string& target) const;

  ApiProxyOptions options_;
};

}  // namespace wax::dashboard
