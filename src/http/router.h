#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/server.h"

namespace wax::http {

// Matches request paths against route patterns made of literal and "{param}" segments.
class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;
    const std::string* pattern = nullptr;
    std::map<std::string, std::string> params;
    bool pathKnown = false;  // some route matched the path, maybe with another method
  };
  Match find(const std::string& method, const std::string& path) const;
  // The methods of the routes that match `path`, for a 405's Allow header.
  std::vector<std::string> methodsFor(const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

std::vector<std::string> splitPath(const std::string& path);

// Filters, then the routes, then the error mapping: wax::Error becomes its HTTP status with the
// message, anything else a 500 that says no more. The Server runs it for each request; waxctl
// runs it in-process against a cluster, so both answer alike.
class Dispatcher : public Routes {
 public:
  void route(const std::string& method, const std::string& pattern, Handler handler) override;
  void filter(Filter filter);
  Response dispatch(Request& request) const;
  // The filters alone: an answer they give ends the request before its body is read.
  std::optional<Response> screen(const Request& request) const;
  // The pattern of the route that serves `method` on `path`, or "" when none does.
  std::string routeOf(const std::string& method, const std::string& path) const;
  // 405 Method Not Allowed with the path's methods in Allow, or nullopt when no route has it.
  std::optional<Response> methodNotAllowed(const std::string& method,
                                           const std::string& path) const;

 private:
  Response invoke(const Handler& handler, const Request& request) const;

  Router router_;
  std::vector<Filter> filters_;
};

}  // namespace wax::http
