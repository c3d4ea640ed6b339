#include "http/router.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/logging.h"

namespace wax::http {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    if (end > start) {
      segments.push_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  return segments;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back(Route{method, pattern, splitPath(pattern), std::move(handler)});
}

static bool isParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

static bool isTail(const std::string& segment) {
  return segment.size() > 5 && segment.ends_with("...}") && isParam(segment);
}

static bool matchSegments(const std::vector<std::string>& pattern,
                          const std::vector<std::string>& path,
                          std::map<std::string, std::string>& params) {
  const bool tail = !pattern.empty() && isTail(pattern.back());
  if (tail ? path.size() < pattern.size() : pattern.size() != path.size()) {
    return false;
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (tail && i + 1 == pattern.size()) {
      std::string rest = path[i];
      for (size_t j = i + 1; j < path.size(); ++j) {
        rest += "/" + path[j];
      }
      params[pattern[i].substr(1, pattern[i].size() - 5)] = std::move(rest);
    } else if (isParam(pattern[i])) {
      params[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::find(const std::string& method, const std::string& path) const {
  Match match;
  const auto segments = splitPath(path);
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (!matchSegments(route.segments, segments, params)) {
      continue;
    }
    match.pathKnown = true;
    if (route.method == method) {
      match.handler = &route.handler;
      match.pattern = &route.pattern;
      match.params = std::move(params);
      return match;
    }
  }
  return match;
}

std::vector<std::string> Router::methodsFor(const std::string& path) const {
  std::vector<std::string> methods;
  const auto segments = splitPath(path);
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (matchSegments(route.segments, segments, params)) {
      methods.push_back(route.method);
    }
  }
  return methods;
}

void Dispatcher::route(const std::string& method, const std::string& pattern, Handler handler) {
  router_.add(method, pattern, std::move(handler));
}

void Dispatcher::filter(Filter filter) {
  filters_.push_back(std::move(filter));
}

std::optional<Response> Dispatcher::screen(const Request& request) const {
  for (const auto& filter : filters_) {
    if (auto stop = filter(request)) {
      return stop;
    }
  }
  return std::nullopt;
}

std::string Dispatcher::routeOf(const std::string& method, const std::string& path) const {
  const auto match = router_.find(method, path);
  return match.pattern ? *match.pattern : "";
}

Response Dispatcher::dispatch(Request& request) const {
  auto match = router_.find(request.method, request.path);
  if (match.pattern) {
    request.route = *match.pattern;  // also for a refusal by the filters, as metrics count it
  }
  if (auto stop = screen(request)) {
    return *stop;
  }
  if (match.handler == nullptr) {
    if (auto refusal = methodNotAllowed(request.method, request.path)) {
      return *refusal;
    }
    return errorResponse(404, "NotFound", "no such path: " + request.path);
  }
  request.pathParams = std::move(match.params);
  request.route = *match.pattern;
  return invoke(*match.handler, request);
}

std::optional<Response> Dispatcher::methodNotAllowed(const std::string& method,
                                                     const std::string& path) const {
  const auto methods = router_.methodsFor(path);
  if (methods.empty()) {
    return std::nullopt;
  }
  std::string allow;
  for (const auto& known : methods) {
    allow += (allow.empty() ? "" : ", ") + known;
  }
  auto response =
      errorResponse(405, "MethodNotAllowed",
                    "method " + method + " is not allowed on " + path + "; use " + allow);
  response.headers["Allow"] = allow;  // RFC 9110: a 405 names the methods that are
  return response;
}

Response Dispatcher::invoke(const Handler& handler, const Request& request) const {
  try {
    return handler(request);
  } catch (const Error& error) {
    return errorResponse(httpStatus(error.code()), reasonOf(error.code()), error.what());
  } catch (const nlohmann::json::exception& error) {
    // A field of the body had the wrong type; the library's words follow its tag.
    std::string what = error.what();
    what.erase(0, what.find(']') == std::string::npos ? 0 : what.find(']') + 2);
    return errorResponse(400, "BadRequest", "invalid request body: " + what);
  } catch (const std::exception& error) {
    logger("http")->error("request failed method={} path={} error={}", request.method, request.path,
                          error.what());
    return errorResponse(500, "InternalError", "internal error; see the server's log");
  }
}

}  // namespace wax::http
