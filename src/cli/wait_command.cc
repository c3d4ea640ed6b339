// waxctl dataflow wait NAME --for=condition=X --timeout=T, in the manner of `kubectl wait`.
#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "common/error.h"

namespace wax::cli {

namespace {

// True when the condition is True for the current generation: a status written before the
// last change of the spec does not count.
bool conditionMet(const nlohmann::json& object, const std::string& type) {
  const auto status = object.value("status", nlohmann::json::object());
  const int64_t generation = object["metadata"].value("generation", 0);
  if (status.value("observedGeneration", int64_t{-1}) != generation) {
    return false;
  }
  for (const auto& condition : status.value("conditions", nlohmann::json::array())) {
    if (condition.value("type", "") == type) {
      return condition.value("status", "") == "True";
    }
  }
  return false;
}

std::string describe(const nlohmann::json& object) {
  const auto status = object.value("status", nlohmann::json::object());
  std::string text = "phase " + status.value("phase", std::string("Pending"));
  if (status.contains("lastError")) {
    text += "; last error: " + status["lastError"].get<std::string>();
  }
  return text;
}

// A dataflow that fails may still recover (code that arrives later, a spec that is fixed), so
// the wait goes on; but the person waiting hears of the failure now, not at the timeout. Each
// kind of trouble is told once: a crash loop passes through Starting at every restart.
void sayWhenInTrouble(const nlohmann::json& object, const std::string& ns, const std::string& name,
                      std::string& reported) {
  const auto status = object.value("status", nlohmann::json::object());
  const std::string phase = status.value("phase", "");
  if ((phase == "Failed" || phase == "CrashLoopBackOff") && phase != reported) {
    std::cerr << fmt::format("waxctl: dataflow {}/{} is {}: {}; still waiting\n", ns, name, phase,
                             status.value("lastError", "no error recorded"));
    reported = phase;
  }
}

}  // namespace

int waitFor(Context& context, const std::string& ns, const std::string& name,
            const std::string& condition, const std::string& timeout) {
  const bool forDelete = condition == "delete";
  const std::string prefix = "condition=";
  if (!forDelete && (condition.rfind(prefix, 0) != 0 || condition.size() == prefix.size())) {
    throw UsageError(
        fmt::format("--for \"{}\": use condition=NAME (Ready, Completed, Suspended, "
                    "Degraded, Progressing) or delete",
                    condition));
  }
  const std::string type = forDelete ? "" : condition.substr(prefix.size());
  if (!forDelete) {
    checkConditionType(type);
  }
  const auto deadline = std::chrono::steady_clock::now() + parseTimeout("--timeout", timeout);
  const std::string path =
      fmt::format("/api/v1/namespaces/{}/dataflows/{}", urlEncode(ns), urlEncode(name));
  nlohmann::json last;
  std::string reported;
  while (true) {
    try {
      last = context.client().get(path);
    } catch (const Error& error) {
      if (error.code() != ErrorCode::NotFound) {
        throw;
      }
      if (forDelete) {
        std::cout << fmt::format("dataflow/{} deleted\n", name);
        return kExitOk;
      }
      throw;
    }
    if (!forDelete && conditionMet(last, type)) {
      std::cout << fmt::format("dataflow/{} condition met\n", name);
      return kExitOk;
    }
    sayWhenInTrouble(last, ns, name, reported);
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << fmt::format("waxctl: timed out waiting for {} on dataflow {}/{} ({})\n",
                               condition, ns, name, describe(last));
      return kExitError;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace wax::cli
