#include "kube/events.h"

#include <ctime>

#include <fmt/format.h>

namespace wax::kube {

using nlohmann::json;

json objectReference(const json& object) {
  json reference = json::object();
  auto copy = [&](const char* from, const char* to) {
    auto pointer = json::json_pointer(from);
    if (object.contains(pointer) && object[pointer].is_string()) {
      reference[to] = object[pointer];
    }
  };
  copy("/apiVersion", "apiVersion");
  copy("/kind", "kind");
  copy("/metadata/namespace", "namespace");
  copy("/metadata/name", "name");
  copy("/metadata/uid", "uid");
  copy("/metadata/resourceVersion", "resourceVersion");
  return reference;
}

std::string capUtf8(std::string_view text, size_t max) {
  if (text.size() <= max) {
    return std::string(text);
  }
  size_t end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

std::string formatMicroTime(std::chrono::system_clock::time_point time) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}Z", buffer, micros % 1000000);
}

EventRecorder::EventRecorder(Client& client, std::string controller, std::string instance)
    : client_(client), controller_(std::move(controller)), instance_(std::move(instance)) {}

json EventRecorder::build(const json& regarding, const EventRecord& record,
                          std::chrono::system_clock::time_point now) const {
  json reference = objectReference(regarding);
  std::string ns = reference.value("namespace", std::string("default"));
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  // client-go's naming: unique per object and instant, and readable in `kubectl get events`.
  std::string name =
      fmt::format("{}.{:x}", reference.value("name", std::string("object")), nanos.count());
  return json{{"apiVersion", "events.k8s.io/v1"},
              {"kind", "Event"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"eventTime", formatMicroTime(now)},
              {"reportingController", controller_},
              {"reportingInstance", instance_},
              {"action", record.action},
              {"reason", record.reason},
              {"type", record.type},
              {"note", capUtf8(record.note, kMaxEventNote)},
              {"regarding", reference}};
}

json EventRecorder::record(const json& regarding, const EventRecord& record) {
  return client_.create(resources::kEvents,
                        build(regarding, record, std::chrono::system_clock::now()));
}

}  // namespace wax::kube
