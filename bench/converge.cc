// wax-bench-converge: the work of the convergence benchmark (bench/operator_bench.py), done by
// one C++ client of src/kube so that both sides of the ratio pay the same client costs.
//   floor:    create N Dataflows and apply their rendered children directly, W at a time;
//   operator: create N Dataflows and wait until wax-operator has applied their children and
//             caught up observedGeneration.
// Prints the seconds it took.
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "core/codec.h"
#include "core/validation.h"
#include "kube/client.h"
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

// What the operator would apply for `created`, applied by this client.
void applyChildren(wax::kube::Client& client, const json& created) {
  std::vector<wax::core::FieldError> errors;
  wax::core::Dataflow parsed = wax::core::dataflowFromJson(created, errors);
  wax::core::applyDefaults(parsed);
  for (const auto& child : wax::render::renderChildren(parsed, {})) {
    client.apply(resourceFor(child.at("kind")), child, {"bench-floor", true});
  }
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

bool converged(wax::kube::Client& client, const std::string& ns, int count) {
  const auto dataflows = client.list(resources::kDataflows, ns);
  int caughtUp = 0;
  for (const auto& item : dataflows.items) {
    const auto status = item.value("status", json::object());
    caughtUp += status.value("observedGeneration", int64_t{0}) ==
                item["metadata"].value("generation", int64_t{-1});
  }
  return caughtUp >= count &&
         static_cast<int>(client.list(resources::kStatefulSets, ns).items.size()) >= count;
}

int run(const Flags& flags) {
  wax::kube::ClientOptions options;
  options.rateLimit = {1000, 2000};  // the API server, not the client, should set the pace
  wax::kube::Client client(wax::kube::loadConfig({flags.kubeconfig, "", ""}), options);
  const auto start = std::chrono::steady_clock::now();
  const bool floor = flags.mode == "floor";
  parallel(flags.count, flags.workers, [&](int i) {
    client.create(resources::kConfigMaps, code(flags.ns, i));
    const json created = client.create(resources::kDataflows, dataflow(flags.ns, i));
    if (floor) {
      applyChildren(client, created);
    }
  });
  while (!floor && !converged(client, flags.ns, flags.count)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::cout << fmt::format("{:.3f}\n", took.count());
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
