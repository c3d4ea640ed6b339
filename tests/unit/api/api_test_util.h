#pragma once

#include <stdlib.h>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "api/access.h"
#include "api/api.h"
#include "http/metrics.h"
#include "http/router.h"
#include "operator/runtime.h"
#include "store/sqlite_store.h"

// Shared fixtures for the API tests: the handlers on a real store in a temporary directory, with
// a runtime that runs nothing.
namespace wax::api::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/wax-api-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs nothing: no processes, empty logs, and a reset that always succeeds.
class IdleRuntime : public operator_::Runtime {
 public:
  std::string runId(const core::Dataflow&) override { return "run"; }
  operator_::RunState sync(const core::Dataflow&, bool) override { return {}; }
  void cleanup(const std::string&, const std::string&) override {}
  std::vector<operator_::ProcessInfo> processes(const std::string&, const std::string&) override {
    return {};
  }
  void readLogs(const std::string&, const std::string&, const operator_::LogOptions&, bool,
                const operator_::LogSink&, const std::function<bool()>&) override {}
  void resetState(const std::string&, const std::string&, bool) override {}
};

// The (method, pattern) of every route registered on it.
class RouteSet : public http::Routes {
 public:
  void route(const std::string& method, const std::string& pattern, http::Handler) override {
    routes_.emplace(method, pattern);
  }
  const std::set<std::pair<std::string, std::string>>& routes() const { return routes_; }

 private:
  std::set<std::pair<std::string, std::string>> routes_;
};

// Registers on `routes` everything waxd serves, in the order waxd does.
// Every route a server registers: waxd's and wax-api's (/metrics, /auth/...) besides the API's.
inline void registerEverything(http::Routes& routes, ApiContext& context) {
  registerHealthRoutes(routes);
  registerDocsRoutes(routes);
  http::registerMetricsRoute(routes, std::make_shared<prometheus::Registry>());
  registerAuthRoutes(routes, {"https://idp.example.com", "waxctl", "openid"},
                     [](const http::Request&) -> std::variant<auth::Identity, http::Response> {
                       return unauthorizedResponse("no provider in unit tests");
                     });
  registerPlatformRoutes(routes, context);
  registerResourceRoutes(routes, context);
}

// Every route on a real store, called in-process as the HTTP server would.
class Api {
 public:
  Api() : store_(store::openSqliteStore(dir_.file("store.db"))), context_{*store_, runtime_} {
    registerEverything(dispatcher_, context_);
  }

  http::Response call(const std::string& method, const std::string& path,
                      std::multimap<std::string, std::string> query = {},
                      const std::string& body = "") {
    http::Request request;
    request.method = method;
    request.path = path;
    request.query = std::move(query);
    request.body = body;
    return dispatcher_.dispatch(request);
  }

  store::Store& store() { return *store_; }

 private:
  TempDir dir_;
  store::StorePtr store_;
  IdleRuntime runtime_;
  ApiContext context_;
  http::Dispatcher dispatcher_;
};

}  // namespace wax::api::testing
