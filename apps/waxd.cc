// waxd: the Wax platform on one machine. One process holds the embedded store, the Dataflow
// controller with the local runtime, and the HTTP API (WaxAPI) on loopback.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api_flags.h"
#include "common/logging.h"
#include "common/paths.h"
#include "common/version.h"
#include "dashboard_flags.h"
#include "local/local_runtime.h"
#include "operator/controller.h"
#include "server_main.h"
#include "store/sqlite_store.h"

namespace fs = std::filesystem;

namespace {

struct Flags {
  std::string dataDir = wax::defaultDataDir();
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string python = wax::defaultPython();
  std::string logLevel = "info";
  int64_t backoffMs = 10000;
  int64_t gracePeriodMs = 10000;
  int workers = 4;
  int64_t maxProcesses = 32;
  int64_t maxWorkers = 256;
  wax::ApiFlags api;
  std::string policyFile;
  wax::DashboardFlags dashboard;
};

std::string randomToken() {
  std::random_device device;
  std::string token;
  for (int i = 0; i < 32; ++i) {
    token += fmt::format("{:02x}", device() & 0xff);
  }
  return token;
}

// The token is made at first start and kept, so that waxctl and scripts keep working.
std::string loadOrCreateToken(const std::string& dataDir) {
  const std::string path = wax::tokenFilePath(dataDir);
  if (std::ifstream in(path); in) {
    std::string token;
    in >> token;
    if (!token.empty()) {
      return token;
    }
  }
  const std::string token = randomToken();
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, token.data(), token.size()) != static_cast<ssize_t>(token.size())) {
    throw std::runtime_error("cannot write the API token to " + path);
  }
  close(fd);
  return token;
}

// One waxd per data directory: a second one would run every dataflow twice.
int lockDataDir(const std::string& dataDir) {
  const std::string path = dataDir + "/waxd.lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
    throw std::runtime_error("another waxd is already using " + dataDir +
                             "; stop it with `waxctl local stop` or choose another --data-dir");
  }
  return fd;
}

void writeStateFile(const std::string& dataDir, const std::string& url) {
  const std::string path = wax::stateFilePath(dataDir);
  const nlohmann::json state = {{"url", url}, {"pid", getpid()}, {"version", wax::kVersion}};
  std::ofstream(path + ".tmp", std::ios::trunc) << state.dump(2) << "\n";
  fs::rename(path + ".tmp", path);
}

// Each process of a dataflow holds a pipe and a pidfd here; the soft limit (often 1024) would
// stop a large dataflow from starting, so waxd takes what the hard limit allows.
void raiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Fails at start, with the fix, rather than at the first dataflow with an empty error.
void checkPython(const std::string& python) {
  const bool isPath = python.find('/') != std::string::npos;
  if (isPath ? access(python.c_str(), X_OK) != 0 : python.empty()) {
    throw std::runtime_error("--python " + python +
                             " is not an executable file; give the "
                             "interpreter that has bytewax installed (run `make setup` to "
                             "create one) or set WAX_PYTHON");
  }
}

// With an OpenID provider, callers other than the token file's owner sign in with their own
// tokens, and the policy file says what each may do.
struct OpenIdAccess {
  wax::auth::Provider provider;
  size_t rules;
  wax::api::PolicyRoutes routes;

  OpenIdAccess(const Flags& flags, wax::http::Routes& server, const std::string& ownerToken)
      : provider(wax::providerOptions(flags.api),
                 wax::auth::httpFetcher(flags.api.caFile, wax::providerOptions(flags.api).timeout)),
        rules(0),
        routes(server, ownerToken,
               wax::api::OidcAuthenticator(provider, flags.api.claims, flags.api.tokenCache),
               loadPolicy(flags.policyFile, rules)) {}

  static wax::api::Policy loadPolicy(const std::string& path, size_t& rules) {
    auto policy = wax::api::Policy::load(path);
    rules = policy.size();
    return policy;
  }
};

// The dashboard signs users in with the provider when it knows its own URL (the provider must
// send browsers back to a fixed address), and with waxd's one-time links otherwise.
std::unique_ptr<wax::dashboard::Dashboard> makeDashboard(const Flags& flags,
                                                         const std::string& token) {
  wax::DashboardFlags dashboard = flags.dashboard;
  if (dashboard.url.empty() && flags.port != 0) {
    dashboard.url = fmt::format("http://{}:{}", flags.host, flags.port);
  }
  if (!flags.api.authIssuer.empty() && dashboard.url.empty()) {
    wax::logger("waxd")->warn(
        "the dashboard signs in with one-time links (`waxctl local dashboard`), not the "
        "provider: give --port or --dashboard-url for provider sign-in");
  }
  return wax::makeDashboard(dashboard, flags.api, token);
}

int run(const Flags& flags) {
  const sigset_t stopSignals = wax::blockStopSignals();  // before any thread starts
  // The store holds environment values and S3 keys, the logs what dataflows print: the data
  // directory is this user's alone.
  umask(077);
  raiseOpenFileLimit();
  checkPython(flags.python);
  fs::create_directories(flags.dataDir);
  const int lockFd = lockDataDir(flags.dataDir);
  auto log = wax::logger("waxd");
  const std::string runDir = flags.dataDir + "/run";
  if (const int killed = wax::local::killStrayProcesses(runDir); killed > 0) {
    log->warn("stopped processes left by an earlier waxd count={}", killed);
  }

  auto store = wax::store::openSqliteStore(flags.dataDir + "/store.db");
  std::atomic<wax::operator_::Controller*> controller{nullptr};
  wax::local::LocalRuntimeOptions runtimeOptions;
  runtimeOptions.dataDir = flags.dataDir;
  runtimeOptions.python = flags.python;
  runtimeOptions.supervisor.runDir = runDir;
  runtimeOptions.supervisor.backoffBase = std::chrono::milliseconds(flags.backoffMs);
  runtimeOptions.supervisor.gracePeriod = std::chrono::milliseconds(flags.gracePeriodMs);
  runtimeOptions.maxProcesses = flags.maxProcesses;
  runtimeOptions.maxWorkers = flags.maxWorkers;
  wax::local::LocalRuntime runtime(runtimeOptions, *store, [&controller](const std::string& key) {
    if (auto* current = controller.load()) {
      current->enqueue(key);
    }
  });
  wax::operator_::ControllerOptions controllerOptions;
  controllerOptions.workers = flags.workers;
  wax::operator_::Controller dataflows(*store, runtime, controllerOptions);
  controller = &dataflows;

  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics = std::make_shared<wax::http::HttpMetrics>(*registry);
  wax::http::Server server(wax::serverOptions(flags.api, flags.host, flags.port, metrics));
  wax::api::ApiContext context{*store, runtime};
  const std::string token = loadOrCreateToken(flags.dataDir);
  wax::api::registerHealthRoutes(server);
  wax::api::registerDocsRoutes(server);
  wax::http::registerMetricsRoute(server, registry);
  auto dashboard = makeDashboard(flags, token);
  server.rewrite(dashboard->credentials());
  dashboard->registerRoutes(server);
  using wax::dashboard::Dashboard;
  std::optional<OpenIdAccess> openId;
  if (flags.api.authIssuer.empty()) {
    server.filter(Dashboard::exceptPublicPaths(wax::api::bearerTokenFilter(token)));
    wax::api::registerPlatformRoutes(server, context);
    wax::api::registerResourceRoutes(server, context);
  } else {
    openId.emplace(flags, server, token);
    server.filter(Dashboard::exceptPublicPaths(openId->routes.filter()));
    wax::api::registerAuthRoutes(server, wax::loginConfig(flags.api), openId->routes.whoami());
    wax::api::registerPlatformRoutes(openId->routes, context);
    wax::api::registerResourceRoutes(openId->routes, context);
    log->info("signing in with OpenID Connect issuer={} policy={} rules={}", flags.api.authIssuer,
              flags.policyFile, openId->rules);
  }
  const uint16_t port = server.start();
  const std::string url = fmt::format("http://{}:{}", flags.host, port);
  if (flags.host != "127.0.0.1" && flags.host != "localhost" && flags.host != "::1") {
    log->warn(
        "listening beyond loopback host={}: anyone who can reach it may try the API, "
        "over plain HTTP",
        flags.host);
  }
  dataflows.start();
  writeStateFile(flags.dataDir, url);
  log->info("waxd ready url={} dataDir={} python={} version={} commit={}", url, flags.dataDir,
            flags.python, wax::kVersion, wax::kGitCommit);

  int received = 0;
  sigwait(&stopSignals, &received);
  log->info("stopping signal={}", received);
  fs::remove(wax::stateFilePath(flags.dataDir));
  server.stop();
  controller = nullptr;
  dataflows.stop();
  runtime.shutdown();
  close(lockFd);
  log->info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"waxd: the Wax platform on one machine (store, controller, API)", "waxd"};
  Flags flags;
  app.set_version_flag("--version",
                       fmt::format("waxd {} (commit {})", wax::kVersion, wax::kGitCommit));
  app.add_option("--data-dir", flags.dataDir, "Where the store, code, logs and state live")
      ->envname("WAX_DATA_DIR")
      ->capture_default_str();
  app.add_option("--host", flags.host, "Address to listen on (keep it on loopback)")
      ->capture_default_str();
  app.add_option("--port", flags.port, "Port to listen on; 0 picks a free one")
      ->capture_default_str();
  app.add_option("--python", flags.python, "Python interpreter with bytewax installed")
      ->envname("WAX_PYTHON")
      ->capture_default_str();
  app.add_option("--log-level", flags.logLevel, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--restart-backoff-ms", flags.backoffMs,
                 "First delay before a failed dataflow restarts; it doubles up to 60 s")
      ->check(CLI::Range(int64_t{10}, int64_t{600000}))
      ->capture_default_str();
  app.add_option("--grace-period-ms", flags.gracePeriodMs,
                 "How long a stopping process gets between SIGINT and SIGKILL")
      ->check(CLI::Range(int64_t{0}, int64_t{600000}))
      ->capture_default_str();
  wax::addOidcFlags(app, flags.api, false);
  wax::addDashboardFlags(app, flags.dashboard);
  auto* policy = app.add_option("--policy", flags.policyFile,
                                "With --auth-issuer: the file saying which users and groups "
                                "may do what in which namespaces (see docs/local-mode.md)")
                     ->check(CLI::ExistingFile);
  app.get_option("--auth-issuer")->needs(policy);
  policy->needs(app.get_option("--auth-issuer"));
  wax::addHttpFlags(app, flags.api);
  app.add_option("--workers", flags.workers, "Dataflows reconciled in parallel")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--max-processes", flags.maxProcesses,
                 "The most processes one dataflow may run (spec.processesCount)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000}))
      ->capture_default_str();
  app.add_option("--max-workers", flags.maxWorkers,
                 "The most workers one dataflow may run (processesCount x workersPerProcess)")
      ->check(CLI::Range(int64_t{1}, int64_t{1024000}))
      ->capture_default_str();
  return wax::serverMain(app, argc, argv, flags.logLevel, [&flags] { return run(flags); });
}
