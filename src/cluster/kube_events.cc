#include "cluster/kube_events.h"

#include "common/logging.h"
#include "core/codec.h"

namespace wax::cluster {

KubeEventRecorder::KubeEventRecorder(kube::Client& client, std::string instance)
    : recorder_(client, "bytewax.io/wax-operator", std::move(instance)) {}

void KubeEventRecorder::record(const core::Dataflow& dataflow,
                               const operator_::Event& event) noexcept {
  try {
    kube::EventRecord record;
    record.type = event.warning ? "Warning" : "Normal";
    record.reason = event.reason;
    record.action = "Reconcile";
    // The controller has already taken the spec's secrets out; the cap is the API server's.
    record.note = event.message;
    recorder_.record(core::toJson(dataflow), record);
  } catch (const std::exception& error) {
    logger("events")->warn("cannot record an event dataflow={}/{} reason={} error={}",
                           dataflow.metadata.namespace_, dataflow.metadata.name, event.reason,
                           error.what());
  }
}

}  // namespace wax::cluster
