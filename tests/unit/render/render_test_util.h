#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/dataflow.h"
#include "core/validation.h"
#include "render/render.h"

// Helpers shared by the wax_render tests.
namespace wax::render::testing {

using json = nlohmann::json;

// A valid dataflow with defaults applied and a uid, as the operator hands it to render.
inline core::Dataflow dataflow(const std::string& name = "flow", int64_t processes = 1) {
  core::Dataflow result;
  result.metadata.name = name;
  result.metadata.namespace_ = "team";
  result.metadata.uid = "0b6c2c3e-1111-2222-3333-444455556666";
  result.spec.image = core::ImageSpec{.tag = "0.21.1"};
  result.spec.pythonFileName = "flow.py";
  result.spec.processesCount = processes;
  core::applyDefaults(result);
  return result;
}

inline void enableRecovery(core::Dataflow& flow, int64_t parts, bool singleVolume) {
  flow.spec.recovery = core::Recovery{.enabled = true,
                                      .partsCount = parts,
                                      .snapshotInterval = 30,
                                      .backupInterval = 60,
                                      .singleVolume = singleVolume};
  core::applyDefaults(flow);
}

inline std::vector<json> render(const core::Dataflow& flow, const RenderOptions& options = {}) {
  return renderChildren(flow, options);
}

// The one object of `kind` (and `name` when given); fails the test when there is not exactly one.
inline json find(const std::vector<json>& objects, const std::string& kind,
                 const std::string& name = "") {
  std::vector<json> found;
  for (const json& object : objects) {
    if (object["kind"] == kind && (name.empty() || object["metadata"]["name"] == name)) {
      found.push_back(object);
    }
  }
  EXPECT_EQ(found.size(), 1u) << "objects of kind " << kind << " named '" << name << "'";
  return found.empty() ? json::object() : found[0];
}

inline std::vector<std::string> kinds(const std::vector<json>& objects) {
  std::vector<std::string> result;
  for (const json& object : objects) {
    result.push_back(object["kind"].get<std::string>());
  }
  return result;
}

// The pod template of whatever workload was rendered.
inline json podTemplateOf(const std::vector<json>& objects) {
  for (const json& object : objects) {
    if (object["kind"] == "StatefulSet" || object["kind"] == "Job") {
      return object["spec"]["template"];
    }
    if (object["kind"] == "CronJob") {
      return object["spec"]["jobTemplate"]["spec"]["template"];
    }
  }
  ADD_FAILURE() << "no workload rendered";
  return json::object();
}

inline json container(const json& podTemplate, const std::string& name) {
  for (const char* list : {"containers", "initContainers"}) {
    for (const json& item : podTemplate["spec"].value(list, json::array())) {
      if (item["name"] == name) {
        return item;
      }
    }
  }
  return nullptr;
}

inline json mainContainer(const std::vector<json>& objects) {
  return container(podTemplateOf(objects), kContainerName);
}

// The env entry named `name`, or null.
inline json envVar(const json& container, const std::string& name) {
  for (const json& entry : container.value("env", json::array())) {
    if (entry["name"] == name) {
      return entry;
    }
  }
  return nullptr;
}

inline std::string envValue(const json& container, const std::string& name) {
  json entry = envVar(container, name);
  EXPECT_FALSE(entry.is_null()) << "no env " << name;
  return entry.is_null() ? "" : entry.value("value", "<valueFrom>");
}

inline std::vector<std::string> envNames(const json& container) {
  std::vector<std::string> names;
  for (const json& entry : container.value("env", json::array())) {
    names.push_back(entry["name"].get<std::string>());
  }
  return names;
}

}  // namespace wax::render::testing
