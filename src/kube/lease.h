#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/client.h"

// Leases (coordination.k8s.io/v1) as a leader-election record: who holds it, for how long, and
// when it was last renewed. Writes carry the resourceVersion read, so two candidates racing for
// the same lease cannot both win: the slower one gets ErrorCode::Conflict.
namespace wax::kube {

struct LeaseRecord {
  std::string holderIdentity;  // "" when released
  int64_t leaseDurationSeconds = 0;
  std::optional<std::chrono::system_clock::time_point> acquireTime;
  std::optional<std::chrono::system_clock::time_point> renewTime;
  int64_t leaseTransitions = 0;
};

LeaseRecord leaseRecordOf(const nlohmann::json& lease);
nlohmann::json leaseSpecOf(const LeaseRecord& record);

// nullopt when the lease does not exist.
std::optional<nlohmann::json> getLease(Client& client, const std::string& ns,
                                       const std::string& name);
// AlreadyExists if someone created it first.
nlohmann::json createLease(Client& client, const std::string& ns, const std::string& name,
                           const LeaseRecord& record);
// Replaces the spec of `current` (as read) with `record`; Conflict if it changed since.
nlohmann::json updateLease(Client& client, const nlohmann::json& current,
                           const LeaseRecord& record);

}  // namespace wax::kube
