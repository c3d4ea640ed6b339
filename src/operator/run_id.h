#pragma once

#include <string>

#include "core/dataflow.h"
#include "store/store.h"

// What identifies one run of a dataflow, shared by every runtime so that local mode and cluster
// mode restart a dataflow on exactly the same changes.
namespace wax::operator_ {

// The code object (a ConfigMap) a dataflow runs: spec.configMapName, else its own name.
std::string codeObjectName(const core::Dataflow& dataflow);

// A hash of the effective spec without `suspend`, plus the code object's resourceVersion: any
// change of configuration or code makes a new run id, and suspending does not.
std::string computeRunId(const core::Dataflow& dataflow, store::Store& store);

}  // namespace wax::operator_
