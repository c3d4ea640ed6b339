#pragma once

#include <string>
#include <string_view>

// How one YAML scalar reads and how to write a string so that it reads back unchanged. The
// reading rules are the YAML 1.2 core schema, the one yamlToJson applies to plain scalars.
// Internal to wax_core.
namespace wax::core {

enum class PlainScalarKind { Null, Bool, Int, Float, String };

// What an unquoted scalar with this text means: "~" is null, "TRUE" a bool, "0x1F" an int,
// ".5" and ".inf" floats, anything else a string.
PlainScalarKind classifyPlainScalar(std::string_view text);

// True when the string may be written unquoted: it reads back as the same string under YAML 1.2
// and, to be kind to YAML 1.1 tools, is not a 1.1 boolean ("yes", "off") and does not start with
// a digit. Deliberately conservative: anything unusual is quoted.
bool canBePlainScalar(std::string_view text);

// True when a multi-line string reads back exactly as a literal block scalar ("|") without an
// indentation indicator.
bool canBeLiteralBlock(std::string_view text);

// The string as a YAML double-quoted scalar, escaping what YAML does not allow raw.
std::string doubleQuoted(std::string_view text);

bool isValidUtf8(std::string_view text);

}  // namespace wax::core
