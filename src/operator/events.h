#pragma once

#include <optional>
#include <string>

#include "core/dataflow.h"

// Events tell people what happened to a dataflow, in `kubectl describe` and `kubectl events`.
// The controller records one when a dataflow's situation changes (its Ready condition's reason),
// never on every reconcile. Reasons come from a fixed list (docs/dataflow-resource.md), so that
// alerts can match them; messages are capped and never carry the spec's secret values.
namespace wax::operator_ {

struct Event {
  bool warning = false;  // Warning rather than Normal
  std::string reason;    // one of the reasons of status.cc: ProcessesReady, CrashLoopBackOff...
  std::string message;
};

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // Records `event` about `dataflow`. Must not throw: a lost event never fails a reconcile.
  virtual void record(const core::Dataflow& dataflow, const Event& event) noexcept = 0;
};

inline constexpr size_t kMaxEventMessageBytes = 1024;

// The event for a status change, or none when the situation is the same as before.
std::optional<Event> eventForTransition(const core::Dataflow& dataflow,
                                        const std::optional<core::DataflowStatus>& before,
                                        const core::DataflowStatus& after);

// `message` without any secret value of the dataflow's spec, cut to kMaxEventMessageBytes on a
// UTF-8 character boundary.
std::string sanitizeEventMessage(const core::Dataflow& dataflow, std::string message);

}  // namespace wax::operator_
