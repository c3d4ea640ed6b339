#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "store/store.h"

// What every write of an object goes through before the store: strict decoding, validation
// and defaults. A rejected object is never stored, and the error names each bad field.
namespace wax::api {

// Returns the Dataflow to store, in JSON, or throws wax::Error(Invalid) listing the problems.
// `ns` and `name` come from the request path when it has them; the body must agree.
nlohmann::json admitDataflow(const nlohmann::json& body, const std::string& ns,
                             const std::string& name);

// Same for a code object (a ConfigMap with `data` and/or `binaryData`).
nlohmann::json admitConfigMap(const nlohmann::json& body, const std::string& ns,
                              const std::string& name);

// Bodies nested deeper are refused unparsed; a Dataflow is about ten levels deep.
inline constexpr int kMaxBodyDepth = 100;
// Whether JSON `text` opens more than `limit` arrays and objects inside one another.
bool nestedDeeperThan(std::string_view text, int limit);

// Parses a request body as JSON, or throws wax::Error(BadRequest) saying where it broke.
nlohmann::json parseBody(const std::string& body);

// Creates the object, or replaces it keeping its metadata, when it exists.
nlohmann::json createOrReplace(store::Store& store, const std::string& kind,
                               const nlohmann::json& object);

}  // namespace wax::api
