// The versioned resource API, in the shape of the Kubernetes API:
//   /api/v1/dataflows                                      list across namespaces (and watch)
//   /api/v1/namespaces/{ns}/dataflows[/{name}]             list, create, get, replace, delete
//   /api/v1/namespaces/{ns}/dataflows/{name}/processes     the processes and their state
//   /api/v1/namespaces/{ns}/dataflows/{name}/log           a process's log (follow streams)
//   /api/v1/namespaces/{ns}/dataflows/{name}/graph         a process's graph of steps (bytewax's)
//   /api/v1/namespaces/{ns}/dataflows/{name}/metrics       a process's Prometheus metrics
//   /api/v1/namespaces/{ns}/configmaps[/{name}]            the code objects
#include <chrono>
#include <tuple>

#include <fmt/format.h>

#include "api/admission.h"
#include "api/api.h"
#include "api/params.h"
#include "common/error.h"
#include "core/validation.h"

namespace wax::api {

namespace {

const std::string kDataflows = "dataflows";
const std::string kConfigMaps = "configmaps";

http::Response json(const nlohmann::json& body, int status = 200) {
  http::Response response;
  response.status = status;
  response.body = body.dump() + "\n";
  return response;
}

nlohmann::json listBody(const std::string& kind, const store::ListResult& list) {
  return {{"apiVersion", kind == kDataflows ? "bytewax.io/v1alpha1" : "v1"},
          {"kind", kind == kDataflows ? "DataflowList" : "ConfigMapList"},
          {"metadata", {{"resourceVersion", list.resourceVersion}}},
          {"items", list.items}};
}

std::string eventName(store::EventType type) {
  switch (type) {
    case store::EventType::Added:
      return "ADDED";
    case store::EventType::Modified:
      return "MODIFIED";
    case store::EventType::Deleted:
      return "DELETED";
  }
  return "ERROR";
}

// A watch answers with one JSON event per line until the client goes away.
http::Response watchResponse(ApiContext& context, const std::string& kind, const std::string& ns,
                             const http::Request& request) {
  const std::string from = request.queryValue("resourceVersion").value_or("");
  auto watch = std::shared_ptr<store::Watch>(context.store.watch(kind, ns, from));
  http::Response response;
  response.stream = [watch](const http::ChunkWriter& write) {
    while (true) {
      auto event = watch->next(std::chrono::milliseconds(1000));
      if (!event) {
        if (!write({})) {
          return;
        }
        continue;
      }
      const nlohmann::json line = {{"type", eventName(event->type)}, {"object", event->object}};
      if (!write(line.dump() + "\n")) {
        return;
      }
    }
  };
  return response;
}

http::Response listOrWatch(ApiContext& context, const std::string& kind, const std::string& ns,
                           const http::Request& request) {
  if (boolParam(request, "watch", false)) {
    return watchResponse(context, kind, ns, request);
  }
  return json(listBody(kind, context.store.list(kind, ns)));
}

nlohmann::json admit(const std::string& kind, const nlohmann::json& body, const std::string& ns,
                     const std::string& name) {
  return kind == kDataflows ? admitDataflow(body, ns, name) : admitConfigMap(body, ns, name);
}

std::string pathNamespace(const http::Request& request) {
  const std::string ns = request.pathParams.at("namespace");
  if (!core::isDns1123Label(ns)) {
    throw Error(ErrorCode::BadRequest,
                fmt::format("namespace \"{}\" in the path is not a valid namespace name; use "
                            "lowercase letters, digits and '-'",
                            ns));
  }
  return ns;
}

// Replacing a dataflow that is being deleted would be lost when the deletion ends.
void refuseIfTerminating(ApiContext& context, const std::string& kind, const std::string& ns,
                         const std::string& name) {
  if (kind != kDataflows) {
    return;
  }
  const auto current = context.store.get(kind, ns, name);
  if (current["metadata"].contains("deletionTimestamp")) {
    throw Error(ErrorCode::Conflict,
                fmt::format("dataflow \"{}/{}\" is being deleted; wait until it is gone "
                            "(waxctl dataflow wait {} --for=delete) and deploy again",
                            ns, name, name));
  }
}

void registerKind(http::Routes& server, ApiContext& context, const std::string& kind) {
  const std::string collection = "/api/v1/namespaces/{namespace}/" + kind;
  const std::string item = collection + "/{name}";
  server.route("GET", "/api/v1/" + kind, [&context, kind](const http::Request& request) {
    return listOrWatch(context, kind, "", request);
  });
  server.route("GET", collection, [&context, kind](const http::Request& request) {
    return listOrWatch(context, kind, pathNamespace(request), request);
  });
  server.route("POST", collection, [&context, kind](const http::Request& request) {
    const auto object = admit(kind, parseBody(request.body), pathNamespace(request), "");
    return json(context.store.create(kind, object), 201);
  });
  server.route("GET", item, [&context, kind](const http::Request& request) {
    return json(
        context.store.get(kind, request.pathParams.at("namespace"), request.pathParams.at("name")));
  });
  server.route("PUT", item, [&context, kind](const http::Request& request) {
    const std::string ns = pathNamespace(request);
    const std::string name = request.pathParams.at("name");
    const auto object = admit(kind, parseBody(request.body), ns, name);
    refuseIfTerminating(context, kind, ns, name);
    return json(context.store.update(kind, object));
  });
  server.route("DELETE", item, [&context, kind](const http::Request& request) {
    return json(context.store.remove(kind, request.pathParams.at("namespace"),
                                     request.pathParams.at("name")));
  });
}

nlohmann::json processesBody(ApiContext& context, const std::string& ns, const std::string& name) {
  context.store.get(kDataflows, ns, name);  // NotFound for an unknown dataflow
  nlohmann::json items = nlohmann::json::array();
  for (const auto& process : context.runtime.processes(ns, name)) {
    nlohmann::json entry = {{"name", process.name},
                            {"index", process.index},
                            {"running", process.running},
                            {"ready", process.ready},
                            {"pid", process.pid}};
    if (process.lastExitCode) {
      entry["lastExitCode"] = *process.lastExitCode;
    }
    items.push_back(entry);
  }
  return {{"items", items}};
}

}  // namespace

http::Response logResponse(ApiContext& context, const std::string& ns, const std::string& name,
                           const operator_::LogOptions& options, bool follow) {
  const auto object = context.store.get(kDataflows, ns, name);
  const int64_t count = object["spec"].value("processesCount", 1);
  if (options.process < 0 || options.process >= count) {
    throw Error(ErrorCode::NotFound,
                fmt::format("dataflow \"{}/{}\" has {} process{}: choose a process from 0 to {}",
                            ns, name, count, count == 1 ? "" : "es", count - 1));
  }
  http::Response response;
  response.contentType = "text/plain; charset=utf-8";
  auto& runtime = context.runtime;
  auto& store = context.store;
  // Following goes on while a process runs or is about to (Pending, Starting, a back-off), and
  // ends, like `kubectl logs -f`, once the dataflow has completed, stopped or gone.
  auto stillRunning = [&runtime, &store, ns, name] {
    for (const auto& process : runtime.processes(ns, name)) {
      if (process.running) {
        return true;
      }
    }
    try {
      const auto object = store.get(kDataflows, ns, name);
      const auto status = object.value("status", nlohmann::json::object());
      const std::string phase = status.value("phase", "Pending");
      return !object["spec"].value("suspend", false) &&
             !object["metadata"].contains("deletionTimestamp") &&
             (phase == "Pending" || phase == "Starting" || phase == "Running" ||
              phase == "CrashLoopBackOff");
    } catch (const Error&) {
      return false;
    }
  };
  response.stream = [&runtime, ns, name, options, follow,
                     stillRunning](const http::ChunkWriter& write) {
    runtime.readLogs(ns, name, options, follow, write, stillRunning);
  };
  if (!follow) {  // errors such as NotFound must reach the client as a status, not a stream
    std::string body;
    runtime.readLogs(
        ns, name, options, false,
        [&body](std::string_view piece) {
          body.append(piece);
          return true;
        },
        [] { return false; });
    response.stream = nullptr;
    response.body = std::move(body);
  }
  return response;
}

void registerResourceRoutes(http::Routes& server, ApiContext& context) {
  registerKind(server, context, kDataflows);
  registerKind(server, context, kConfigMaps);
  const std::string item = "/api/v1/namespaces/{namespace}/dataflows/{name}";
  server.route("GET", item + "/processes", [&context](const http::Request& request) {
    return json(
        processesBody(context, request.pathParams.at("namespace"), request.pathParams.at("name")));
  });
  server.route("GET", item + "/log", [&context](const http::Request& request) {
    operator_::LogOptions options;
    options.process = intParam(request, "process").value_or(0);
    options.tailLines = intParam(request, "tailLines");
    options.limitBytes = intParam(request, "limitBytes");
    options.previous = boolParam(request, "previous", false);
    readSinceParams(request, "sinceSeconds", "sinceTime", options);
    return logResponse(context, request.pathParams.at("namespace"), request.pathParams.at("name"),
                       options, boolParam(request, "follow", false));
  });
  // The process's own view, for the dashboard: bytewax's graph of steps and its metrics.
  for (const auto& [suffix, path, type] :
       {std::tuple{"/graph", "/dataflow", "application/json"},
        std::tuple{"/metrics", "/metrics", "text/plain; version=0.0.4; charset=utf-8"}}) {
    server.route("GET", item + suffix, [&context, path, type](const http::Request& request) {
      const std::string ns = request.pathParams.at("namespace");
      const std::string name = request.pathParams.at("name");
      context.store.get(kDataflows, ns, name);  // NotFound for an unknown dataflow
      http::Response response;
      response.contentType = type;
      response.body =
          context.runtime.processApi(ns, name, intParam(request, "process").value_or(0), path);
      response.headers["Cache-Control"] = "no-store";
      return response;
    });
  }
  server.route("GET", "/api/v1/namespaces", [&context](const http::Request&) {
    return namespaceListResponse("/api/v1/namespaces", context.store.namespaces());
  });
}

http::Response namespaceListResponse(const std::string& route,
                                     const std::vector<std::string>& names) {
  if (route == "/namespaces") {
    return json({{"namespaces", names}});
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& ns : names) {
    items.push_back({{"metadata", {{"name", ns}}}});
  }
  return json({{"kind", "NamespaceList"}, {"items", items}});
}

}  // namespace wax::api
