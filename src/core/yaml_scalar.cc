#include "core/yaml_scalar.h"

#include <cstdint>
#include <cstdio>

namespace wax::core {
namespace {

constexpr int32_t kInvalid = -1;

// Decodes the UTF-8 code point at text[pos] and moves pos past it. An invalid sequence yields
// kInvalid and moves pos by one byte, so callers always make progress.
int32_t nextCodePoint(std::string_view text, size_t& pos) {
  auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }

  size_t length = 0;
  int32_t codePoint = 0;
  int32_t smallest = 0;  // anything below is an overlong encoding
  if ((lead & 0xE0) == 0xC0) {
    length = 2, codePoint = lead & 0x1F, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, codePoint = lead & 0x0F, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, codePoint = lead & 0x07, smallest = 0x10000;
  } else {
    ++pos;
    return kInvalid;
  }
  if (pos + length > text.size()) {
    ++pos;
    return kInvalid;
  }
  for (size_t i = 1; i < length; ++i) {
    auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) {
      ++pos;
      return kInvalid;
    }
    codePoint = (codePoint << 6) | (next & 0x3F);
  }
  if (codePoint < smallest || codePoint > 0x10FFFF ||
      (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
    ++pos;
    return kInvalid;
  }
  pos += length;
  return codePoint;
}

// Characters YAML does not allow raw in a scalar, or reads as line breaks (NEL, LS, PS), or that
// would be invisible in the file (BOM). They are written as escapes inside double quotes.
bool needsEscape(int32_t codePoint) {
  return codePoint == kInvalid || codePoint < 0x20 || codePoint == 0x7F ||
         (codePoint >= 0x80 && codePoint <= 0x9F) || codePoint == 0x2028 || codePoint == 0x2029 ||
         codePoint == 0xFEFF || codePoint == 0xFFFE || codePoint == 0xFFFF;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isOctalDigit(char c) {
  return c >= '0' && c <= '7';
}
bool isHexDigit(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

template <typename Predicate>
bool nonEmptyAllOf(std::string_view text, Predicate predicate) {
  if (text.empty()) {
    return false;
  }
  for (char c : text) {
    if (!predicate(c)) {
      return false;
    }
  }
  return true;
}

bool isOneOf(std::string_view text, std::initializer_list<std::string_view> words) {
  for (std::string_view word : words) {
    if (text == word) {
      return true;
    }
  }
  return false;
}

std::string_view withoutSign(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    text.remove_prefix(1);
  }
  return text;
}

bool isCoreInt(std::string_view text) {
  if (text.starts_with("0o")) {
    return nonEmptyAllOf(text.substr(2), isOctalDigit);
  }
  if (text.starts_with("0x")) {
    return nonEmptyAllOf(text.substr(2), isHexDigit);
  }
  return nonEmptyAllOf(withoutSign(text), isDigit);
}

size_t countDigits(std::string_view text, size_t pos) {
  size_t count = 0;
  while (pos + count < text.size() && isDigit(text[pos + count])) {
    ++count;
  }
  return count;
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool isCoreDecimalFloat(std::string_view text) {
  text = withoutSign(text);
  size_t pos = 0;
  if (!text.empty() && text[0] == '.') {
    size_t fraction = countDigits(text, 1);
    if (fraction == 0) {
      return false;
    }
    pos = 1 + fraction;
  } else {
    size_t whole = countDigits(text, 0);
    if (whole == 0) {
      return false;
    }
    pos = whole;
    if (pos < text.size() && text[pos] == '.') {
      pos += 1 + countDigits(text, pos + 1);
    }
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      ++pos;
    }
    size_t exponent = countDigits(text, pos);
    if (exponent == 0) {
      return false;
    }
    pos += exponent;
  }
  return pos == text.size();
}

bool isCoreFloat(std::string_view text) {
  return isCoreDecimalFloat(text) || isOneOf(withoutSign(text), {".inf", ".Inf", ".INF"}) ||
         isOneOf(text, {".nan", ".NaN", ".NAN"});
}

// Words YAML 1.1 tools (PyYAML, older Go libraries) read as booleans.
bool isYaml11Bool(std::string_view text) {
  return isOneOf(text, {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
                        "off", "Off", "OFF"});
}

// YAML 1.1 also reads 0b101, 1_000, 1:30 (base 60) and 2025-01-15 (a timestamp) as non-strings.
// A text that starts with a digit is safe unquoted only when it has a letter that no 1.1
// number can hold, such as "10Gi" or "3d".
bool cannotBeYaml11Number(std::string_view text) {
  if (text.find_first_of(":_") != std::string_view::npos || text.starts_with("0b") ||
      text.starts_with("0x") || text.starts_with("0o")) {
    return false;
  }
  for (char c : text) {
    if (isAsciiLetter(c) && c != 'e' && c != 'E') {
      return true;
    }
  }
  return false;
}

// Punctuation safe anywhere after the first character of a plain scalar in block context.
constexpr std::string_view kPlainPunctuation = " _./@+=:,()*-";

}  // namespace

PlainScalarKind classifyPlainScalar(std::string_view text) {
  if (isOneOf(text, {"", "~", "null", "Null", "NULL"})) {
    return PlainScalarKind::Null;
  }
  if (isOneOf(text, {"true", "True", "TRUE", "false", "False", "FALSE"})) {
    return PlainScalarKind::Bool;
  }
  if (isCoreInt(text)) {
    return PlainScalarKind::Int;
  }
  if (isCoreFloat(text)) {
    return PlainScalarKind::Float;
  }
  return PlainScalarKind::String;
}

bool canBePlainScalar(std::string_view text) {
  if (text.empty() || classifyPlainScalar(text) != PlainScalarKind::String || isYaml11Bool(text)) {
    return false;
  }
  char first = text.front();
  bool firstIsSafe = isAsciiLetter(first) || first == '_' || first == '/' ||
                     static_cast<unsigned char>(first) >= 0x80 ||
                     (isDigit(first) && cannotBeYaml11Number(text));
  if (!firstIsSafe || text.back() == ' ' || text.back() == ':' ||
      text.find(": ") != std::string_view::npos) {
    return false;
  }

  size_t pos = 0;
  while (pos < text.size()) {
    char c = text[pos];
    if (static_cast<unsigned char>(c) >= 0x80) {
      if (needsEscape(nextCodePoint(text, pos))) {
        return false;
      }
      continue;
    }
    if (!isAsciiLetter(c) && !isDigit(c) && kPlainPunctuation.find(c) == std::string_view::npos) {
      return false;
    }
    ++pos;
  }
  return true;
}

bool canBeLiteralBlock(std::string_view text) {
  if (text.find('\n') == std::string_view::npos) {
    return false;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    int32_t codePoint = nextCodePoint(text, pos);
    if (codePoint != '\n' && needsEscape(codePoint)) {
      return false;  // tabs and carriage returns included: they would not survive a reader
    }
  }
  // Without an indentation indicator the reader takes the indentation from the first line with
  // content, so that line must not start with a space. Leading empty lines are fine.
  size_t firstContent = text.find_first_not_of('\n');
  return firstContent != std::string_view::npos && text[firstContent] != ' ';
}

std::string doubleQuoted(std::string_view text) {
  std::string out = "\"";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    int32_t codePoint = nextCodePoint(text, pos);
    if (codePoint == '"') {
      out += "\\\"";
    } else if (codePoint == '\\') {
      out += "\\\\";
    } else if (codePoint == '\n') {
      out += "\\n";
    } else if (codePoint == '\t') {
      out += "\\t";
    } else if (codePoint == '\r') {
      out += "\\r";
    } else if (codePoint == kInvalid) {
      out += "\\uFFFD";  // invalid UTF-8 cannot be represented; mark where it was
    } else if (needsEscape(codePoint)) {
      char escape[12];
      std::snprintf(escape, sizeof(escape), "\\u%04X", static_cast<unsigned>(codePoint));
      out += escape;
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  out += '"';
  return out;
}

bool isValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (nextCodePoint(text, pos) == kInvalid) {
      return false;
    }
  }
  return true;
}

}  // namespace wax::core
