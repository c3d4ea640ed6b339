// wax-operator: the Dataflow controller in a Kubernetes cluster. The same reconciler as waxd,
// with the kube-apiserver as its store and Kubernetes workloads as its runtime. With
// --leader-elect, replicas campaign for a Lease and only the holder reconciles.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cluster/kube_events.h"
#include "cluster/kube_runtime.h"
#include "cluster/kube_store.h"
#include "common/error.h"
#include "common/logging.h"
#include "common/version.h"
#include "core/validation.h"
#include "http/server.h"
#include "kube/client.h"
#include "kube/leader_election.h"
#include "operator/controller.h"
#include "server_main.h"

namespace {

struct Flags {
  std::string kubeconfig;
  std::string context;
  std::vector<std::string> namespaces;
  std::string clusterDomain = "cluster.local";
  std::string otlpUrl;
  std::string metricsAddress = "127.0.0.1:8080";
  std::string logLevel = "info";
  int workers = 4;
  int64_t resyncSeconds = 300;
  int64_t orphanedCodeSeconds = 120;
  bool leaderElect = false;
  std::string leaseNamespace;
  std::string leaseName = "wax-operator";
  std::string leaseDuration = "15s";
  std::string identity;
  double qps = 50;
  int burst = 100;
};

std::shared_ptr<spdlog::logger> log() {
  return wax::logger("wax-operator");
}

std::string defaultIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    return pod;
  }
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return fmt::format("{}_{:08x}", host, std::random_device{}());
}

// The PodMonitor CRD decides whether dataflows get a PodMonitor; a cluster without the
// Prometheus operator has none, and an operator without the right to look gets none either.
bool podMonitorsExist(wax::kube::Client& client) {
  try {
    client.get(wax::kube::resources::kCustomResourceDefinitions, "",
               "podmonitors.monitoring.coreos.com");
    return true;
  } catch (const wax::Error& error) {
    if (error.code() != wax::ErrorCode::NotFound) {
      log()->warn("cannot tell whether PodMonitors exist; none will be made error={}",
                  error.what());
    }
    return false;
  }
}

constexpr std::chrono::seconds kRefusalPatience{10};

// The reconciler, which runs only while this replica leads (or always, without election).
class Reconciler {
 public:
  Reconciler(wax::kube::Client& client, const Flags& flags)
      : store_(client, {flags.namespaces}),
        events_(client, flags.identity,
                [this] {
                  auto* current = controller_.load();
                  return current != nullptr && current->busy();
                }),
        runtime_(client, store_, runtimeOptions(client, flags),
                 [this](const std::string& key) {
                   if (auto* current = controller_.load()) {
                     current->enqueue(key);
                   }
                 }),
        dataflows_(store_, runtime_, controllerOptions(flags)) {}

  // A list or watch refused for want of permission for kRefusalPatience: retrying will not
  // mend it, and a replica that cannot see is better restarting with the reason in its log.
  std::optional<wax::Error> refusal() const {
    auto refused = runtime_.refusal(kRefusalPatience);
    return refused ? refused : store_.refusal(kRefusalPatience);
  }

  bool ready() const { return ready_; }

  void start() {
    if (!runtime_.start(std::chrono::minutes(2))) {
      if (stopRequested()) {
        return;
      }
      throw std::runtime_error(
          "the caches of workloads and pods did not fill in 2 minutes; "
          "check the operator's RBAC and the API server");
    }
    std::lock_guard lock(mutex_);
    if (stopped_) {
      return;
    }
    controller_ = &dataflows_;
    dataflows_.start();
    ready_ = true;
  }

  // Safe from another thread while start() runs, and more than once.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      controller_ = nullptr;
    }
    dataflows_.stop();
    runtime_.stop();
  }

  bool stopRequested() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }

 private:
  static wax::cluster::KubeRuntimeOptions runtimeOptions(wax::kube::Client& client,
                                                         const Flags& flags) {
    wax::cluster::KubeRuntimeOptions options;
    options.namespaces = flags.namespaces;
    options.render.clusterDomain = flags.clusterDomain;
    options.render.otlpUrl = flags.otlpUrl;
    options.render.podMonitor = podMonitorsExist(client);
    return options;
  }

  wax::operator_::ControllerOptions controllerOptions(const Flags& flags) {
    wax::operator_::ControllerOptions options;
    options.workers = flags.workers;
    options.resyncPeriod = std::chrono::seconds(flags.resyncSeconds);
    options.orphanedCodeAge = std::chrono::seconds(flags.orphanedCodeSeconds);
    options.events = &events_;
    return options;
  }

  wax::cluster::KubeStore store_;
  wax::cluster::KubeEventRecorder events_;
  std::atomic<wax::operator_::Controller*> controller_{nullptr};
  wax::cluster::KubeRuntime runtime_;
  wax::operator_::Controller dataflows_;
  std::mutex mutex_;      // orders start() and stop()
  bool stopped_ = false;  // guarded by mutex_
  std::atomic<bool> ready_{false};
};

int run(Flags flags) {
  const sigset_t stopSignals = wax::blockStopSignals();  // before any thread starts
  const auto leaseDuration = std::chrono::seconds(wax::flags::seconds(flags.leaseDuration));
  const auto [metricsHost, metricsPort] = wax::flags::splitListenAddress(flags.metricsAddress);
  if (flags.identity.empty()) {
    flags.identity = defaultIdentity();
  }

  wax::kube::Config config = wax::kube::loadConfig({flags.kubeconfig, flags.context, ""});
  wax::kube::ClientOptions clientOptions;
  clientOptions.rateLimit = {flags.qps, flags.burst};
  clientOptions.userAgent = fmt::format("wax-operator/{}", wax::kVersion);
  wax::kube::Client client(config, clientOptions);
  log()->info(
      "starting version={} commit={} cluster={} identity={} namespaces={}", wax::kVersion,
      wax::kGitCommit, wax::kube::describe(config), flags.identity,
      flags.namespaces.empty() ? "all" : fmt::format("{}", fmt::join(flags.namespaces, ",")));

  Reconciler reconciler(client, flags);
  wax::http::ServerOptions probeOptions{metricsHost, metricsPort};
  probeOptions.maxStreams = 1;
  probeOptions.requestThreads = 3;
  wax::http::Server probes(probeOptions);
  probes.route("GET", "/healthz", [](const wax::http::Request&) {
    return wax::http::Response{200, "text/plain", "ok\n"};
  });
  // Ready once its caches have filled and it reconciles; a standby of an election is ready
  // too, to take over (a Deployment's rollout waits for every replica to be ready).
  std::atomic<bool> leading{!flags.leaderElect};
  probes.route("GET", "/readyz", [&reconciler, &leading](const wax::http::Request&) {
    if (leading && !reconciler.ready()) {
      return wax::http::Response{503, "text/plain", "not ready: the caches are filling\n"};
    }
    return wax::http::Response{200, "text/plain", "ok\n"};
  });
  const uint16_t port = probes.start();
  log()->info("serving probes address={}:{}", metricsHost, port);

  std::atomic<int> exitCode{0};
  std::atomic<bool> stopping{false};
  // Stops the process from any thread; run() then shuts down in order.
  auto fail = [&exitCode](const std::string& why) {
    log()->error("{}", why);
    exitCode = 1;
    kill(getpid(), SIGTERM);
  };
  auto startReconciling = [&reconciler, &fail] {
    try {
      reconciler.start();
    } catch (const std::exception& error) {
      fail(error.what());
    }
  };
  std::stop_source stopElection;
  std::jthread election;
  std::jthread reconciling;
  std::jthread watchdog([&reconciler, &fail](std::stop_token stop) {
    while (!stop.stop_requested()) {
      if (auto refused = reconciler.refusal()) {
        fail(refused->code() == wax::ErrorCode::Unauthorized
                 ? fmt::format("{}; the API server does not accept the operator's credentials: "
                               "check its kubeconfig, or its service account's token",
                               refused->what())
                 : fmt::format("{}; give the operator's service account the rights that "
                               "deploy/helm/wax grants (list and watch of dataflows, "
                               "configmaps, pods and workloads)",
                               refused->what()));
        return;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  if (flags.leaderElect) {
    wax::kube::LeaderElectionOptions options;
    options.ns = flags.leaseNamespace.empty() ? config.ns : flags.leaseNamespace;
    options.name = flags.leaseName;
    options.identity = flags.identity;
    options.leaseDuration = leaseDuration;
    options.renewDeadline =
        std::chrono::duration_cast<std::chrono::milliseconds>(leaseDuration * 2 / 3);
    options.retryPeriod = std::chrono::duration_cast<std::chrono::milliseconds>(leaseDuration / 7);
    // Off the election's thread, which must go on renewing the lease while caches fill.
    options.onStartedLeading = [&reconciling, &leading, &startReconciling] {
      log()->info("leading: reconciling dataflows");
      leading = true;
      reconciling = std::jthread(startReconciling);
    };
    // A replica that lost its lease may have reconciles in flight that another replica now
    // repeats; it stops at once, and its Deployment starts it again as a candidate.
    options.onStoppedLeading = [&fail, &stopping] {
      if (!stopping) {
        fail("lost the lease; stopping so that only the new leader reconciles");
      }
    };
    election = std::jthread([&client, options, token = stopElection.get_token()] {
      wax::kube::LeaderElector elector(client, options);
      elector.run(token);
    });
  } else {
    reconciling = std::jthread(startReconciling);
  }

  int received = 0;
  sigwait(&stopSignals, &received);
  log()->info("stopping signal={}", received);
  stopping = true;
  reconciler.stop();  // also ends a wait for the caches that is still under way
  watchdog.request_stop();
  if (reconciling.joinable()) {
    reconciling.join();
  }
  stopElection.request_stop();  // releases the lease, so a standby takes over at once
  if (election.joinable()) {
    election.join();
  }
  probes.stop();
  log()->info("stopped");
  return exitCode;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "wax-operator: reconciles Dataflow resources (bytewax.io/v1alpha1) in a "
      "Kubernetes cluster",
      "wax-operator"};
  Flags flags;
  app.set_version_flag("--version",
                       fmt::format("wax-operator {} (commit {})", wax::kVersion, wax::kGitCommit));
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "Kubeconfig file; default: in-cluster, then KUBECONFIG, then ~/.kube/config");
  app.add_option("--context", flags.context, "Kubeconfig context to use");
  app.add_option("--namespaces", flags.namespaces,
                 "Namespaces to watch, comma-separated; default: every namespace")
      ->delimiter(',')
      ->check(wax::flags::namespaceName())
      ->envname("WAX_WATCH_NAMESPACES");
  app.add_option("--cluster-domain", flags.clusterDomain,
                 "The cluster's DNS domain, for the dataflows' address lists")
      ->check(wax::flags::dnsDomain())
      ->capture_default_str();
  app.add_option("--otlp-url", flags.otlpUrl,
                 "OTLP endpoint given to dataflow pods (BYTEWAX_OTLP_URL)")
      ->check(wax::flags::httpUrl());
  app.add_option("--metrics-address", flags.metricsAddress,
                 "HOST:PORT of the /healthz and /readyz endpoints; port 0 picks one")
      ->check(wax::flags::listenAddress())
      ->capture_default_str();
  app.add_option("--workers", flags.workers, "Dataflows reconciled in parallel")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--resync-seconds", flags.resyncSeconds,
                 "How often every dataflow is reconciled even when nothing changed")
      ->check(CLI::Range(int64_t{5}, int64_t{86400}))
      ->capture_default_str();
  app.add_option("--orphaned-code-seconds", flags.orphanedCodeSeconds,
                 "Age at which a code ConfigMap labelled for a dataflow that does not exist "
                 "(deleted while no operator ran) is removed, at a resync")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}))
      ->capture_default_str();
  app.add_flag("--leader-elect", flags.leaderElect,
               "Campaign for a Lease; only the holder reconciles (run 2 replicas)");
  app.add_option("--lease-namespace", flags.leaseNamespace,
                 "Namespace of the Lease; default: the kubeconfig context's")
      ->check(wax::flags::namespaceName());
  app.add_option("--lease-name", flags.leaseName, "Name of the Lease")->capture_default_str();
  app.add_option("--lease-duration", flags.leaseDuration,
                 "How long a lease lasts without renewal; a standby takes over after it")
      ->check(wax::flags::duration())
      ->capture_default_str();
  app.add_option("--identity", flags.identity,
                 "This replica's name in the Lease; default: $POD_NAME, else host name");
  app.add_option("--kube-api-qps", flags.qps, "Requests per second to the API server")
      ->check(CLI::Range(1.0, 10000.0))
      ->capture_default_str();
  app.add_option("--kube-api-burst", flags.burst, "Burst of requests to the API server")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--log-level", flags.logLevel, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  return wax::serverMain(app, argc, argv, flags.logLevel, [&flags] { return run(flags); });
}
