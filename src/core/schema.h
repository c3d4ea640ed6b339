#pragma once

#include <span>
#include <string_view>

// The wire field names of every Dataflow object, in the order a human reads them (the order of
// the structs in dataflow.h). The decoder checks fields against these lists and the encoders
// write in this order, so the two cannot drift apart. Internal to wax_core.
namespace wax::core::schema {

using FieldList = std::span<const std::string_view>;

inline constexpr std::string_view kTopFields[] = {"apiVersion", "kind", "metadata", "spec",
                                                  "status"};
inline constexpr std::string_view kMetadataFields[] = {"name",
                                                       "namespace",
                                                       "uid",
                                                       "resourceVersion",
                                                       "generation",
                                                       "creationTimestamp",
                                                       "deletionTimestamp",
                                                       "labels",
                                                       "annotations",
                                                       "finalizers"};
inline constexpr std::string_view kSpecFields[] = {
    "image",        "pythonFileName", "processesCount",    "workersPerProcess", "env",
    "dependencies", "configMapName",  "tarName",           "artifactsDownload", "jobMode",
    "keepAlive",    "schedule",       "concurrencyPolicy", "suspend",           "recovery",
    "chartValues"};
inline constexpr std::string_view kImageFields[] = {"repository", "tag", "pullPolicy",
                                                    "pullSecret"};
inline constexpr std::string_view kEnvVarFields[] = {"name", "value"};
inline constexpr std::string_view kArtifactsDownloadFields[] = {"url", "token", "secretName"};
inline constexpr std::string_view kRecoveryFields[] = {
    "enabled",      "partsCount",  "snapshotInterval", "backupInterval",
    "singleVolume", "persistence", "cloudBackup"};
inline constexpr std::string_view kPersistenceFields[] = {"size", "storageClassName"};
inline constexpr std::string_view kCloudBackupFields[] = {"enabled", "s3"};
inline constexpr std::string_view kS3Fields[] = {"url", "accessKeyId", "secretAccessKey",
                                                 "secretName"};
inline constexpr std::string_view kStatusFields[] = {
    "observedGeneration", "phase",     "conditions",   "processesDesired", "processesReady",
    "restarts",           "lastError", "lastSnapshot", "completedRun"};
inline constexpr std::string_view kConditionFields[] = {
    "type", "status", "reason", "message", "lastTransitionTime", "observedGeneration"};

// The field order of the object found at `schemaPath` in a Dataflow document, where the path
// names fields with '.' and array elements with "[]" ("spec.env[]", "status.conditions[]"; ""
// is the document itself). Empty for paths whose keys have no natural order (labels, the
// contents of unknown fields).
FieldList fieldOrderAt(std::string_view schemaPath);

}  // namespace wax::core::schema
