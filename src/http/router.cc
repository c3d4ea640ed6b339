#include "http/router.h"

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
  routes_.push_back(Route{method, splitPath(pattern), std::move(handler)});
}

static bool isParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

static bool matchSegments(const std::vector<std::string>& pattern,
                          const std::vector<std::string>& path,
                          std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) {
    return false;
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (isParam(pattern[i])) {
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
      match.params = std::move(params);
      return match;
    }
  }
  return match;
}

}  // namespace wax::http
