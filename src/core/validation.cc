#include "core/validation.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "core/codec.h"

// Messages quote values only for fields that cannot hold a secret (names, paths, cron, sizes).
// Tokens, keys, URLs (which may embed credentials), env values, dependencies (which may carry
// index credentials) and chart values are named, never shown.
namespace wax::core {
namespace {

using Errors = std::vector<FieldError>;

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();
constexpr size_t kMaxAnnotationBytes = 256 * 1024;  // the Kubernetes limit for all annotations

constexpr const char* kLabelRules =
    "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most "
    "63 characters";
constexpr const char* kSubdomainRules =
    "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at "
    "most 253 characters";

void add(Errors& errors, std::string field, std::string message) {
  errors.push_back({std::move(field), std::move(message)});
}

// A value shown in a message: JSON-escaped so control characters cannot garble logs, and cut
// short so one bad field cannot flood an event.
std::string quote(std::string_view value) {
  constexpr size_t kMaxShown = 64;
  std::string shown(value.substr(0, kMaxShown));
  if (value.size() > kMaxShown) {
    shown += "...";
  }
  return nlohmann::json(shown).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isAlnum(char c) {
  return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool hasControlCharacter(std::string_view value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return true;
    }
  }
  return false;
}

bool endsWith(std::string_view value, std::string_view suffix) {
  return value.ends_with(suffix);
}

// "My_Flow" -> "my-flow": what the user probably meant, offered as an example in messages.
std::string suggestLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (isLowerAlnum(lower)) {
      out += lower;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  out = out.substr(0, 63);
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  return out;
}

void checkLabelName(Errors& errors, const std::string& field, const std::string& value,
                    const char* what) {
  if (value.empty()) {
    add(errors, field, std::string("required: ") + kLabelRules);
    return;
  }
  if (isDns1123Label(value)) {
    return;
  }
  std::string message = quote(value) + " is not a valid " + what + ": " + kLabelRules;
  std::string suggestion = suggestLabel(value);
  if (!suggestion.empty()) {
    message += " (e.g. " + quote(suggestion) + ")";
  }
  add(errors, field, message);
}

void checkSubdomain(Errors& errors, const std::string& field,
                    const std::optional<std::string>& value, const char* what) {
  if (value && !isDns1123Subdomain(*value)) {
    add(errors, field, quote(*value) + " is not a valid " + what + " name: " + kSubdomainRules);
  }
}

void checkRange(Errors& errors, const std::string& field, const std::optional<int64_t>& value,
                int64_t min, int64_t max) {
  if (!value || (*value >= min && *value <= max)) {
    return;
  }
  std::string bounds = max == kNoLimit
                           ? "at least " + std::to_string(min)
                           : "between " + std::to_string(min) + " and " + std::to_string(max);
  add(errors, field, "must be " + bounds + ", got " + std::to_string(*value));
}

void checkOneOf(Errors& errors, const std::string& field, const std::optional<std::string>& value,
                std::initializer_list<std::string_view> allowed) {
  if (!value) {
    return;
  }
  std::string list;
  for (std::string_view option : allowed) {
    if (*value == option) {
      return;
    }
    list += list.empty() ? "" : ", ";
    list += option;
  }
  add(errors, field, quote(*value) + " is not supported: use one of " + list);
}

// Secret-bearing fields: an empty string is a mistake, and the value is never shown.
void checkNotEmpty(Errors& errors, const std::string& field,
                   const std::optional<std::string>& value) {
  if (value && value->empty()) {
    add(errors, field, "must not be empty; remove the field or give it a value");
  }
}

// A Kubernetes label value or the name part of a qualified name: [A-Za-z0-9]([-A-Za-z0-9_.]*
// [A-Za-z0-9])?, at most 63 characters.
bool isQualifiedNamePart(std::string_view value) {
  if (value.empty() || value.size() > 63 || !isAlnum(value.front()) || !isAlnum(value.back())) {
    return false;
  }
  for (char c : value) {
    if (!isAlnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// A label, annotation or finalizer key: an optional DNS subdomain prefix and '/', then a name.
bool isQualifiedName(std::string_view value) {
  size_t slash = value.find('/');
  if (slash == std::string_view::npos) {
    return isQualifiedNamePart(value);
  }
  return isDns1123Subdomain(std::string(value.substr(0, slash))) &&
         isQualifiedNamePart(value.substr(slash + 1));
}

void checkQualifiedName(Errors& errors, const std::string& field, const std::string& value) {
  if (!isQualifiedName(value)) {
    add(errors, field,
        quote(value) +
            " is not a valid key: use an optional DNS subdomain prefix and '/', then at most 63 "
            "letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. "
            "\"example.com/team\")");
  }
}

// A Kubernetes resource quantity such as "10Gi", "500M", "1.5Ti", "1e9" or "100", and > 0.
bool isPositiveQuantity(std::string_view value) {
  size_t pos = 0;
  bool nonZero = false;
  size_t digits = 0;
  for (; pos < value.size() && (isDigit(value[pos]) || value[pos] == '.'); ++pos) {
    digits += isDigit(value[pos]) ? 1 : 0;
    nonZero = nonZero || (isDigit(value[pos]) && value[pos] != '0');
  }
  std::string_view number = value.substr(0, pos);
  if (digits == 0 || number.find('.') != number.rfind('.') || !nonZero) {
    return false;
  }

  std::string_view suffix = value.substr(pos);
  for (std::string_view known :
       {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E"}) {
    if (suffix == known) {
      return true;
    }
  }
  // A decimal exponent: e3, E-2.
  if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) {
    return false;
  }
  std::string_view exponent = suffix.substr(suffix[1] == '+' || suffix[1] == '-' ? 2 : 1);
  if (exponent.empty()) {
    return false;
  }
  for (char c : exponent) {
    if (!isDigit(c)) {
      return false;
    }
  }
  return true;
}

bool isHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return false;
  }
  bool hasHost = !rest.empty() && rest.front() != '/' && rest.front() != '?' && rest.front() != '#';
  return hasHost && url.find_first_of(" \t") == std::string_view::npos && !hasControlCharacter(url);
}

// s3://bucket or s3://bucket/prefix
bool isS3Url(std::string_view url) {
  if (!url.starts_with("s3://") || hasControlCharacter(url) ||
      url.find_first_of(" \t") != std::string_view::npos) {
    return false;
  }
  std::string_view bucket = url.substr(5, url.find('/', 5) - 5);
  return !bucket.empty();
}

void validateTypeMeta(const Dataflow& dataflow, Errors& errors) {
  if (dataflow.apiVersion.empty()) {
    add(errors, "apiVersion", std::string("required: set it to \"") + kApiVersion + "\"");
  } else if (dataflow.apiVersion != kApiVersion) {
    add(errors, "apiVersion",
        quote(dataflow.apiVersion) + " is not supported: set it to \"" + kApiVersion + "\"");
  }
  if (dataflow.kind.empty()) {
    add(errors, "kind", std::string("required: set it to \"") + kKind + "\"");
  } else if (dataflow.kind != kKind) {
    add(errors, "kind", quote(dataflow.kind) + " is not supported: set it to \"" + kKind + "\"");
  }
}

// In a cluster, process i of dataflow NAME is the pod NAME-i, labelled NAME-<10-character
// revision hash>; a scheduled run's pods are NAME-<8-digit minute>-i. Labels and host names
// hold at most 63 characters, so the dataflow's own name must be shorter.
constexpr size_t kMaxName = 52;
constexpr size_t kMaxScheduledName = 50;

void checkNameLength(const Dataflow& dataflow, Errors& errors) {
  const size_t limit = dataflow.spec.schedule ? kMaxScheduledName : kMaxName;
  // A name that is not a label at all has its own error already.
  if (isDns1123Label(dataflow.metadata.name) && isDigit(dataflow.metadata.name.front())) {
    // Its Services take its name, and a Service name must start with a letter (RFC 1035).
    add(errors, "metadata.name",
        quote(dataflow.metadata.name) +
            " must start with a letter, because the names of its "
            "Services derive from it");
  }
  if (isDns1123Label(dataflow.metadata.name) && dataflow.metadata.name.size() > limit) {
    add(errors, "metadata.name",
        "must be at most " + std::to_string(limit) + " characters" +
            (dataflow.spec.schedule ? " for a scheduled dataflow" : "") +
            ", because the names of its pods derive from it; choose a shorter name");
  }
}

void validateMetadata(const ObjectMeta& metadata, Errors& errors) {
  checkLabelName(errors, "metadata.name", metadata.name, "name");
  // An empty namespace is left for the caller to fill in from the request or the context.
  if (!metadata.namespace_.empty()) {
    checkLabelName(errors, "metadata.namespace", metadata.namespace_, "namespace");
  }

  for (const auto& [key, value] : metadata.labels) {
    std::string field = "metadata.labels[" + key + "]";
    checkQualifiedName(errors, field, key);
    if (!value.empty() && !isQualifiedNamePart(value)) {
      add(errors, field,
          "value " + quote(value) +
              " is not a valid label value: use at most 63 letters, digits, '-', '_' or '.', "
              "starting and ending with a letter or digit");
    }
  }

  size_t annotationBytes = 0;
  for (const auto& [key, value] : metadata.annotations) {
    checkQualifiedName(errors, "metadata.annotations[" + key + "]", key);
    annotationBytes += key.size() + value.size();
  }
  if (annotationBytes > kMaxAnnotationBytes) {
    add(errors, "metadata.annotations", "must hold at most 256 KiB in total");
  }

  for (size_t i = 0; i < metadata.finalizers.size(); ++i) {
    checkQualifiedName(errors, "metadata.finalizers[" + std::to_string(i) + "]",
                       metadata.finalizers[i]);
  }
}

void validateImage(const std::optional<ImageSpec>& image, Errors& errors) {
  if (!image) {
    add(errors, "spec.image", "required: set spec.image.tag (and optionally repository)");
    return;
  }
  if (!image->tag || image->tag->empty()) {
    add(errors, "spec.image.tag", "required: set the image tag, e.g. \"0.21.1\"");
  } else if (hasControlCharacter(*image->tag) || image->tag->find(' ') != std::string::npos) {
    add(errors, "spec.image.tag", "must not contain spaces or control characters");
  }
  if (image->repository && (image->repository->empty() || hasControlCharacter(*image->repository) ||
                            image->repository->find(' ') != std::string::npos)) {
    add(errors, "spec.image.repository",
        "must be an image repository such as \"bytewax/bytewax\", without spaces");
  }
  checkOneOf(errors, "spec.image.pullPolicy", image->pullPolicy,
             {"Always", "IfNotPresent", "Never"});
  // An empty pullSecret means "no pull secret", so only a non-empty one must be a Secret name.
  if (image->pullSecret && !image->pullSecret->empty()) {
    checkSubdomain(errors, "spec.image.pullSecret", image->pullSecret, "Secret");
  }
}

bool hasParentComponent(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    if (path.substr(start, end - start) == "..") {
      return true;
    }
    start = end + 1;
  }
  return false;
}

void validatePythonFileName(const std::optional<std::string>& name, Errors& errors) {
  const std::string field = "spec.pythonFileName";
  if (!name || name->empty()) {
    add(errors, field,
        "required: name the Python file that defines the dataflow, e.g. "
        "\"dataflow.py\"");
  } else if (hasControlCharacter(*name)) {
    add(errors, field, "must not contain line breaks or other control characters");
  } else if (name->front() == '/') {
    add(errors, field,
        quote(*name) +
            " is absolute: give a path relative to the working directory (or to the "
            "root of the tarball)");
  } else if (hasParentComponent(*name)) {
    add(errors, field,
        quote(*name) +
            " must not contain \"..\": the file must be inside the "
            "working directory");
  } else if (name->back() == '/') {
    add(errors, field, quote(*name) + " names a directory: name the Python file");
  } else if (name->find_first_of(" \t*?[") != std::string::npos) {
    // The Bytewax image's entrypoint passes the path to Python unquoted, so the shell would
    // split it at spaces and expand wildcards.
    add(errors, field, quote(*name) + " must not contain spaces or the characters * ? [");
  }
}

// The CRD's maxItems for env and dependencies: waxctl says so before anything is sent.
constexpr size_t kMaxListItems = 256;

void validateEnv(const std::optional<std::vector<EnvVar>>& env, Errors& errors) {
  if (!env) {
    return;
  }
  if (env->size() > kMaxListItems) {
    add(errors, "spec.env",
        std::to_string(env->size()) + " variables; at most " + std::to_string(kMaxListItems) +
            " are allowed");
  }
  std::map<std::string, size_t> firstIndex;
  for (size_t i = 0; i < env->size(); ++i) {
    const std::string field = "spec.env[" + std::to_string(i) + "].name";
    const std::string& name = (*env)[i].name;
    if (name.empty()) {
      add(errors, field, "required: name the environment variable");
    } else if (!isEnvVarName(name)) {
      add(errors, field,
          quote(name) +
              " is not a valid environment variable name: use letters, digits, '_', '-' "
              "and '.', not starting with a digit");
    } else if (auto [it, inserted] = firstIndex.emplace(name, i); !inserted) {
      add(errors, field,
          quote(name) + " is already set by spec.env[" + std::to_string(it->second) +
              "]; remove one of them");
    }
  }
}

void validateDependencies(const std::optional<std::vector<std::string>>& dependencies,
                          Errors& errors) {
  if (!dependencies) {
    return;
  }
  if (dependencies->size() > kMaxListItems) {
    add(errors, "spec.dependencies",
        std::to_string(dependencies->size()) + " requirements; at most " +
            std::to_string(kMaxListItems) + " are allowed (a requirements file holds more)");
  }
  for (size_t i = 0; i < dependencies->size(); ++i) {
    const std::string field = "spec.dependencies[" + std::to_string(i) + "]";
    const std::string& dependency = (*dependencies)[i];
    size_t start = dependency.find_first_not_of(" \t");
    if (start == std::string::npos) {
      add(errors, field, "must not be empty; remove the entry");
    } else if (hasControlCharacter(dependency)) {
      add(errors, field, "must be one requirement on one line, without control characters");
    } else if (dependency[start] == '-') {
      // Options such as --index-url or -r would change how pip runs, not what it installs.
      add(errors, field,
          "looks like a pip option: list requirement specifiers only, e.g. "
          "\"requests==2.32.3\"");
    }
  }
}

bool isConfigMapKey(std::string_view name) {
  for (char c : name) {
    if (!isAlnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return !name.empty() && name.size() <= 253;
}

void validateCodeSource(const DataflowSpec& spec, Errors& errors) {
  checkSubdomain(errors, "spec.configMapName", spec.configMapName, "ConfigMap");

  if (spec.tarName) {
    const std::string& tar = *spec.tarName;
    if (!isConfigMapKey(tar)) {
      add(errors, "spec.tarName",
          quote(tar) +
              " is not a plain file name: use letters, digits, '-', '_' and '.' (it is "
              "a ConfigMap key), e.g. \"dataflow.tar\"");
    } else if (!endsWith(tar, ".tar") && !endsWith(tar, ".tar.gz") && !endsWith(tar, ".tgz")) {
      add(errors, "spec.tarName", quote(tar) + " must end in .tar, .tar.gz or .tgz");
    }
  }

  if (!spec.artifactsDownload) {
    return;
  }
  const ArtifactsDownload& download = *spec.artifactsDownload;
  if (!download.url || download.url->empty()) {
    add(errors, "spec.artifactsDownload.url",
        "required: the http:// or https:// URL of the tarball to download");
  } else if (!isHttpUrl(*download.url)) {
    add(errors, "spec.artifactsDownload.url",
        "must be an http:// or https:// URL with a host, without spaces");
  }
  checkNotEmpty(errors, "spec.artifactsDownload.token", download.token);
  checkSubdomain(errors, "spec.artifactsDownload.secretName", download.secretName, "Secret");
  if (download.token && download.secretName) {
    add(errors, "spec.artifactsDownload",
        "set either token or secretName, not both; prefer secretName so the token is not stored "
        "in the Dataflow");
  }
}

void validateSchedule(const DataflowSpec& spec, Errors& errors) {
  std::string why;
  if (spec.schedule && !isCronExpression(*spec.schedule, why)) {
    add(errors, "spec.schedule",
        quote(*spec.schedule) + " is not a valid cron expression: " + why +
            "; e.g. \"*/15 * * * *\" (every 15 minutes) or \"@daily\"");
  }
  // Bytewax gives every dataflow the Forbid default, so the policy is allowed without a
  // schedule; it simply has no effect there.
  checkOneOf(errors, "spec.concurrencyPolicy", spec.concurrencyPolicy,
             {"Allow", "Forbid", "Replace"});
}

void validateS3(const S3Backup& s3, Errors& errors) {
  const std::string prefix = "spec.recovery.cloudBackup.s3";
  if (!s3.url || s3.url->empty()) {
    add(errors, prefix + ".url",
        "required: the bucket to back up to, e.g. \"s3://my-bucket/flows\"");
  } else if (!isS3Url(*s3.url)) {
    add(errors, prefix + ".url",
        "must be an s3:// URL naming a bucket, e.g. \"s3://my-bucket/flows\"");
  }

  checkNotEmpty(errors, prefix + ".accessKeyId", s3.accessKeyId);
  checkNotEmpty(errors, prefix + ".secretAccessKey", s3.secretAccessKey);
  if (s3.accessKeyId && !s3.secretAccessKey) {
    add(errors, prefix + ".secretAccessKey",
        "required when accessKeyId is set: set both or neither");
  }
  if (s3.secretAccessKey && !s3.accessKeyId) {
    add(errors, prefix + ".accessKeyId",
        "required when secretAccessKey is set: set both or neither");
  }
  checkSubdomain(errors, prefix + ".secretName", s3.secretName, "Secret");
  if (s3.secretName && (s3.accessKeyId || s3.secretAccessKey)) {
    add(errors, prefix,
        "set either secretName or accessKeyId/secretAccessKey, not both; prefer secretName so "
        "the keys are not stored in the Dataflow");
  }
}

void validateRecovery(const std::optional<Recovery>& recovery, Errors& errors) {
  if (!recovery) {
    return;
  }
  checkRange(errors, "spec.recovery.partsCount", recovery->partsCount, 1, 10000);
  checkRange(errors, "spec.recovery.snapshotInterval", recovery->snapshotInterval, 1, kNoLimit);
  checkRange(errors, "spec.recovery.backupInterval", recovery->backupInterval, 0, kNoLimit);

  if (recovery->persistence) {
    const Persistence& persistence = *recovery->persistence;
    if (persistence.size && !isPositiveQuantity(*persistence.size)) {
      add(errors, "spec.recovery.persistence.size",
          quote(*persistence.size) +
              " is not a Kubernetes quantity: use a positive number with an optional suffix such "
              "as Mi, Gi, Ti, M or G, e.g. \"10Gi\"");
    }
    // An empty class is meaningful in Kubernetes (no dynamic provisioning), so it is allowed.
    if (persistence.storageClassName && !persistence.storageClassName->empty()) {
      checkSubdomain(errors, "spec.recovery.persistence.storageClassName",
                     persistence.storageClassName, "StorageClass");
    }
  }

  if (!recovery->cloudBackup) {
    return;
  }
  const CloudBackup& backup = *recovery->cloudBackup;
  if (backup.enabled.value_or(false)) {
    if (!recovery->enabled.value_or(false)) {
      add(errors, "spec.recovery.cloudBackup.enabled",
          "backups need recovery: set spec.recovery.enabled to true or remove cloudBackup");
    }
    if (!backup.s3) {
      add(errors, "spec.recovery.cloudBackup.s3",
          "required when cloudBackup is enabled: set s3.url, e.g. \"s3://my-bucket/flows\"");
    }
  }
  if (backup.s3) {
    validateS3(*backup.s3, errors);
  }
}

void validateChartValues(const std::optional<std::string>& values, Errors& errors) {
  if (!values) {
    return;
  }
  nlohmann::json parsed;
  try {
    parsed = yamlToJson(*values);
  } catch (const Error& e) {
    add(errors, "spec.chartValues",
        std::string(e.what()) + "; it must be YAML text holding a mapping of chart values");
    return;
  }
  // Blank or comment-only text holds no values, which is fine.
  if (!parsed.is_null() && !parsed.is_object()) {
    add(errors, "spec.chartValues",
        "must be a YAML mapping of chart values (key: value lines), not a single value or a list");
  }
}

void validateSpec(const DataflowSpec& spec, Errors& errors) {
  validateImage(spec.image, errors);
  validatePythonFileName(spec.pythonFileName, errors);
  checkRange(errors, "spec.processesCount", spec.processesCount, 1, 1000);
  checkRange(errors, "spec.workersPerProcess", spec.workersPerProcess, 1, 1024);
  validateEnv(spec.env, errors);
  validateDependencies(spec.dependencies, errors);
  validateCodeSource(spec, errors);
  validateSchedule(spec, errors);
  validateRecovery(spec.recovery, errors);
  validateChartValues(spec.chartValues, errors);
}

template <typename T, typename U>
void setIfUnset(std::optional<T>& field, U&& value) {
  if (!field) {
    field = std::forward<U>(value);
  }
}

}  // namespace

void applyDefaults(Dataflow& dataflow) {
  DataflowSpec& spec = dataflow.spec;
  // spec.image is required; creating it here would turn "spec.image: required" into a less
  // helpful "spec.image.tag: required".
  if (spec.image) {
    setIfUnset(spec.image->pullPolicy, "Always");
    setIfUnset(spec.image->pullSecret, "default-credentials");
  }
  setIfUnset(spec.processesCount, 1);
  setIfUnset(spec.workersPerProcess, 1);
  setIfUnset(spec.jobMode, false);
  setIfUnset(spec.keepAlive, false);
  // Filled even without a schedule: the CRD defaults it unconditionally, and it is inert there.
  setIfUnset(spec.concurrencyPolicy, "Forbid");
  setIfUnset(spec.suspend, false);

  if (!spec.recovery) {
    return;
  }
  Recovery& recovery = *spec.recovery;
  setIfUnset(recovery.enabled, false);
  setIfUnset(recovery.partsCount, 1);
  setIfUnset(recovery.snapshotInterval, 1);
  setIfUnset(recovery.backupInterval, 1);
  setIfUnset(recovery.singleVolume, false);
  setIfUnset(recovery.persistence, Persistence{});
  setIfUnset(recovery.persistence->size, "10Gi");
  setIfUnset(recovery.cloudBackup, CloudBackup{});
  setIfUnset(recovery.cloudBackup->enabled, false);
}

std::vector<FieldError> validate(const Dataflow& dataflow) {
  Errors errors;
  validateTypeMeta(dataflow, errors);
  validateMetadata(dataflow.metadata, errors);
  checkNameLength(dataflow, errors);
  validateSpec(dataflow.spec, errors);
  return errors;
}

std::string describeErrors(const Dataflow& dataflow, const std::vector<FieldError>& errors) {
  const ObjectMeta& metadata = dataflow.metadata;
  std::string id =
      metadata.namespace_.empty() ? metadata.name : metadata.namespace_ + "/" + metadata.name;
  std::string out = "Dataflow " + quote(id) + " is invalid: ";
  for (size_t i = 0; i < errors.size(); ++i) {
    out += i == 0 ? "" : "; ";
    out += errors[i].field + ": " + errors[i].message;
  }
  return out;
}

bool isDns1123Label(const std::string& value) {
  if (value.empty() || value.size() > 63 || !isLowerAlnum(value.front()) ||
      !isLowerAlnum(value.back())) {
    return false;
  }
  for (char c : value) {
    if (!isLowerAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool isDns1123Subdomain(const std::string& value) {
  if (value.empty() || value.size() > 253) {
    return false;
  }
  // Each dot-separated part follows the label rules; Kubernetes does not cap a part at 63.
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find('.', start);
    if (end == std::string::npos) {
      end = value.size();
    }
    std::string_view part = std::string_view(value).substr(start, end - start);
    if (part.empty() || !isLowerAlnum(part.front()) || !isLowerAlnum(part.back())) {
      return false;
    }
    for (char c : part) {
      if (!isLowerAlnum(c) && c != '-') {
        return false;
      }
    }
    start = end + 1;
  }
  return true;
}

// Kubernetes' rule for container environment names, which the CRD's schema states too, so
// that a manifest the API server admits is one that Wax runs, in a cluster and locally.
bool isEnvVarName(const std::string& value) {
  if (value.empty() || isDigit(value.front())) {
    return false;
  }
  for (char c : value) {
    if (!isAlnum(c) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace wax::core
