#pragma once

#include "kube/events.h"
#include "operator/events.h"

// The controller's events as Kubernetes Events (events.k8s.io/v1) about the Dataflow, so that
// `kubectl describe dataflow` and `kubectl events` show them.
namespace wax::cluster {

class KubeEventRecorder : public operator_::EventRecorder {
 public:
  KubeEventRecorder(kube::Client& client, std::string instance);
  void record(const core::Dataflow& dataflow, const operator_::Event& event) noexcept override;

 private:
  kube::EventRecorder recorder_;
};

}  // namespace wax::cluster
