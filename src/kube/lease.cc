#include "kube/lease.h"

#include "kube/auth.h"
#include "kube/events.h"

namespace wax::kube {

using nlohmann::json;

LeaseRecord leaseRecordOf(const json& lease) {
  json spec = lease.value("spec", json::object());
  LeaseRecord record;
  record.holderIdentity = spec.value("holderIdentity", std::string());
  record.leaseDurationSeconds = spec.value("leaseDurationSeconds", int64_t{0});
  record.leaseTransitions = spec.value("leaseTransitions", int64_t{0});
  if (spec.contains("acquireTime") && spec["acquireTime"].is_string()) {
    record.acquireTime = parseRfc3339(spec["acquireTime"].get<std::string>());
  }
  if (spec.contains("renewTime") && spec["renewTime"].is_string()) {
    record.renewTime = parseRfc3339(spec["renewTime"].get<std::string>());
  }
  return record;
}

json leaseSpecOf(const LeaseRecord& record) {
  json spec = {{"holderIdentity", record.holderIdentity},
               {"leaseDurationSeconds", record.leaseDurationSeconds},
               {"leaseTransitions", record.leaseTransitions}};
  if (record.acquireTime) {
    spec["acquireTime"] = formatMicroTime(*record.acquireTime);
  }
  if (record.renewTime) {
    spec["renewTime"] = formatMicroTime(*record.renewTime);
  }
  return spec;
}

std::optional<json> getLease(Client& client, const std::string& ns, const std::string& name) {
  try {
    return client.get(resources::kLeases, ns, name);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::NotFound) {
      return std::nullopt;
    }
    throw;
  }
}

json createLease(Client& client, const std::string& ns, const std::string& name,
                 const LeaseRecord& record) {
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"spec", leaseSpecOf(record)}};
  return client.create(resources::kLeases, lease);
}

json updateLease(Client& client, const json& current, const LeaseRecord& record) {
  json lease = current;
  lease["spec"] = leaseSpecOf(record);
  return client.update(resources::kLeases, lease);
}

}  // namespace wax::kube
