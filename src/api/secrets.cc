// The Bytewax Platform's /secrets endpoints: Secrets as {name, namespace, data: [{key, value}]},
// stored as Kubernetes Secrets (values base64 in `data`). Values leave the server only for a
// single secret asked for with include_values=true; lists and errors carry keys alone.
#include <openssl/evp.h>

#include <set>

#include <fmt/format.h>

#include "api/admission.h"
#include "api/api.h"
#include "api/params.h"
#include "common/error.h"
#include "core/validation.h"

namespace wax::api {

namespace {

using nlohmann::json;

const std::string kSecrets = "secrets";
constexpr size_t kMaxSecretBytes = 1024 * 1024;  // the API server's limit for one Secret

http::Response jsonResponse(const json& body) {
  http::Response response;
  response.body = body.dump() + "\n";
  return response;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(length);
  return out;
}

// A stored value that is not base64 (written by hand) is shown as it is rather than lost.
std::string unbase64(const std::string& text) {
  if (text.size() % 4 != 0) {
    return text;
  }
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  if (length < 0) {
    return text;
  }
  size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) {
    ++padding;
  }
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

bool isSecretKey(const std::string& key) {
  return !key.empty() && key.size() <= 253 &&
         key.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
             std::string::npos;
}

std::string requiredString(const json& body, const char* field, const std::string& where) {
  if (!body.contains(field) || !body[field].is_string()) {
    throw Error(ErrorCode::BadRequest, fmt::format("{}{}: required, a string", where, field));
  }
  return body[field].get<std::string>();
}

// The Kubernetes Secret for a request's Secret, checked field by field. Values are never
// quoted in an error.
json secretObject(const http::Request& request, const json& body, const std::string& pathName) {
  if (!body.is_object()) {
    throw Error(ErrorCode::BadRequest,
                "the request body must be a Secret: {name, namespace, data: [{key, value}]}");
  }
  const std::string name = pathName.empty() ? requiredString(body, "name", "") : pathName;
  if (!pathName.empty() && body.contains("name") && body["name"] != pathName) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("name: does not match \"{}\" in the path", pathName));
  }
  if (!core::isDns1123Subdomain(name)) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("name: \"{}\" is not a valid secret name; use lowercase letters, "
                            "digits, '-' and '.'",
                            name));
  }
  const std::string ns = writeNamespace(request, body);
  if (!body.contains("data") || !body["data"].is_array()) {
    throw Error(ErrorCode::BadRequest, "data: required, a list of {key, value}");
  }
  json data = json::object();
  std::set<std::string> keys;
  size_t total = 0;
  for (size_t i = 0; i < body["data"].size(); ++i) {
    const json& entry = body["data"][i];
    const std::string where = fmt::format("data[{}].", i);
    if (!entry.is_object()) {
      throw Error(ErrorCode::BadRequest, fmt::format("data[{}]: must be {{key, value}}", i));
    }
    const std::string key = requiredString(entry, "key", where);
    const std::string value = requiredString(entry, "value", where);
    if (!isSecretKey(key)) {
      throw Error(ErrorCode::BadRequest,
                  fmt::format("{}key: \"{}\" is not a valid key; use letters, digits, '-', '_' "
                              "and '.'",
                              where, key));
    }
    if (!keys.insert(key).second) {
      throw Error(ErrorCode::BadRequest, fmt::format("{}key: \"{}\" is given twice", where, key));
    }
    total += key.size() + value.size();
    data[key] = base64(value);
  }
  if (total > kMaxSecretBytes) {
    throw Error(ErrorCode::BadRequest, "data: over 1 MiB in all; a Secret holds at most 1 MiB");
  }
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"type", "Opaque"},
          {"data", data}};
}

// The platform's Secret: keys always, values only when asked for.
json secretResponse(const json& object, bool withValues) {
  json data = json::array();
  const json stored = object.value("data", json::object());  // items() must not see a temporary
  for (const auto& [key, value] : stored.items()) {
    data.push_back({{"key", key}, {"value", withValues ? unbase64(value.get<std::string>()) : ""}});
  }
  const auto& metadata = object.at("metadata");
  return {{"name", metadata.value("name", "")},
          {"namespace", metadata.value("namespace", "")},
          {"data", data}};
}

std::string requiredNamespace(const http::Request& request) {
  if (!request.queryValue("namespace")) {
    throw Error(ErrorCode::BadRequest,
                "query parameter namespace: required; give the namespace of the secrets");
  }
  return namespaceParam(request);
}

}  // namespace

void registerSecretRoutes(http::Routes& server, ApiContext& context) {
  server.route("GET", "/secrets", [&context](const http::Request& request) {
    json secrets = json::array();
    for (const auto& item : context.store.list(kSecrets, requiredNamespace(request)).items) {
      secrets.push_back(secretResponse(item, false));
    }
    return jsonResponse({{"secrets", secrets}});
  });
  server.route("GET", "/secrets/{name}", [&context](const http::Request& request) {
    const auto object =
        context.store.get(kSecrets, namespaceParam(request), request.pathParams.at("name"));
    return jsonResponse(secretResponse(object, boolParam(request, "include_values", false)));
  });
  server.route("POST", "/secrets", [&context](const http::Request& request) {
    context.store.create(kSecrets, secretObject(request, parseBody(request.body), ""));
    return jsonResponse("ok");
  });
  server.route("PUT", "/secrets/{name}", [&context](const http::Request& request) {
    createOrReplace(context.store, kSecrets,
                    secretObject(request, parseBody(request.body), request.pathParams.at("name")));
    return jsonResponse("ok");
  });
  server.route("DELETE", "/secrets/{name}", [&context](const http::Request& request) {
    context.store.remove(kSecrets, namespaceParam(request), request.pathParams.at("name"));
    return jsonResponse("ok");
  });
}

}  // namespace wax::api
