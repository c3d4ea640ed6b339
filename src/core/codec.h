#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dataflow.h"

// JSON and YAML codecs for Dataflow. Decoding is strict: a field the schema does not know is
// reported as a FieldError (like `kubectl apply --validate=strict`), never silently dropped.
// Encoding writes only the fields that are set, so decode(encode(x)) == x and a Bytewax Platform
// manifest survives a round trip unchanged.
namespace wax::core {

nlohmann::json toJson(const Dataflow& dataflow);
nlohmann::json toJson(const DataflowSpec& spec);
nlohmann::json toJson(const DataflowStatus& status);
nlohmann::json toJson(const ObjectMeta& metadata);

// Decodes a Dataflow. Unknown fields and wrong types are added to `errors` (path + message);
// the returned object holds whatever could be decoded. A null field counts as absent; a missing
// apiVersion or kind decodes as "" (not the model's default) so that validation reports it.
// Messages name types, never values, since the field may hold a secret.
Dataflow dataflowFromJson(const nlohmann::json& document, std::vector<FieldError>& errors);
DataflowStatus statusFromJson(const nlohmann::json& document, std::vector<FieldError>& errors);

// The same document with its keys in the order a human reads them: apiVersion, kind, metadata,
// spec, status, and inside each Dataflow object the order of the structs in dataflow.h; keys
// the schema does not know follow, alphabetically. nlohmann::json keeps keys sorted, so dump
// this to write JSON for people (`toOrderedJson(toJson(df)).dump(2)`).
nlohmann::ordered_json toOrderedJson(const nlohmann::json& document);

// YAML <-> JSON, keeping scalar types (int, float, bool, null, string; quoted scalars stay
// strings, YAML 1.2 core schema). Throws wax::Error(BadRequest) with the line and column on bad
// syntax, duplicate keys, unsupported tags and integers that do not fit in 64 bits.
// nlohmann::json sorts keys, so the source's key order is not kept; jsonToYaml writes keys in
// the toOrderedJson order instead, which a manifest in canonical order survives unchanged.
nlohmann::json yamlToJson(std::string_view yaml);
// Several documents separated by '---'; empty documents are skipped.
std::vector<nlohmann::json> yamlToJsonDocuments(std::string_view yaml);
// Block-style YAML. Strings that would read back as another type ("true", "1", "null", "") are
// double-quoted, multi-line strings are literal block scalars where that reads back exactly.
std::string jsonToYaml(const nlohmann::json& document);

// Reads a manifest in either format (JSON when it starts with '{'). Exactly one document; throws
// wax::Error(BadRequest) when there is none, several, or the syntax is wrong.
nlohmann::json parseManifest(std::string_view text);

}  // namespace wax::core
