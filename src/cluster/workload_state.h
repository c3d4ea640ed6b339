#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "operator/runtime.h"

// Judges what runs from the objects the API server reports: the dataflow's workload (a
// StatefulSet or a Job) and its pods. Pure, so that every rule is tested without a cluster.
namespace wax::cluster {

struct WorkloadView {
  const nlohmann::json* workload = nullptr;  // the StatefulSet or Job; null when absent
  std::vector<nlohmann::json> pods;          // the dataflow's pods, in any order
  int64_t processesCount = 1;                // what the spec asks for
  bool run = true;                           // false: suspended, or its run completed
  bool jobMode = false;
  std::string runId;  // the configuration that should run (the pod template's hash)
};

operator_::RunState judgeWorkload(const WorkloadView& view);

// A scheduled dataflow (a CronJob) is Running while its schedule is in force; between runs no
// process is desired, during a run the pods of the run are judged like a Job's.
operator_::RunState judgeCronJob(const WorkloadView& view);

// The pods of a StatefulSet that run an older revision than its update revision. The operator
// deletes them all at once: a bytewax cluster whose processes disagree about the address list
// or the code would hang, so rolling one pod at a time is never right.
std::vector<std::string> outdatedPods(const nlohmann::json& statefulSet,
                                      const std::vector<nlohmann::json>& pods);

// The process index of a dataflow's pod (StatefulSet ordinal or Job completion index), or -1.
int64_t processIndex(const nlohmann::json& pod);

}  // namespace wax::cluster
