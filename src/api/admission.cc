#include "api/admission.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"
#include "core/codec.h"
#include "core/validation.h"

namespace wax::api {

bool nestedDeeperThan(std::string_view text, int limit) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;  // whatever is escaped, it neither opens nor closes anything
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        return true;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

nlohmann::json parseBody(const std::string& body) {
  // The parser and the destructor of what it builds recurse once per level: a body of a few
  // hundred thousand brackets would exhaust the stack and end the server.
  if (nestedDeeperThan(body, kMaxBodyDepth)) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("the request body is nested more than {} levels deep; no Wax object "
                            "is, so send the object itself",
                            kMaxBodyDepth));
  }
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(
        ErrorCode::BadRequest,
        fmt::format("the request body is not valid JSON (at byte {}): fix the syntax", error.byte));
  }
}

namespace {

void fillIdentity(nlohmann::json& object, const std::string& ns, const std::string& name,
                  const std::string& kind) {
  if (!object.is_object()) {
    throw Error(ErrorCode::BadRequest, "the request body must be a JSON object (a " + kind + ")");
  }
  auto& metadata = object["metadata"];
  if (!metadata.is_object()) {
    metadata = nlohmann::json::object();
  }
  auto check = [&](const char* field, const std::string& expected) {
    if (expected.empty()) {
      return;
    }
    if (!metadata.contains(field)) {
      metadata[field] = expected;
    } else if (metadata[field] != expected) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("metadata.{} {} does not match \"{}\" in the request path", field,
                              metadata[field].dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace),
                              expected));
    }
  };
  check("namespace", ns);
  check("name", name);
  if (!metadata.contains("namespace")) {
    metadata["namespace"] = "default";
  }
}

// A code object's keys become file names under the dataflow's working directory.
bool isPlainRelativePath(const std::string& key) {
  if (key.empty() || key.front() == '/' || key.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (start <= key.size()) {
    const size_t end = std::min(key.find('/', start), key.size());
    const std::string part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string::npos) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// The types Kubernetes gives the metadata that every object has; a ConfigMap is not decoded
// field by field as a Dataflow is, and fields not checked here (ownerReferences, which cluster
// mode sets) pass unchanged.
std::optional<std::string> metadataTypeError(const nlohmann::json& metadata) {
  for (const char* field : {"labels", "annotations"}) {
    if (!metadata.contains(field)) {
      continue;
    }
    if (!metadata[field].is_object()) {
      return fmt::format("metadata.{}: must be a map of strings to strings", field);
    }
    for (const auto& [key, value] : metadata[field].items()) {
      if (!value.is_string()) {
        return fmt::format("metadata.{}[{}]: must be a string", field, key);
      }
    }
  }
  if (metadata.contains("finalizers")) {
    const auto& finalizers = metadata["finalizers"];
    if (!finalizers.is_array() ||
        !std::all_of(finalizers.begin(), finalizers.end(),
                     [](const nlohmann::json& item) { return item.is_string(); })) {
      return std::string("metadata.finalizers: must be an array of strings");
    }
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json admitDataflow(const nlohmann::json& body, const std::string& ns,
                             const std::string& name) {
  nlohmann::json object = body;
  fillIdentity(object, ns, name, "Dataflow");
  std::vector<core::FieldError> errors;
  core::Dataflow dataflow = core::dataflowFromJson(object, errors);
  if (errors.empty()) {
    errors = core::validate(dataflow);
  }
  if (!errors.empty()) {
    throw Error(ErrorCode::Invalid, core::describeErrors(dataflow, errors));
  }
  core::applyDefaults(dataflow);
  return core::toJson(dataflow);
}

nlohmann::json admitConfigMap(const nlohmann::json& body, const std::string& ns,
                              const std::string& name) {
  nlohmann::json object = body;
  fillIdentity(object, ns, name, "ConfigMap");
  const std::string objectName = object["metadata"].value("name", "");
  auto fail = [&](const std::string& message) {
    throw Error(ErrorCode::Invalid,
                fmt::format("ConfigMap \"{}\" is invalid: {}", objectName, message));
  };
  if (!core::isDns1123Subdomain(objectName)) {
    fail("metadata.name: use lowercase letters, digits, '-' and '.', at most 253 characters");
  }
  if (const auto problem = metadataTypeError(object["metadata"])) {
    fail(*problem);
  }
  for (const char* field : {"data", "binaryData"}) {
    if (!object.contains(field)) {
      continue;
    }
    if (!object[field].is_object()) {
      fail(fmt::format("{}: must be a map of file names to contents", field));
    }
    for (const auto& [key, value] : object[field].items()) {
      if (!value.is_string()) {
        fail(fmt::format("{}.{}: must be a string", field, key));
      }
      if (!isPlainRelativePath(key)) {
        fail(
            fmt::format("{}: the key \"{}\" must be a relative file path without \"..\" "
                        "(e.g. \"flow.py\" or \"src/flow.py\")",
                        field, key));
      }
    }
  }
  object["apiVersion"] = "v1";
  object["kind"] = "ConfigMap";
  return object;
}

nlohmann::json createOrReplace(store::Store& store, const std::string& kind,
                               const nlohmann::json& object) {
  const auto& metadata = object.at("metadata");
  try {
    nlohmann::json current = store.get(kind, metadata.at("namespace"), metadata.at("name"));
    nlohmann::json replacement = object;
    auto& merged = replacement["metadata"];
    merged["resourceVersion"] = current["metadata"]["resourceVersion"];
    if (current["metadata"].contains("finalizers") && !merged.contains("finalizers")) {
      merged["finalizers"] = current["metadata"]["finalizers"];
    }
    return store.update(kind, replacement);
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;
    }
    return store.create(kind, object);
  }
}

}  // namespace wax::api
