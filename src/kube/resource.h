#pragma once

#include <string>
#include <string_view>

#include "common/url.h"

// A Kubernetes resource type as the REST API addresses it: group, version and the plural
// resource name, plus whether objects live in a namespace. Paths are built from these, never
// from a kind, so no discovery round trip is needed.
namespace wax::kube {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // e.g. "v1"
  std::string plural;   // e.g. "configmaps"
  std::string kind;     // e.g. "ConfigMap"; used for apiVersion/kind in helpers
  bool namespaced = true;

  // "v1" for the core group, else "group/version".
  std::string apiVersion() const;
  // The collection path, e.g. /api/v1/namespaces/ns/configmaps; `ns` is ignored for cluster
  // resources and an empty `ns` lists across all namespaces.
  std::string collectionPath(std::string_view ns) const;
  // The path of one object or of its subresource ("status", "log").
  std::string objectPath(std::string_view ns, std::string_view name,
                         std::string_view subresource = {}) const;
};

namespace resources {
inline const Resource kDataflows{"bytewax.io", "v1alpha1", "dataflows", "Dataflow"};
inline const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap"};
inline const Resource kSecrets{"", "v1", "secrets", "Secret"};
inline const Resource kServices{"", "v1", "services", "Service"};
inline const Resource kPods{"", "v1", "pods", "Pod"};
inline const Resource kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims",
                                              "PersistentVolumeClaim"};
inline const Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const Resource kNodes{"", "v1", "nodes", "Node", false};
inline const Resource kStatefulSets{"apps", "v1", "statefulsets", "StatefulSet"};
inline const Resource kJobs{"batch", "v1", "jobs", "Job"};
inline const Resource kCronJobs{"batch", "v1", "cronjobs", "CronJob"};
inline const Resource kEvents{"events.k8s.io", "v1", "events", "Event"};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease"};
inline const Resource kCustomResourceDefinitions{
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
inline const Resource kPodMonitors{"monitoring.coreos.com", "v1", "podmonitors", "PodMonitor"};
inline const Resource kSubjectAccessReviews{"authorization.k8s.io", "v1", "subjectaccessreviews",
                                            "SubjectAccessReview", false};
}  // namespace resources

}  // namespace wax::kube
