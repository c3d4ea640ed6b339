#include "store/object_meta.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <ctime>

#include "common/time.h"

namespace wax::store {
namespace {

using nlohmann::json;

std::string keyOf(const ObjectName& name) {
  return name.ns + "/" + name.name;
}

Error invalidField(const Kind& kind, const std::string& field, const std::string& detail) {
  return Error(ErrorCode::Invalid, kind + " is invalid: " + field + ": " + detail);
}

// The metadata field as a string; empty when absent, null or empty. Throws Invalid for a
// non-string.
std::string stringField(const Kind& kind, const json& metadata, const std::string& field) {
  const auto it = metadata.find(field);
  if (it == metadata.end() || it->is_null() ||
      (it->is_string() && it->get_ref<const std::string&>().empty())) {
    return {};
  }
  if (!it->is_string()) {
    throw invalidField(kind, "metadata." + field, "Invalid value: must be a string");
  }
  return it->get<std::string>();
}

// Deletion hinges on the finalizer list, so a malformed one must not pass for "no finalizers".
void requireFinalizerList(const Kind& kind, const json& metadata) {
  const auto finalizers = metadata.find("finalizers");
  if (finalizers == metadata.end() || finalizers->is_null()) {
    return;
  }
  const bool valid = finalizers->is_array() &&
                     std::all_of(finalizers->begin(), finalizers->end(),
                                 [](const json& finalizer) { return finalizer.is_string(); });
  if (!valid) {
    throw invalidField(kind, "metadata.finalizers", "Invalid value: must be a list of strings");
  }
}

void fillRandom(std::array<uint8_t, 16>& bytes) {
  size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw Error(ErrorCode::Internal, "cannot read random bytes for a new uid");
    }
    filled += static_cast<size_t>(n);
  }
}

json finalizersOf(const json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return json::array();
  }
  const auto finalizers = metadata->find("finalizers");
  if (finalizers == metadata->end() || !finalizers->is_array()) {
    return json::array();
  }
  return *finalizers;
}

}  // namespace

ObjectName requireName(const Kind& kind, const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    throw invalidField(kind, "metadata", "Required value: the object needs a metadata section");
  }
  const json& metadata = object["metadata"];
  ObjectName name{stringField(kind, metadata, "namespace"), stringField(kind, metadata, "name")};
  if (name.name.empty()) {
    throw invalidField(kind, "metadata.name", "Required value: set the object's name");
  }
  if (name.ns.empty()) {
    throw invalidField(kind, "metadata.namespace",
                       "Required value: set the object's namespace, e.g. \"default\"");
  }
  requireFinalizerList(kind, metadata);
  return name;
}

std::string requestedResourceVersion(const Kind& kind, const json& object) {
  return stringField(kind, object.at("metadata"), "resourceVersion");
}

std::string newUid() {
  std::array<uint8_t, 16> bytes{};
  fillRandom(bytes);
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      text += '-';
    }
    text += kHex[bytes[i] >> 4];
    text += kHex[bytes[i] & 0x0f];
  }
  return text;
}

std::string formatTimestamp(std::chrono::system_clock::time_point time) {
  return formatRfc3339(time);
}

json desiredState(const json& object) {
  json state = json::object();
  for (const auto& [key, value] : object.items()) {
    if (key != "apiVersion" && key != "kind" && key != "metadata" && key != "status") {
      state[key] = value;
    }
  }
  return state;
}

bool hasFinalizers(const json& object) {
  return !finalizersOf(object).empty();
}

bool isMarkedForDeletion(const json& object) {
  const auto metadata = object.find("metadata");
  return metadata != object.end() && metadata->is_object() &&
         metadata->contains("deletionTimestamp");
}

bool addsFinalizer(const json& stored, const json& updated) {
  const json before = finalizersOf(stored);
  const json after = finalizersOf(updated);
  return std::any_of(after.begin(), after.end(), [&](const json& finalizer) {
    return std::find(before.begin(), before.end(), finalizer) == before.end();
  });
}

Error notFound(const Kind& kind, const ObjectName& name) {
  return Error(ErrorCode::NotFound, kind + " \"" + keyOf(name) + "\" not found");
}

Error alreadyExists(const Kind& kind, const ObjectName& name) {
  return Error(ErrorCode::AlreadyExists, kind + " \"" + keyOf(name) + "\" already exists");
}

Error conflict(const Kind& kind, const ObjectName& name) {
  return Error(ErrorCode::Conflict, "Operation cannot be fulfilled on " + kind + " \"" +
                                        keyOf(name) +
                                        "\": the object has been modified; please apply your "
                                        "changes to the latest version and try again");
}

Error uidMismatch(const Kind& kind, const ObjectName& name, const std::string& requested,
                  const std::string& stored) {
  return Error(ErrorCode::Conflict,
               "Operation cannot be fulfilled on " + kind + " \"" + keyOf(name) +
                   "\": the uid in the request (" + requested +
                   ") does not match the stored "
                   "object's (" +
                   stored + "); the object was deleted and created again, read it again");
}

Error invalid(const Kind& kind, const ObjectName& name, const std::string& detail) {
  return Error(ErrorCode::Invalid, kind + " \"" + keyOf(name) + "\" is invalid: " + detail);
}

}  // namespace wax::store
