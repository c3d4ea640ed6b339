#pragma once

#include <string>

#include "core/dataflow.h"
#include "operator/runtime.h"

// Turns what the runtime sees into the Dataflow's status: a phase, standard conditions and the
// last error in plain words. Pure, so the rules are tested on their own.
namespace wax::operator_ {

// Condition types a Dataflow reports.
inline constexpr const char* kReady = "Ready";
inline constexpr const char* kProgressing = "Progressing";
inline constexpr const char* kDegraded = "Degraded";
inline constexpr const char* kSuspended = "Suspended";
inline constexpr const char* kCompleted = "Completed";

// The status for `dataflow` given the runtime's state. Conditions whose status did not change
// keep their lastTransitionTime from the current status; `now` stamps the others (RFC 3339).
core::DataflowStatus computeStatus(const core::Dataflow& dataflow, const RunState& state,
                                   bool suspended, const std::string& now);

// True when the two differ in anything but timestamps, i.e. when a status write is needed.
bool statusChanged(const core::DataflowStatus& before, const core::DataflowStatus& after);

std::string nowRfc3339();

}  // namespace wax::operator_
