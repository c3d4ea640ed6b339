// The Bytewax Platform's WaxAPI endpoint set, with its paths and body shapes, so that clients
// written for it work unchanged. Successful changes answer the JSON string "ok".
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "api/admission.h"
#include "api/api.h"
#include "api/params.h"
#include "common/error.h"
#include "core/codec.h"
#include "core/validation.h"
#include "operator/status.h"

namespace wax::api {

namespace {

const std::string kDataflows = "dataflows";

http::Response json(const nlohmann::json& body) {
  http::Response response;
  response.body = body.dump() + "\n";
  return response;
}

http::Response ok() {
  return json("ok");
}

std::string sourceOf(const nlohmann::json& spec) {
  if (spec.contains("artifactsDownload")) {
    return "ArtifactsDownload";
  }
  return spec.contains("tarName") ? "Tarball" : "PythonFile";
}

std::string kindOf(const nlohmann::json& spec) {
  if (spec.contains("schedule")) {
    return "ScheduledDataflow";
  }
  return spec.value("jobMode", false) ? "Job" : "Dataflow";
}

}  // namespace

nlohmann::json dataflowResponse(const nlohmann::json& object) {
  const auto& metadata = object.at("metadata");
  const auto spec = object.value("spec", nlohmann::json::object());
  const auto status = object.value("status", nlohmann::json::object());
  return {{"name", metadata.value("name", "")},
          {"namespace", metadata.value("namespace", "")},
          {"creationTimestamp", metadata.value("creationTimestamp", "")},
          {"spec", spec},
          {"ui",
           {{"kind", kindOf(spec)},
            {"source", sourceOf(spec)},
            {"processesReady", fmt::format("{}/{}", status.value("processesReady", 0),
                                           status.value("processesDesired", 0))},
            {"lastSchedule", ""},
            {"details", status}}}};
}

namespace {

// Body fields, checked: a wrong type is a BadRequest that names the field.
std::optional<std::string> stringField(const nlohmann::json& body, const char* field) {
  if (!body.contains(field) || body[field].is_null()) {
    return std::nullopt;
  }
  if (!body[field].is_string()) {
    throw Error(ErrorCode::BadRequest, fmt::format("{}: must be a string", field));
  }
  return body[field].get<std::string>();
}

bool boolField(const nlohmann::json& body, const char* field, bool fallback) {
  if (!body.contains(field) || body[field].is_null()) {
    return fallback;
  }
  if (!body[field].is_boolean()) {
    throw Error(ErrorCode::BadRequest, fmt::format("{}: must be true or false", field));
  }
  return body[field].get<bool>();
}

nlohmann::json objectBody(const std::string& text) {
  auto body = parseBody(text);
  if (!body.is_object()) {
    throw Error(ErrorCode::BadRequest, "the request body must be a JSON object");
  }
  return body;
}

// The DataflowDto's name: the path's on PUT (a different one in the body is a mistake).
std::string dtoName(const nlohmann::json& dto, const std::string& pathName) {
  const auto bodyName = stringField(dto, "name");
  if (pathName.empty()) {
    if (!bodyName || bodyName->empty()) {
      throw Error(ErrorCode::BadRequest, "name: required; give the dataflow's name");
    }
    return *bodyName;
  }
  if (bodyName && !bodyName->empty() && *bodyName != pathName) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("name: \"{}\" does not match \"{}\" in the path", *bodyName, pathName));
  }
  return pathName;
}

// Stores the DataflowDto's code (fileContent) and then the Dataflow itself.
void applyDto(ApiContext& context, const http::Request& request, const std::string& pathName) {
  const nlohmann::json dto = objectBody(request.body);
  const std::string name = dtoName(dto, pathName);
  const std::string ns = writeNamespace(request, dto);
  const std::string fileContent = stringField(dto, "fileContent").value_or("");
  if (!stringField(dto, "fileUrl").value_or("").empty()) {
    throw Error(ErrorCode::BadRequest,
                "fileUrl: downloading code is not supported by this server; send the code in "
                "fileContent");
  }
  if (dto.contains("spec") && !dto["spec"].is_object()) {
    throw Error(ErrorCode::BadRequest, "spec: must be an object (a DataflowSpec)");
  }
  nlohmann::json manifest = {{"apiVersion", "bytewax.io/v1alpha1"},
                             {"kind", "Dataflow"},
                             {"metadata", {{"name", name}, {"namespace", ns}}},
                             {"spec", dto.value("spec", nlohmann::json::object())}};
  const nlohmann::json dataflow = admitDataflow(manifest, ns, name);
  if (!fileContent.empty()) {
    const std::string codeName = dataflow["spec"].value("configMapName", name);
    nlohmann::json code = {
        {"metadata",
         {{"name", codeName}, {"namespace", ns}, {"labels", {{"bytewax.io/dataflow", name}}}}},
        {"data", {{dataflow["spec"]["pythonFileName"], fileContent}}}};
    createOrReplace(context.store, "configmaps", admitConfigMap(code, ns, codeName));
  }
  createOrReplace(context.store, kDataflows, dataflow);
}

// Applies `change` to the latest version of a dataflow. The controller writes status all the
// time, so a Conflict only means "read again": the change is made again on the new version.
void patchDataflow(ApiContext& context, const std::string& ns, const std::string& name,
                   const std::function<void(nlohmann::json&)>& change) {
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    nlohmann::json object = context.store.get(kDataflows, ns, name);
    change(object);
    try {
      context.store.update(kDataflows, object);
      return;
    } catch (const Error& error) {
      if (error.code() != ErrorCode::Conflict || attempt == kAttempts) {
        throw;
      }
    }
  }
}

operator_::LogOptions logOptions(const http::Request& request, const std::string& name) {
  operator_::LogOptions options;
  const std::string pod = request.queryValue("pod_name").value_or("");
  const std::string prefix = name + "-";
  if (pod.rfind(prefix, 0) != 0) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("pod_name: \"{}\" is not a process of dataflow \"{}\"; use one of the "
                            "names from /dataflows/{}/pods",
                            pod, name, name));
  }
  const std::string index = pod.substr(prefix.size());
  if (index.empty() || index.size() > 6 ||
      !std::all_of(index.begin(), index.end(), [](char c) { return std::isdigit(c); })) {
    throw Error(ErrorCode::BadRequest, "pod_name: expected \"" + prefix + "<index>\"");
  }
  options.process = std::stoll(index);
  options.tailLines = intParam(request, "tail_lines");
  options.limitBytes = intParam(request, "limit_bytes");
  options.previous = boolParam(request, "previous", false);
  readSinceParams(request, "since_seconds", "since_time", options);
  return options;
}

void registerDataflowRoutes(http::Routes& server, ApiContext& context) {
  server.route("GET", "/dataflows", [&context](const http::Request& request) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& item : context.store.list(kDataflows, namespaceParam(request)).items) {
      items.push_back(dataflowResponse(item));
    }
    return json({{"dataflows", items}});
  });
  server.route("POST", "/dataflows", [&context](const http::Request& request) {
    applyDto(context, request, "");
    return ok();
  });
  server.route("GET", "/dataflows/{name}", [&context](const http::Request& request) {
    return json(dataflowResponse(
        context.store.get(kDataflows, namespaceParam(request), request.pathParams.at("name"))));
  });
  server.route("PUT", "/dataflows/{name}", [&context](const http::Request& request) {
    applyDto(context, request, request.pathParams.at("name"));
    return ok();
  });
  server.route("DELETE", "/dataflows/{name}", [&context](const http::Request& request) {
    context.store.remove(kDataflows, namespaceParam(request), request.pathParams.at("name"));
    return ok();
  });
}

void registerActionRoutes(http::Routes& server, ApiContext& context) {
  server.route("PUT", "/dataflows/{name}/suspend", [&context](const http::Request& request) {
    const auto body = objectBody(request.body);
    if (!body.contains("suspend") || !body["suspend"].is_boolean()) {
      throw Error(ErrorCode::BadRequest, "suspend: required; give true or false");
    }
    patchDataflow(context, writeNamespace(request, body), request.pathParams.at("name"),
                  [&body](nlohmann::json& object) { object["spec"]["suspend"] = body["suspend"]; });
    return ok();
  });
  server.route("PUT", "/dataflows/{name}/reset-state", [&context](const http::Request& request) {
    const auto body = objectBody(request.body);
    const std::string ns = writeNamespace(request, body);
    const std::string name = request.pathParams.at("name");
    const bool force = boolField(body, "force", false);
    const auto object = context.store.get(kDataflows, ns, name);
    if (!object["spec"].value("suspend", false) && !force) {
      throw Error(ErrorCode::Conflict,
                  fmt::format("dataflow \"{}/{}\" is not suspended; suspend it first, or pass "
                              "\"force\": true to stop it and reset its state",
                              ns, name));
    }
    context.runtime.resetState(ns, name, force);
    // A forced reset stopped the processes; the note makes the controller start them again.
    patchDataflow(context, ns, name, [](nlohmann::json& latest) {
      latest["metadata"]["annotations"]["bytewax.io/state-reset-at"] = operator_::nowRfc3339();
    });
    return ok();
  });
  server.route("GET", "/dataflows/{name}/pods", [&context](const http::Request& request) {
    const std::string ns = namespaceParam(request);
    const std::string name = request.pathParams.at("name");
    const auto object = context.store.get(kDataflows, ns, name);
    nlohmann::json pods = nlohmann::json::array();
    const int64_t count = object["spec"].value("processesCount", 1);
    for (int64_t i = 0; i < count; ++i) {
      pods.push_back(fmt::format("{}-{}", name, i));
    }
    return json({{"pods", pods}});
  });
  for (const char* path : {"/dataflows/{name}/logs", "/dataflows/{name}/logsv2"}) {
    server.route("GET", path, [&context](const http::Request& request) {
      const std::string name = request.pathParams.at("name");
      return logResponse(context, namespaceParam(request), name, logOptions(request, name),
                         boolParam(request, "follow", false));
    });
  }
  server.route("GET", "/dataflows/{name}/jobs", [&context](const http::Request& request) {
    const std::string ns = namespaceParam(request);
    const std::string name = request.pathParams.at("name");
    context.store.get(kDataflows, ns, name);  // NotFound for an unknown dataflow
    nlohmann::json jobs = nlohmann::json::array();
    for (const auto& run : context.runtime.jobs(ns, name)) {
      // "succeded" is the Bytewax Platform's spelling; "succeeded" is offered beside it.
      jobs.push_back({{"name", run.name},
                      {"startTime", run.startTime},
                      {"completionTime", run.completionTime},
                      {"ready", run.ready},
                      {"succeded", run.succeeded},
                      {"succeeded", run.succeeded},
                      {"failed", run.failed},
                      {"terminating", run.terminating}});
    }
    return json({{"jobs", jobs}});
  });
  server.route("GET", "/namespaces", [&context](const http::Request&) {
    return namespaceListResponse("/namespaces", context.store.namespaces());
  });
}

}  // namespace

void registerPlatformRoutes(http::Routes& server, ApiContext& context) {
  registerDataflowRoutes(server, context);
  registerActionRoutes(server, context);
  registerSecretRoutes(server, context);
}

}  // namespace wax::api
