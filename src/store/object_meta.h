#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "store/store.h"

// The API-server rules a store applies to object metadata, kept free of any storage so that
// every Store implementation (and its tests) can share them.
namespace wax::store {

struct ObjectName {
  std::string ns;
  std::string name;
};

// The namespace and name of `object`. Throws Invalid, naming the field, when either is absent or
// empty, when metadata.finalizers is not a list of strings, or when `object` is not a JSON object
// with metadata.
ObjectName requireName(const Kind& kind, const nlohmann::json& object);

// metadata.resourceVersion as given by a client; empty when absent. Throws Invalid when it is
// not a string.
std::string requestedResourceVersion(const Kind& kind, const nlohmann::json& object);

// A random (version 4) UUID in its canonical text form.
std::string newUid();

// RFC 3339 in UTC with second precision, as Kubernetes writes timestamps: 2026-12-03T18:00:00Z.
std::string formatTimestamp(std::chrono::system_clock::time_point time);

// The desired state of an object: every top-level field but apiVersion, kind, metadata and
// status. That is `spec` for dataflows and data/binaryData (plus type, immutable) for secrets
// and configmaps; metadata.generation grows exactly when this changes.
nlohmann::json desiredState(const nlohmann::json& object);

bool hasFinalizers(const nlohmann::json& object);
bool isMarkedForDeletion(const nlohmann::json& object);

// True when `updated` lists a finalizer that `stored` does not.
bool addsFinalizer(const nlohmann::json& stored, const nlohmann::json& updated);

// The user-facing errors, worded like the Kubernetes API server's.
Error notFound(const Kind& kind, const ObjectName& name);
Error alreadyExists(const Kind& kind, const ObjectName& name);
Error conflict(const Kind& kind, const ObjectName& name);
Error uidMismatch(const Kind& kind, const ObjectName& name, const std::string& requested,
                  const std::string& stored);
Error invalid(const Kind& kind, const ObjectName& name, const std::string& detail);

}  // namespace wax::store
