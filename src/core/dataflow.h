#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The Dataflow resource (bytewax.io/v1alpha1) as the Bytewax Platform defines it. Every spec
// field is optional here so that a manifest decodes and encodes back unchanged: absence is
// kept apart from a default. applyDefaults() fills the documented defaults in.
// Every struct compares field by field, so "did the spec change" is a plain `!=`.
namespace wax::core {

inline constexpr const char* kGroup = "bytewax.io";
inline constexpr const char* kVersion = "v1alpha1";
inline constexpr const char* kApiVersion = "bytewax.io/v1alpha1";
inline constexpr const char* kKind = "Dataflow";

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "namespace" on the wire
  std::optional<std::string> uid;
  std::optional<std::string> resourceVersion;
  std::optional<int64_t> generation;
  std::optional<std::string> creationTimestamp;  // RFC 3339, UTC
  std::optional<std::string> deletionTimestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;

  bool operator==(const ObjectMeta&) const = default;
};

struct ImageSpec {
  std::optional<std::string> repository;
  std::optional<std::string> tag;         // required by validation
  std::optional<std::string> pullPolicy;  // Always | IfNotPresent | Never; default Always
  std::optional<std::string> pullSecret;  // default "default-credentials"

  bool operator==(const ImageSpec&) const = default;
};

struct EnvVar {
  std::string name;
  std::string value;

  bool operator==(const EnvVar&) const = default;
};

struct ArtifactsDownload {
  std::optional<std::string> url;
  std::optional<std::string> token;
  std::optional<std::string> secretName;

  bool operator==(const ArtifactsDownload&) const = default;
};

struct Persistence {
  std::optional<std::string> size;  // default "10Gi"
  std::optional<std::string> storageClassName;

  bool operator==(const Persistence&) const = default;
};

struct S3Backup {
  std::optional<std::string> url;  // s3://bucket/prefix
  std::optional<std::string> accessKeyId;
  std::optional<std::string> secretAccessKey;
  std::optional<std::string> secretName;

  bool operator==(const S3Backup&) const = default;
};

struct CloudBackup {
  std::optional<bool> enabled;  // default false
  std::optional<S3Backup> s3;

  bool operator==(const CloudBackup&) const = default;
};

struct Recovery {
  std::optional<bool> enabled;              // default false
  std::optional<int64_t> partsCount;        // default 1
  std::optional<int64_t> snapshotInterval;  // seconds, default 1
  std::optional<int64_t> backupInterval;    // seconds, default 1
  std::optional<bool> singleVolume;         // default false
  std::optional<Persistence> persistence;
  std::optional<CloudBackup> cloudBackup;

  bool operator==(const Recovery&) const = default;
};

struct DataflowSpec {
  std::optional<ImageSpec> image;
  std::optional<std::string> pythonFileName;
  std::optional<int64_t> processesCount;     // default 1
  std::optional<int64_t> workersPerProcess;  // default 1
  std::optional<std::vector<EnvVar>> env;
  std::optional<std::vector<std::string>> dependencies;
  std::optional<std::string> configMapName;
  std::optional<std::string> tarName;
  std::optional<ArtifactsDownload> artifactsDownload;
  std::optional<bool> jobMode;    // default false
  std::optional<bool> keepAlive;  // default false
  std::optional<std::string> schedule;
  std::optional<std::string> concurrencyPolicy;  // Allow | Forbid | Replace; default Forbid
  std::optional<bool> suspend;                   // default false
  std::optional<Recovery> recovery;
  std::optional<std::string> chartValues;

  bool operator==(const DataflowSpec&) const = default;
};

// A standard metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // True | False | Unknown
  std::string reason;
  std::string message;
  std::string lastTransitionTime;
  int64_t observedGeneration = 0;

  bool operator==(const Condition&) const = default;
};

struct DataflowStatus {
  std::optional<int64_t> observedGeneration;
  std::optional<std::string> phase;
  std::vector<Condition> conditions;
  std::optional<int64_t> processesDesired;
  std::optional<int64_t> processesReady;
  std::optional<int64_t> restarts;
  std::optional<std::string> lastError;
  std::optional<std::string> lastSnapshot;
  // The run that finished with every process exiting 0. A dataflow whose current run matches
  // it is Completed and is not started again.
  std::optional<std::string> completedRun;

  bool operator==(const DataflowStatus&) const = default;
};

struct Dataflow {
  std::string apiVersion = kApiVersion;
  std::string kind = kKind;
  ObjectMeta metadata;
  DataflowSpec spec;
  std::optional<DataflowStatus> status;

  bool operator==(const Dataflow&) const = default;
};

// One problem found while decoding or validating, with the path of the field it concerns
// (for example "spec.recovery.partsCount") and a message that says how to fix it.
struct FieldError {
  std::string field;
  std::string message;
};

}  // namespace wax::core
