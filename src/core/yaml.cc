#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "common/error.h"
#include "core/codec.h"
#include "core/yaml_scalar.h"

namespace wax::core {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Limits that keep a hostile manifest (deep nesting, alias "billion laughs") from exhausting
// the stack or memory. Real manifests are a few dozen nodes deep at most.
constexpr int kMaxDepth = 100;
constexpr size_t kMaxNodes = 100000;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

[[noreturn]] void throwAt(const YAML::Mark& mark, const std::string& what) {
  if (mark.is_null()) {
    throw Error(ErrorCode::BadRequest, "invalid YAML: " + what);
  }
  throw Error(ErrorCode::BadRequest, "invalid YAML at line " + std::to_string(mark.line + 1) +
                                         ", column " + std::to_string(mark.column + 1) + ": " +
                                         what);
}

json integerValue(std::string_view text, const YAML::Mark& mark) {
  int base = 10;
  bool negative = false;
  if (text.starts_with("0x") || text.starts_with("0o")) {
    base = text[1] == 'x' ? 16 : 8;
    text.remove_prefix(2);
  } else if (text.front() == '+' || text.front() == '-') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }

  // Parse the magnitude unsigned so that the most negative int64 still fits.
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (ec != std::errc() || end != text.data() + text.size() || magnitude > limit) {
    throwAt(mark, "integer out of range (64 bits); quote it if it is meant as a string");
  }
  if (negative) {
    return magnitude == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min()
                                            : -static_cast<int64_t>(magnitude);
  }
  return static_cast<int64_t>(magnitude);
}

json floatValue(std::string_view text) {
  bool negative = text.front() == '-';
  std::string_view unsignedText = text;
  if (text.front() == '+' || text.front() == '-') {
    unsignedText.remove_prefix(1);
  }
  if (unsignedText.starts_with(".") && (unsignedText[1] == 'n' || unsignedText[1] == 'N')) {
    return std::nan("");
  }
  if (unsignedText.starts_with(".") && (unsignedText[1] == 'i' || unsignedText[1] == 'I')) {
    return negative ? -HUGE_VAL : HUGE_VAL;
  }
  double value = 0;
  std::from_chars(unsignedText.data(), unsignedText.data() + unsignedText.size(), value);
  return negative ? -value : value;
}

json plainValue(const std::string& text, const YAML::Mark& mark) {
  switch (classifyPlainScalar(text)) {
    case PlainScalarKind::Null:
      return nullptr;
    case PlainScalarKind::Bool:
      return text[0] == 't' || text[0] == 'T';
    case PlainScalarKind::Int:
      return integerValue(text, mark);
    case PlainScalarKind::Float:
      return floatValue(text);
    case PlainScalarKind::String:
      break;
  }
  return text;
}

// A scalar with an explicit core-schema tag (`!!str 1`, `!!int "3"`).
json taggedValue(const std::string& tag, const std::string& text, const YAML::Mark& mark) {
  std::string_view name = std::string_view(tag).substr(kTagPrefix.size());
  PlainScalarKind kind = classifyPlainScalar(text);
  if (name == "str") {
    return text;
  }
  if (name == "int" && kind == PlainScalarKind::Int) {
    return integerValue(text, mark);
  }
  if (name == "float" && kind == PlainScalarKind::Int) {
    return static_cast<double>(integerValue(text, mark).get<int64_t>());
  }
  if (name == "float" && kind == PlainScalarKind::Float) {
    return floatValue(text);
  }
  if (name == "bool" && kind == PlainScalarKind::Bool) {
    return plainValue(text, mark);
  }
  if (name == "null" && kind == PlainScalarKind::Null) {
    return nullptr;
  }
  throwAt(mark, "the value does not match its tag !!" + std::string(name));
}

// Turns a yaml-cpp node tree into JSON, counting nodes against the limits above.
class Converter {
 public:
  json convert(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth) {
      throwAt(node.Mark(), "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (++nodes_ > kMaxNodes) {
      throwAt(node.Mark(), "more than " + std::to_string(kMaxNodes) + " values (aliases count)");
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence:
        return sequence(node, depth);
      case YAML::NodeType::Map:
        return mapping(node, depth);
      case YAML::NodeType::Undefined:
        break;
    }
    throwAt(node.Mark(), "unexpected node");
  }

 private:
  static json scalar(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    if (!isValidUtf8(text)) {
      throwAt(node.Mark(), "text is not valid UTF-8");
    }
    const std::string& tag = node.Tag();
    if (tag == "?") {
      return plainValue(text, node.Mark());
    }
    if (tag == "!") {  // quoted or block scalar: always a string
      return text;
    }
    if (tag.starts_with(kTagPrefix)) {
      return taggedValue(tag, text, node.Mark());
    }
    throwAt(node.Mark(), "unsupported tag " + tag + "; remove it");
  }

  json sequence(const YAML::Node& node, int depth) {
    json out = json::array();
    for (const YAML::Node& element : node) {
      out.push_back(convert(element, depth + 1));
    }
    return out;
  }

  json mapping(const YAML::Node& node, int depth) {
    json out = json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies, not references: the iterator hands out a temporary pair. Nodes are handles.
      YAML::Node key = it->first;
      YAML::Node value = it->second;
      if (!key.IsScalar()) {
        throwAt(key.Mark(), "mapping keys must be plain strings");
      }
      if (!isValidUtf8(key.Scalar())) {
        throwAt(key.Mark(), "text is not valid UTF-8");
      }
      // yaml-cpp keeps duplicate keys; Kubernetes strict decoding rejects them, and so do we.
      if (out.contains(key.Scalar())) {
        throwAt(key.Mark(), "duplicate key \"" + key.Scalar() + "\"");
      }
      out[key.Scalar()] = convert(value, depth + 1);
    }
    return out;
  }

  size_t nodes_ = 0;
};

std::string spaces(int count) {
  return std::string(static_cast<size_t>(count), ' ');
}

// Writes block-style YAML. Collections under a key start on the next line, indented by two;
// sequences are indented under their key as well, the way most hand-written manifests are.
class YamlWriter {
 public:
  std::string write(const ordered_json& document) {
    if (isNonEmptyCollection(document)) {
      writeCollection(document, 0, /*firstLineStarted=*/false);
    } else {
      writeValue(document, 2);
    }
    return std::move(out_);
  }

 private:
  static bool isNonEmptyCollection(const ordered_json& value) {
    return (value.is_object() || value.is_array()) && !value.empty();
  }

  void writeCollection(const ordered_json& value, int indent, bool firstLineStarted) {
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!first || !firstLineStarted) {
        out_ += spaces(indent);
      }
      first = false;
      if (value.is_object()) {
        out_ += emitKey(it.key()) + ":";
        writeChild(*it, indent);
      } else if (isNonEmptyCollection(*it)) {
        // "- name: x": a collection in a list starts on the dash's line.
        out_ += "- ";
        writeCollection(*it, indent + 2, /*firstLineStarted=*/true);
      } else {
        out_ += "-";
        writeChild(*it, indent);
      }
    }
  }

  // The value after "key:" or "-" at column `indent`.
  void writeChild(const ordered_json& value, int indent) {
    if (isNonEmptyCollection(value)) {
      out_ += "\n";
      writeCollection(value, indent + 2, /*firstLineStarted=*/false);
    } else {
      out_ += " ";
      writeValue(value, indent + 2);
    }
  }

  // A scalar or an empty collection; block scalars put their lines at `contentIndent`.
  void writeValue(const ordered_json& value, int contentIndent) {
    if (value.is_string() && canBeLiteralBlock(value.get_ref<const std::string&>())) {
      writeLiteralBlock(value.get_ref<const std::string&>(), contentIndent);
      return;
    }
    out_ += inlineScalar(value);
    out_ += "\n";
  }

  void writeLiteralBlock(const std::string& text, int contentIndent) {
    size_t bodyEnd = text.find_last_not_of('\n') + 1;
    size_t trailingNewlines = text.size() - bodyEnd;
    // Chomping indicator: strip (no final newline), clip (one), keep (several).
    out_ += trailingNewlines == 0 ? "|-\n" : trailingNewlines == 1 ? "|\n" : "|+\n";

    size_t start = 0;
    while (start <= bodyEnd) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos || end > bodyEnd) {
        end = bodyEnd;
      }
      if (end > start) {
        out_ += spaces(contentIndent);
        out_.append(text, start, end - start);
      }
      out_ += "\n";
      start = end + 1;
    }
    for (size_t i = 1; i < trailingNewlines; ++i) {
      out_ += "\n";
    }
  }

  static std::string emitKey(const std::string& key) {
    return canBePlainScalar(key) ? key : doubleQuoted(key);
  }

  static std::string inlineScalar(const ordered_json& value) {
    switch (value.type()) {
      case ordered_json::value_t::null:
        return "null";
      case ordered_json::value_t::string: {
        const std::string& text = value.get_ref<const std::string&>();
        return canBePlainScalar(text) ? text : doubleQuoted(text);
      }
      case ordered_json::value_t::number_float:
        return floatText(value.get<double>());
      case ordered_json::value_t::object:
        return "{}";
      case ordered_json::value_t::array:
        return "[]";
      default:  // booleans and integers print the same in YAML as in JSON
        return value.dump();
    }
  }

  static std::string floatText(double value) {
    if (std::isnan(value)) {
      return ".nan";
    }
    if (std::isinf(value)) {
      return value < 0 ? "-.inf" : ".inf";
    }
    // nlohmann prints the shortest text that reads back exactly, always with '.' or 'e'.
    return ordered_json(value).dump();
  }

  std::string out_;
};

std::string stripBom(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  return std::string(text);
}

// nlohmann::json keeps the last of two equal keys; strict decoding must reject them instead.
json parseJson(const std::string& text) {
  std::vector<std::set<std::string>> openObjects;
  std::string duplicate;
  auto track = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      openObjects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      openObjects.pop_back();
    } else if (event == json::parse_event_t::key && !openObjects.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!openObjects.back().insert(key).second && duplicate.empty()) {
        duplicate = key;
      }
    }
    return true;
  };

  json document;
  try {
    document = json::parse(text, track);
  } catch (const json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at line L, column C: ...".
    std::string message = e.what();
    size_t at = message.find("parse error at ");
    message = at == std::string::npos ? ": " + message : " " + message.substr(at + 12);
    // The library quotes the text it last read, which may be a secret value: cut it off.
    message = message.substr(0, message.find("; last read:"));
    throw Error(ErrorCode::BadRequest, "invalid JSON" + message);
  }
  if (!duplicate.empty()) {
    throw Error(ErrorCode::BadRequest, "invalid JSON: duplicate key \"" + duplicate +
                                           "\"; each field may appear once per object");
  }
  return document;
}

// Takes a document's events and keeps none of them.
class DocumentSkipper : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

size_t documentMarkers(const std::string& yaml) {
  size_t markers = 0;
  size_t line = 0;
  while (line < yaml.size()) {
    markers += yaml.compare(line, 3, "---") == 0 || yaml.compare(line, 3, "...") == 0;
    const size_t end = yaml.find('\n', line);
    line = end == std::string::npos ? yaml.size() : end + 1;
  }
  return markers;
}

// yaml-cpp 0.7 reads some malformed text (a ',' at the start of a document) as an endless run
// of empty documents, and LoadAll() keeps them all until memory runs out: two bytes (",O") in
// a Dataflow's chartValues took waxd past 20 GB. Every document after the first starts after a
// "---" or "..." line, so a stream with more documents than that is such a run.
void checkDocumentsEnd(const std::string& yaml) {
  const size_t most = documentMarkers(yaml) + 1;
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentSkipper skipper;
  for (size_t documents = 1; parser.HandleNextDocument(skipper); ++documents) {
    if (documents > most) {
      throw Error(ErrorCode::BadRequest,
                  "invalid YAML: the parser cannot get past the start of a document; look for a "
                  "',' outside [ ] or { }");
    }
  }
}

}  // namespace

std::vector<json> yamlToJsonDocuments(std::string_view yaml) {
  std::vector<YAML::Node> nodes;
  try {
    checkDocumentsEnd(std::string(yaml));
    nodes = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throwAt(e.mark, e.msg);
  }

  std::vector<json> documents;
  for (const YAML::Node& node : nodes) {
    if (node.IsNull()) {
      continue;  // "---" at the end, or a document of comments only
    }
    documents.push_back(Converter().convert(node, 0));
  }
  return documents;
}

json yamlToJson(std::string_view yaml) {
  std::vector<json> documents = yamlToJsonDocuments(yaml);
  if (documents.empty()) {
    return nullptr;
  }
  if (documents.size() > 1) {
    throw Error(ErrorCode::BadRequest, "found " + std::to_string(documents.size()) +
                                           " YAML documents; pass one at a time");
  }
  return std::move(documents.front());
}

std::string jsonToYaml(const json& document) {
  return YamlWriter().write(toOrderedJson(document));
}

json parseManifest(std::string_view text) {
  std::string input = stripBom(text);
  size_t first = input.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && input[first] == '{') {
    return parseJson(input);
  }

  std::vector<json> documents = yamlToJsonDocuments(input);
  if (documents.empty()) {
    throw Error(ErrorCode::BadRequest,
                "the manifest is empty: pass one Dataflow manifest in YAML or JSON");
  }
  if (documents.size() > 1) {
    throw Error(ErrorCode::BadRequest, "the manifest holds " + std::to_string(documents.size()) +
                                           " YAML documents; pass one Dataflow manifest at a time");
  }
  return std::move(documents.front());
}

}  // namespace wax::core
