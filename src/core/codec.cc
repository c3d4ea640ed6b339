#include "core/codec.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/schema.h"

namespace wax::core {
namespace {

using nlohmann::json;

std::string childPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  return parent + "." + std::string(key);
}

std::string elementPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

// Label and annotation keys hold dots and slashes, so they go in brackets rather than after '.'.
std::string entryPath(const std::string& parent, const std::string& key) {
  return parent + "[" + key + "]";
}

std::string joinFields(schema::FieldList fields) {
  std::string out;
  for (std::string_view field : fields) {
    if (!out.empty()) {
      out += ", ";
    }
    out += field;
  }
  return out;
}

bool isKnownField(schema::FieldList fields, const std::string& key) {
  for (std::string_view field : fields) {
    if (field == key) {
      return true;
    }
  }
  return false;
}

// The JSON type of a value as a user would call it. Values themselves are never quoted in
// messages because the field may hold a secret.
std::string typeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "float";
    case json::value_t::string:
      return "string";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    default:
      return "binary";
  }
}

// Writes `value` under `key` only when it is set, so absent fields stay absent.
template <typename T>
void putIfSet(json& out, const char* key, const std::optional<T>& value) {
  if (value.has_value()) {
    out[key] = *value;
  }
}

void putIfNotEmpty(json& out, const char* key, const std::string& value) {
  if (!value.empty()) {
    out[key] = value;
  }
}

json encode(const ImageSpec& image) {
  json out = json::object();
  putIfSet(out, "repository", image.repository);
  putIfSet(out, "tag", image.tag);
  putIfSet(out, "pullPolicy", image.pullPolicy);
  putIfSet(out, "pullSecret", image.pullSecret);
  return out;
}

json encode(const std::vector<EnvVar>& env) {
  json out = json::array();
  for (const EnvVar& var : env) {
    out.push_back({{"name", var.name}, {"value", var.value}});
  }
  return out;
}

json encode(const ArtifactsDownload& download) {
  json out = json::object();
  putIfSet(out, "url", download.url);
  putIfSet(out, "token", download.token);
  putIfSet(out, "secretName", download.secretName);
  return out;
}

json encode(const Persistence& persistence) {
  json out = json::object();
  putIfSet(out, "size", persistence.size);
  putIfSet(out, "storageClassName", persistence.storageClassName);
  return out;
}

json encode(const S3Backup& s3) {
  json out = json::object();
  putIfSet(out, "url", s3.url);
  putIfSet(out, "accessKeyId", s3.accessKeyId);
  putIfSet(out, "secretAccessKey", s3.secretAccessKey);
  putIfSet(out, "secretName", s3.secretName);
  return out;
}

json encode(const CloudBackup& backup) {
  json out = json::object();
  putIfSet(out, "enabled", backup.enabled);
  if (backup.s3) {
    out["s3"] = encode(*backup.s3);
  }
  return out;
}

json encode(const Recovery& recovery) {
  json out = json::object();
  putIfSet(out, "enabled", recovery.enabled);
  putIfSet(out, "partsCount", recovery.partsCount);
  putIfSet(out, "snapshotInterval", recovery.snapshotInterval);
  putIfSet(out, "backupInterval", recovery.backupInterval);
  putIfSet(out, "singleVolume", recovery.singleVolume);
  if (recovery.persistence) {
    out["persistence"] = encode(*recovery.persistence);
  }
  if (recovery.cloudBackup) {
    out["cloudBackup"] = encode(*recovery.cloudBackup);
  }
  return out;
}

json encode(const Condition& condition) {
  // metav1.Condition: the strings are required, observedGeneration is omitempty.
  json out = {{"type", condition.type},
              {"status", condition.status},
              {"reason", condition.reason},
              {"message", condition.message},
              {"lastTransitionTime", condition.lastTransitionTime}};
  if (condition.observedGeneration != 0) {
    out["observedGeneration"] = condition.observedGeneration;
  }
  return out;
}

// Decodes JSON into the model, collecting every problem instead of stopping at the first, so a
// user fixes a manifest in one round. Each decode() returns false when the value had the wrong
// type and left `out` untouched.
class Decoder {
 public:
  explicit Decoder(std::vector<FieldError>& errors) : errors_(errors) {}

  bool decode(const json& value, const std::string& path, std::string& out) {
    if (!value.is_string()) {
      // Unquoted YAML like `tag: 0.21` is the usual cause.
      std::string hint = value.is_primitive() ? "; quote the value in YAML" : "";
      return fail(path, "must be a string, got " + typeName(value) + hint);
    }
    out = value.get<std::string>();
    return true;
  }

  bool decode(const json& value, const std::string& path, int64_t& out) {
    if (value.is_number_unsigned()) {
      uint64_t number = value.get<uint64_t>();
      if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return fail(path, "integer out of range: must fit in 64 bits");
      }
      out = static_cast<int64_t>(number);
      return true;
    }
    if (value.is_number_integer()) {
      out = value.get<int64_t>();
      return true;
    }
    if (value.is_number_float()) {
      return fail(path, "must be an integer, got float; write a whole number without '.' or 'e'");
    }
    return fail(path, "must be an integer, got " + typeName(value));
  }

  bool decode(const json& value, const std::string& path, bool& out) {
    if (!value.is_boolean()) {
      return fail(path, "must be a boolean (true or false), got " + typeName(value));
    }
    out = value.get<bool>();
    return true;
  }

  bool decode(const json& value, const std::string& path, std::map<std::string, std::string>& out) {
    if (!value.is_object()) {
      return fail(path, "must be an object of string values, got " + typeName(value));
    }
    for (const auto& [key, item] : value.items()) {
      std::string text;
      if (decode(item, entryPath(path, key), text)) {
        out.emplace(key, std::move(text));
      }
    }
    return true;
  }

  template <typename T>
  bool decode(const json& value, const std::string& path, std::vector<T>& out) {
    if (!value.is_array()) {
      return fail(path, "must be an array, got " + typeName(value));
    }
    for (size_t i = 0; i < value.size(); ++i) {
      T item{};
      if (decode(value[i], elementPath(path, i), item)) {
        out.push_back(std::move(item));
      }
    }
    return true;
  }

  bool decode(const json& value, const std::string& path, Dataflow& out) {
    if (!expectObject(value, path, schema::kTopFields)) {
      return false;
    }
    field(value, path, "apiVersion", out.apiVersion);
    field(value, path, "kind", out.kind);
    field(value, path, "metadata", out.metadata);
    field(value, path, "spec", out.spec);
    field(value, path, "status", out.status);
    return true;
  }

  bool decode(const json& value, const std::string& path, ObjectMeta& out) {
    if (!expectObject(value, path, schema::kMetadataFields)) {
      return false;
    }
    field(value, path, "name", out.name);
    field(value, path, "namespace", out.namespace_);
    field(value, path, "uid", out.uid);
    field(value, path, "resourceVersion", out.resourceVersion);
    field(value, path, "generation", out.generation);
    field(value, path, "creationTimestamp", out.creationTimestamp);
    field(value, path, "deletionTimestamp", out.deletionTimestamp);
    field(value, path, "labels", out.labels);
    field(value, path, "annotations", out.annotations);
    field(value, path, "finalizers", out.finalizers);
    return true;
  }

  bool decode(const json& value, const std::string& path, DataflowSpec& out) {
    if (!expectObject(value, path, schema::kSpecFields)) {
      return false;
    }
    field(value, path, "image", out.image);
    field(value, path, "pythonFileName", out.pythonFileName);
    field(value, path, "processesCount", out.processesCount);
    field(value, path, "workersPerProcess", out.workersPerProcess);
    field(value, path, "env", out.env);
    field(value, path, "dependencies", out.dependencies);
    field(value, path, "configMapName", out.configMapName);
    field(value, path, "tarName", out.tarName);
    field(value, path, "artifactsDownload", out.artifactsDownload);
    field(value, path, "jobMode", out.jobMode);
    field(value, path, "keepAlive", out.keepAlive);
    field(value, path, "schedule", out.schedule);
    field(value, path, "concurrencyPolicy", out.concurrencyPolicy);
    field(value, path, "suspend", out.suspend);
    field(value, path, "recovery", out.recovery);
    field(value, path, "chartValues", out.chartValues);
    return true;
  }

  bool decode(const json& value, const std::string& path, ImageSpec& out) {
    if (!expectObject(value, path, schema::kImageFields)) {
      return false;
    }
    field(value, path, "repository", out.repository);
    field(value, path, "tag", out.tag);
    field(value, path, "pullPolicy", out.pullPolicy);
    field(value, path, "pullSecret", out.pullSecret);
    return true;
  }

  bool decode(const json& value, const std::string& path, EnvVar& out) {
    if (!expectObject(value, path, schema::kEnvVarFields)) {
      return false;
    }
    field(value, path, "name", out.name);
    field(value, path, "value", out.value);
    // The model cannot tell a missing value from "", and the CRD requires the field, so the
    // decoder is the only place that can report it. A missing name shows up in validation.
    if (member(value, "value") == nullptr) {
      fail(childPath(path, "value"), "required; use \"\" for an empty value");
    }
    return true;
  }

  bool decode(const json& value, const std::string& path, ArtifactsDownload& out) {
    if (!expectObject(value, path, schema::kArtifactsDownloadFields)) {
      return false;
    }
    field(value, path, "url", out.url);
    field(value, path, "token", out.token);
    field(value, path, "secretName", out.secretName);
    return true;
  }

  bool decode(const json& value, const std::string& path, Recovery& out) {
    if (!expectObject(value, path, schema::kRecoveryFields)) {
      return false;
    }
    field(value, path, "enabled", out.enabled);
    field(value, path, "partsCount", out.partsCount);
    field(value, path, "snapshotInterval", out.snapshotInterval);
    field(value, path, "backupInterval", out.backupInterval);
    field(value, path, "singleVolume", out.singleVolume);
    field(value, path, "persistence", out.persistence);
    field(value, path, "cloudBackup", out.cloudBackup);
    return true;
  }

  bool decode(const json& value, const std::string& path, Persistence& out) {
    if (!expectObject(value, path, schema::kPersistenceFields)) {
      return false;
    }
    field(value, path, "size", out.size);
    field(value, path, "storageClassName", out.storageClassName);
    return true;
  }

  bool decode(const json& value, const std::string& path, CloudBackup& out) {
    if (!expectObject(value, path, schema::kCloudBackupFields)) {
      return false;
    }
    field(value, path, "enabled", out.enabled);
    field(value, path, "s3", out.s3);
    return true;
  }

  bool decode(const json& value, const std::string& path, S3Backup& out) {
    if (!expectObject(value, path, schema::kS3Fields)) {
      return false;
    }
    field(value, path, "url", out.url);
    field(value, path, "accessKeyId", out.accessKeyId);
    field(value, path, "secretAccessKey", out.secretAccessKey);
    field(value, path, "secretName", out.secretName);
    return true;
  }

  bool decode(const json& value, const std::string& path, DataflowStatus& out) {
    if (!expectObject(value, path, schema::kStatusFields)) {
      return false;
    }
    field(value, path, "observedGeneration", out.observedGeneration);
    field(value, path, "phase", out.phase);
    field(value, path, "conditions", out.conditions);
    field(value, path, "processesDesired", out.processesDesired);
    field(value, path, "processesReady", out.processesReady);
    field(value, path, "restarts", out.restarts);
    field(value, path, "lastError", out.lastError);
    field(value, path, "lastSnapshot", out.lastSnapshot);
    field(value, path, "completedRun", out.completedRun);
    return true;
  }

  bool decode(const json& value, const std::string& path, Condition& out) {
    if (!expectObject(value, path, schema::kConditionFields)) {
      return false;
    }
    field(value, path, "type", out.type);
    field(value, path, "status", out.status);
    field(value, path, "reason", out.reason);
    field(value, path, "message", out.message);
    field(value, path, "lastTransitionTime", out.lastTransitionTime);
    field(value, path, "observedGeneration", out.observedGeneration);
    return true;
  }

 private:
  // A null field counts as absent, as in Kubernetes (`recovery:` with nothing after it in YAML).
  static const json* member(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }

  template <typename T>
  void field(const json& object, const std::string& path, const char* key, T& out) {
    if (const json* value = member(object, key)) {
      decode(*value, childPath(path, key), out);
    }
  }

  template <typename T>
  void field(const json& object, const std::string& path, const char* key, std::optional<T>& out) {
    if (const json* value = member(object, key)) {
      T decoded{};
      if (decode(*value, childPath(path, key), decoded)) {
        out = std::move(decoded);
      }
    }
  }

  bool expectObject(const json& value, const std::string& path, schema::FieldList known) {
    if (!value.is_object()) {
      return fail(path, "must be an object, got " + typeName(value));
    }
    for (const auto& [key, item] : value.items()) {
      if (!isKnownField(known, key)) {
        fail(childPath(path, key), "unknown field; known fields are: " + joinFields(known));
      }
    }
    return true;
  }

  bool fail(const std::string& path, std::string message) {
    errors_.push_back({path.empty() ? "(root)" : path, std::move(message)});
    return false;
  }

  std::vector<FieldError>& errors_;
};

nlohmann::ordered_json orderedAt(const json& value, const std::string& schemaPath) {
  if (value.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const json& element : value) {
      out.push_back(orderedAt(element, schemaPath + "[]"));
    }
    return out;
  }
  if (!value.is_object()) {
    return nlohmann::ordered_json(value);
  }

  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  schema::FieldList order = schema::fieldOrderAt(schemaPath);
  for (std::string_view key : order) {
    auto it = value.find(key);
    if (it != value.end()) {
      out[std::string(key)] = orderedAt(*it, childPath(schemaPath, key));
    }
  }
  for (const auto& [key, item] : value.items()) {
    if (!isKnownField(order, key)) {
      out[key] = orderedAt(item, childPath(schemaPath, key));
    }
  }
  return out;
}

}  // namespace

json toJson(const ObjectMeta& metadata) {
  json out = json::object();
  putIfNotEmpty(out, "name", metadata.name);
  putIfNotEmpty(out, "namespace", metadata.namespace_);
  putIfSet(out, "uid", metadata.uid);
  putIfSet(out, "resourceVersion", metadata.resourceVersion);
  putIfSet(out, "generation", metadata.generation);
  putIfSet(out, "creationTimestamp", metadata.creationTimestamp);
  putIfSet(out, "deletionTimestamp", metadata.deletionTimestamp);
  if (!metadata.labels.empty()) {
    out["labels"] = metadata.labels;
  }
  if (!metadata.annotations.empty()) {
    out["annotations"] = metadata.annotations;
  }
  if (!metadata.finalizers.empty()) {
    out["finalizers"] = metadata.finalizers;
  }
  return out;
}

json toJson(const DataflowSpec& spec) {
  json out = json::object();
  if (spec.image) {
    out["image"] = encode(*spec.image);
  }
  putIfSet(out, "pythonFileName", spec.pythonFileName);
  putIfSet(out, "processesCount", spec.processesCount);
  putIfSet(out, "workersPerProcess", spec.workersPerProcess);
  if (spec.env) {
    out["env"] = encode(*spec.env);
  }
  putIfSet(out, "dependencies", spec.dependencies);
  putIfSet(out, "configMapName", spec.configMapName);
  putIfSet(out, "tarName", spec.tarName);
  if (spec.artifactsDownload) {
    out["artifactsDownload"] = encode(*spec.artifactsDownload);
  }
  putIfSet(out, "jobMode", spec.jobMode);
  putIfSet(out, "keepAlive", spec.keepAlive);
  putIfSet(out, "schedule", spec.schedule);
  putIfSet(out, "concurrencyPolicy", spec.concurrencyPolicy);
  putIfSet(out, "suspend", spec.suspend);
  if (spec.recovery) {
    out["recovery"] = encode(*spec.recovery);
  }
  putIfSet(out, "chartValues", spec.chartValues);
  return out;
}

json toJson(const DataflowStatus& status) {
  json out = json::object();
  putIfSet(out, "observedGeneration", status.observedGeneration);
  putIfSet(out, "phase", status.phase);
  if (!status.conditions.empty()) {
    json conditions = json::array();
    for (const Condition& condition : status.conditions) {
      conditions.push_back(encode(condition));
    }
    out["conditions"] = std::move(conditions);
  }
  putIfSet(out, "processesDesired", status.processesDesired);
  putIfSet(out, "processesReady", status.processesReady);
  putIfSet(out, "restarts", status.restarts);
  putIfSet(out, "lastError", status.lastError);
  putIfSet(out, "lastSnapshot", status.lastSnapshot);
  putIfSet(out, "completedRun", status.completedRun);
  return out;
}

json toJson(const Dataflow& dataflow) {
  // metadata and spec are written even when empty: every Kubernetes object has them.
  json out = json::object();
  putIfNotEmpty(out, "apiVersion", dataflow.apiVersion);
  putIfNotEmpty(out, "kind", dataflow.kind);
  out["metadata"] = toJson(dataflow.metadata);
  out["spec"] = toJson(dataflow.spec);
  if (dataflow.status) {
    out["status"] = toJson(*dataflow.status);
  }
  return out;
}

Dataflow dataflowFromJson(const json& document, std::vector<FieldError>& errors) {
  Dataflow dataflow;
  // A manifest without apiVersion or kind must not pass validation on the model's defaults.
  dataflow.apiVersion.clear();
  dataflow.kind.clear();
  Decoder(errors).decode(document, "", dataflow);
  return dataflow;
}

DataflowStatus statusFromJson(const json& document, std::vector<FieldError>& errors) {
  DataflowStatus status;
  Decoder(errors).decode(document, "status", status);
  return status;
}

nlohmann::ordered_json toOrderedJson(const json& document) {
  return orderedAt(document, "");
}

}  // namespace wax::core
