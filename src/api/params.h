#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "http/server.h"
#include "operator/runtime.h"

namespace wax::api {

// Query parameters, checked: a malformed value is a BadRequest naming the parameter.
std::optional<int64_t> intParam(const http::Request& request, const std::string& name);
bool boolParam(const http::Request& request, const std::string& name, bool fallback);
// The namespace from `?namespace=`, "default" when absent; validated as a DNS-1123 label.
std::string namespaceParam(const http::Request& request);

// The namespace of a Bytewax Platform write: its body's `namespace`, else the query's, else
// "default". A body and a query that name different ones are a BadRequest: the write would
// otherwise land where the caller did not look.
std::string writeNamespace(const http::Request& request, const nlohmann::json& body);

// Sets options.sinceSeconds and sinceTime from the parameters so named (the platform's
// since_seconds/since_time, the resource API's sinceSeconds/sinceTime), checked.
void readSinceParams(const http::Request& request, const std::string& secondsName,
                     const std::string& timeName, operator_::LogOptions& options);

// A process's log, streamed when `follow` is set.
http::Response logResponse(ApiContext& context, const std::string& ns, const std::string& name,
                           const operator_::LogOptions& options, bool follow);

}  // namespace wax::api
