#include "operator/run_id.h"

#include "common/digest.h"
#include "common/error.h"
#include "core/codec.h"
#include "core/validation.h"

namespace wax::operator_ {

std::string codeObjectName(const core::Dataflow& dataflow) {
  return dataflow.spec.configMapName.value_or(dataflow.metadata.name);
}

std::string computeRunId(const core::Dataflow& dataflow, store::Store& store) {
  core::Dataflow effective = dataflow;
  core::applyDefaults(effective);
  effective.spec.suspend.reset();
  std::string identity = core::toJson(effective.spec).dump();
  try {
    const auto code =
        store.get("configmaps", effective.metadata.namespace_, codeObjectName(effective));
    identity += "\ncode:" + code.at("metadata").value("resourceVersion", "");
  } catch (const Error& error) {
    if (error.code() != ErrorCode::NotFound) {
      throw;
    }
    identity += "\ncode:missing";
  }
  return sha256Hex(identity).substr(0, 16);
}

}  // namespace wax::operator_
