#include "api/params.h"

#include <charconv>

#include <fmt/format.h>

#include "common/error.h"
#include "common/time.h"
#include "core/validation.h"

namespace wax::api {

std::optional<int64_t> intParam(const http::Request& request, const std::string& name) {
  const auto text = request.queryValue(name);
  if (!text || text->empty()) {
    return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < 0) {
    throw Error(
        ErrorCode::BadRequest,
        fmt::format("query parameter {}: \"{}\" is not a non-negative integer", name, *text));
  }
  return value;
}

bool boolParam(const http::Request& request, const std::string& name, bool fallback) {
  const auto text = request.queryValue(name);
  if (!text) {
    return fallback;
  }
  if (*text == "true" || *text == "1" || text->empty()) {
    return true;
  }
  if (*text == "false" || *text == "0") {
    return false;
  }
  throw Error(ErrorCode::BadRequest,
              fmt::format("query parameter {}: \"{}\" is not true or false", name, *text));
}

namespace {

// `ns`, or a BadRequest that names where it came from (`field`).
std::string checkedNamespace(const std::string& ns, const std::string& field) {
  if (!core::isDns1123Label(ns)) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: \"{}\" is not a valid namespace name; use lowercase letters, "
                            "digits and '-'",
                            field, ns));
  }
  return ns;
}

}  // namespace

std::string namespaceParam(const http::Request& request) {
  return checkedNamespace(request.queryValue("namespace").value_or("default"),
                          "query parameter namespace");
}

std::string writeNamespace(const http::Request& request, const nlohmann::json& body) {
  std::optional<std::string> fromBody;
  if (body.is_object() && body.contains("namespace") && !body["namespace"].is_null()) {
    if (!body["namespace"].is_string()) {
      throw Error(ErrorCode::BadRequest, "namespace: must be a string");
    }
    fromBody = body["namespace"].get<std::string>();
  }
  const auto fromQuery = request.queryValue("namespace");
  if (fromBody && fromQuery && *fromBody != *fromQuery) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("namespace: the body names \"{}\" and the query \"{}\"; give one, or "
                            "the same in both",
                            *fromBody, *fromQuery));
  }
  return checkedNamespace(fromBody ? *fromBody : fromQuery.value_or("default"), "namespace");
}

void readSinceParams(const http::Request& request, const std::string& secondsName,
                     const std::string& timeName, operator_::LogOptions& options) {
  options.sinceSeconds = intParam(request, secondsName);
  options.sinceTime = request.queryValue(timeName).value_or("");
  if (options.sinceSeconds && *options.sinceSeconds <= 0) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: must be a positive number of seconds", secondsName));
  }
  if (!options.sinceTime.empty() && !parseRfc3339(options.sinceTime)) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{}: \"{}\" is not an RFC 3339 time; write e.g. 2026-01-02T15:04:05Z",
                            timeName, options.sinceTime));
  }
  if (options.sinceSeconds && !options.sinceTime.empty()) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("{} and {}: give one of them, not both", secondsName, timeName));
  }
}

}  // namespace wax::api
