#pragma once

#include <string>
#include <vector>

#include "core/dataflow.h"

namespace wax::core {

// Fills in the Bytewax Platform's documented defaults for every unset spec field. Defaults
// inside spec.image and spec.recovery are filled only when that object is present (recovery then
// gains persistence.size and cloudBackup.enabled); concurrencyPolicy is set even without a
// schedule, as the CRD does. Idempotent.
void applyDefaults(Dataflow& dataflow);

// Checks a Dataflow (defaults need not be applied). Each error names the field path and says
// how to fix it. An empty result means the object may be stored. Run it only on a Dataflow that
// decoded without errors: a field with the wrong type decodes as absent and would be reported
// twice. An empty metadata.namespace is accepted; the caller fills it in.
std::vector<FieldError> validate(const Dataflow& dataflow);

// Formats errors as one message: `Dataflow "ns/name" is invalid: spec.x: ...; spec.y: ...`.
std::string describeErrors(const Dataflow& dataflow, const std::vector<FieldError>& errors);

// Helpers that other validators (Secrets, code blobs) reuse.
bool isDns1123Label(const std::string& value);      // RFC 1123 label, <= 63 chars
bool isDns1123Subdomain(const std::string& value);  // RFC 1123 subdomain, <= 253 chars
bool isEnvVarName(const std::string& value);        // [-._A-Za-z][-._A-Za-z0-9]*
// A standard 5-field cron expression, or one of the @yearly/@monthly/... macros. On failure
// `why` says which field is wrong.
bool isCronExpression(const std::string& value, std::string& why);

}  // namespace wax::core
