// wax-bench-converge: the work of the convergence benchmark (bench/operator_bench.py), done by
// one C++ client of src/kube so that both sides of the ratio pay the same client costs.
//   floor:    create N Dataflows, apply their rendered children and write their status
//             directly, W at a time: the fewest requests that reach the operator's end state;
//   operator: create N Dataflows and wait until wax-operator has applied their children and
//             caught up observedGeneration.
// Prints the seconds it took; for the operator, then the seconds until every Dataflow also has
// its finalizer.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "core/codec.h"
#include "core/validation.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "operator/status.h"
#include "render/render.h"

namespace {

using nlohmann::json;
namespace resources = wax::kube::resources;

struct Flags {
  std::string kubeconfig;
  std::string ns;
  std::string mode;
  int count = 500;
  int workers = 4;
};

json dataflow(const std::string& ns, int index) {
  return {{"apiVersion", "bytewax.io/v1alpha1"},
          {"kind", "Dataflow"},
          {"metadata", {{"name", fmt::format("flow-{:04d}", index)}, {"namespace", ns}}},
          {"spec",
           {{"image", {{"tag", "0.21.1"}}}, {"pythonFileName", "flow.py"}, {"processesCount", 2}}}};
}

// The code ConfigMap that waxctl would create with the Dataflow.
json code(const std::string& ns, int index) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", fmt::format("flow-{:04d}", index)}, {"namespace", ns}}},
          {"data", {{"flow.py", "flow = None\n"}}}};
}

const wax::kube::Resource& resourceFor(const std::string& kind) {
  if (kind == "StatefulSet") {
    return resources::kStatefulSets;
  }
  if (kind == "Service") {
    return resources::kServices;
  }
  throw std::runtime_error("the benchmark renders no " + kind);
}

// What the operator would write for `created`, written by this client: the rendered children,
// then the status that says they were (its observedGeneration is what convergence waits for).
void applyChildrenAndStatus(wax::kube::Client& client, const json& created) {
  std::vector<wax::core::FieldError> errors;
  wax::core::Dataflow parsed = wax::core::dataflowFromJson(created, errors);
  wax::core::Dataflow effective = parsed;
  wax::core::applyDefaults(effective);
  for (const auto& child : wax::render::renderChildren(effective, {})) {
    client.apply(resourceFor(child.at("kind")), child, {"bench-floor", true});
  }
  wax::operator_::RunState starting;
  starting.phase = wax::operator_::RunPhase::Starting;
  starting.processesDesired = effective.spec.processesCount.value_or(1);
  parsed.status =
      wax::operator_::computeStatus(parsed, starting, false, wax::operator_::nowRfc3339());
  client.updateStatus(resources::kDataflows, wax::core::toJson(parsed), {"bench-floor"});
}

// Runs `work(i)` for i in [0, count) on `workers` threads; rethrows the first failure.
template <class Work>
void parallel(int count, int workers, Work work) {
  std::atomic<int> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      try {
        for (int i = next++; i < count; i = next++) {
          work(i);
        }
      } catch (...) {
        std::lock_guard lock(mutex);
        failure = failure ? failure : std::current_exception();
        next = count;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  if (failure) {
    std::rethrow_exception(failure);
  }
}

// Observes the Dataflows through an informer, so that waiting costs the API server a watch,
// not a list of every Dataflow ten times a second (which would slow the side it measures).
// The operator writes observedGeneration after it has applied the children; one list of
// StatefulSets at the end checks that it did.
class Progress {
 public:
  Progress(wax::kube::Client& client, const std::string& ns)
      : client_(client), ns_(ns), dataflows_(client, options(ns)) {
    dataflows_.start();
  }

  bool converged(int count) const {
    if (!dataflows_.synced()) {
      return false;
    }
    int caughtUp = 0;
    for (const auto& item : dataflows_.list()) {
      caughtUp += item->value("o", int64_t{0}) == item->value("g", int64_t{-1});
    }
    return caughtUp >= count &&
           static_cast<int>(client_.list(resources::kStatefulSets, ns_).items.size()) >= count;
  }

  // Whether the operator's bookkeeping, which waits while it is busy, is done too: every
  // Dataflow has its finalizer.
  bool settled(int count) const {
    int finalized = 0;
    for (const auto& item : dataflows_.list()) {
      const auto finalizers = (*item)["metadata"].value("finalizers", json::array());
      finalized += std::find(finalizers.begin(), finalizers.end(), "bytewax.io/wax-cleanup") !=
                   finalizers.end();
    }
    return finalized >= count;
  }

 private:
  static wax::kube::InformerOptions options(const std::string& ns) {
    wax::kube::InformerOptions options;
    options.resource = resources::kDataflows;
    options.namespaces = {ns};
    options.transform = [](json object) {
      return json{
          {"metadata", object["metadata"]},
          {"g", object["metadata"].value("generation", int64_t{-1})},
          {"o", object.value("status", json::object()).value("observedGeneration", int64_t{0})}};
    };
    return options;
  }

  wax::kube::Client& client_;
  std::string ns_;
  wax::kube::Informer dataflows_;
};

int run(const Flags& flags) {
  wax::kube::ClientOptions options;
  options.rateLimit = {1000, 2000};  // the API server, not the client, should set the pace
  wax::kube::Client client(wax::kube::loadConfig({flags.kubeconfig, "", ""}), options);
  const bool floor = flags.mode == "floor";
  std::optional<Progress> progress;
  if (!floor) {
    progress.emplace(client, flags.ns);
  }
  const auto start = std::chrono::steady_clock::now();
  parallel(flags.count, flags.workers, [&](int i) {
    client.create(resources::kConfigMaps, code(flags.ns, i));
    const json created = client.create(resources::kDataflows, dataflow(flags.ns, i));
    if (floor) {
      applyChildrenAndStatus(client, created);
    }
  });
  auto waitFor = [&](auto done) {
    while (!done()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    return took.count();
  };
  const double converged = waitFor([&] { return !progress || progress->converged(flags.count); });
  std::cout << fmt::format("{:.3f}\n", converged);
  if (progress) {
    std::cout << fmt::format("{:.3f}\n", waitFor([&] { return progress->settled(flags.count); }));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wax-bench-converge: one side of the operator convergence benchmark"};
  Flags flags;
  app.add_option("--kubeconfig", flags.kubeconfig, "Kubeconfig of the cluster")->required();
  app.add_option("--namespace", flags.ns, "An existing, empty namespace")->required();
  app.add_option("--mode", flags.mode, "floor or operator")
      ->required()
      ->check(CLI::IsMember({"floor", "operator"}));
  app.add_option("--count", flags.count, "Dataflows")->capture_default_str();
  app.add_option("--workers", flags.workers, "Concurrent requests of the floor and creator")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(flags);
  } catch (const std::exception& error) {
    std::cerr << "wax-bench-converge: " << error.what() << "\n";
    return 1;
  }
}
