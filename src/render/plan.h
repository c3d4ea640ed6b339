#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/dataflow.h"
#include "render/render.h"

// What every builder of the render component needs to know about one dataflow, decided once
// from its (defaulted) spec. Internal to src/render.
namespace wax::render {

struct Plan {
  const core::Dataflow& dataflow;
  const RenderOptions& options;
  std::string name;
  std::string ns;
  std::string kind;  // StatefulSet | Job | CronJob
  int64_t processes = 1;
  bool recovery = false;
  // One PVC "<name>-recovery" mounted by every pod, instead of one volume per pod. Jobs and
  // CronJobs always share: their pods come from one template with no per-pod claims.
  bool sharedVolume = false;
};

Plan makePlan(const core::Dataflow& dataflow, const RenderOptions& options);

// The pod template (metadata and spec) of the dataflow's workload.
nlohmann::json podTemplate(const Plan& plan);

// The StatefulSet's per-pod claim "recovery", or null when none is needed.
nlohmann::json recoveryClaimTemplate(const Plan& plan);

// PersistentVolumeClaim spec for the recovery volume (shared or per pod).
nlohmann::json recoveryClaimSpec(const Plan& plan);

nlohmann::json toJson(const std::map<std::string, std::string>& labels);

}  // namespace wax::render
