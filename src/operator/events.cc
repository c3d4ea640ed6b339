#include "operator/events.h"

#include <vector>

#include "operator/status.h"

namespace wax::operator_ {

namespace {

const core::Condition* findCondition(const core::DataflowStatus& status, const char* type) {
  for (const auto& condition : status.conditions) {
    if (condition.type == type) {
      return &condition;
    }
  }
  return nullptr;
}

// The values in a spec that must never be shown: inline tokens and keys.
std::vector<std::string> secretValues(const core::DataflowSpec& spec) {
  std::vector<std::string> values;
  auto add = [&](const std::optional<std::string>& value) {
    if (value && !value->empty()) {
      values.push_back(*value);
    }
  };
  if (spec.artifactsDownload) {
    add(spec.artifactsDownload->token);
  }
  if (spec.recovery && spec.recovery->cloudBackup && spec.recovery->cloudBackup->s3) {
    add(spec.recovery->cloudBackup->s3->accessKeyId);
    add(spec.recovery->cloudBackup->s3->secretAccessKey);
  }
  return values;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
void truncateUtf8(std::string& text, size_t limit) {
  if (text.size() <= limit) {
    return;
  }
  const std::string ellipsis = "...";
  size_t cut = limit - ellipsis.size();
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;  // text[cut] continues a character: cut before that character starts
  }
  text.resize(cut);
  text += ellipsis;
}

}  // namespace

std::string sanitizeEventMessage(const core::Dataflow& dataflow, std::string message) {
  for (const auto& secret : secretValues(dataflow.spec)) {
    replaceAll(message, secret, "<redacted>");
  }
  truncateUtf8(message, kMaxEventMessageBytes);
  return message;
}

std::optional<Event> eventForTransition(const core::Dataflow& dataflow,
                                        const std::optional<core::DataflowStatus>& before,
                                        const core::DataflowStatus& after) {
  const core::Condition* now = findCondition(after, kReady);
  if (now == nullptr) {
    return std::nullopt;
  }
  const core::Condition* previous = before ? findCondition(*before, kReady) : nullptr;
  if (previous != nullptr && previous->reason == now->reason) {
    return std::nullopt;
  }
  // Every dataflow is Pending when it is new: an event would say only that it was created.
  if (previous == nullptr && now->reason == "Pending") {
    return std::nullopt;
  }
  const core::Condition* degraded = findCondition(after, kDegraded);
  Event event;
  event.warning = degraded != nullptr && degraded->status == "True";
  event.reason = now->reason;
  event.message = sanitizeEventMessage(dataflow, now->message);
  return event;
}

}  // namespace wax::operator_
