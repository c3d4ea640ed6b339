#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/dataflow.h"

// Helpers shared by the wax_core tests.
namespace wax::core::testing {

inline std::string readTestData(const std::string& name) {
  std::ifstream file(std::string(WAX_CORE_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file.good()) << "missing test data " << name;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The smallest Dataflow that passes validation.
inline Dataflow minimalDataflow() {
  Dataflow dataflow;
  dataflow.metadata.name = "my-flow";
  dataflow.metadata.namespace_ = "default";
  dataflow.spec.image = ImageSpec{.tag = "0.21.1"};
  dataflow.spec.pythonFileName = "dataflow.py";
  return dataflow;
}

inline const FieldError* findError(const std::vector<FieldError>& errors,
                                   const std::string& field) {
  for (const FieldError& error : errors) {
    if (error.field == field) {
      return &error;
    }
  }
  return nullptr;
}

inline std::string listErrors(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& error : errors) {
    out += "\n  " + error.field + ": " + error.message;
  }
  return out.empty() ? " (none)" : out;
}

}  // namespace wax::core::testing
