#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kube/client.h"

// Kubernetes Events (events.k8s.io/v1) about an object, the way a controller reports what it did
// to the people who read `kubectl describe` or `kubectl events`. Notes are capped at 1 KiB, as
// the API server does, so a long error never makes the event itself fail.
namespace wax::kube {

inline constexpr size_t kMaxEventNote = 1024;

struct EventRecord {
  std::string type = "Normal";  // or "Warning"
  std::string reason;           // CamelCase, from a fixed list, e.g. "ScaledUp"
  std::string action;           // what was done, e.g. "Scale"
  std::string note;             // human-readable; must not carry secrets
};

// An ObjectReference to `object` (apiVersion, kind, namespace, name, uid, resourceVersion).
nlohmann::json objectReference(const nlohmann::json& object);
// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string capUtf8(std::string_view text, size_t max);
// Formats a time as a Kubernetes MicroTime ("2006-01-02T15:04:05.000000Z").
std::string formatMicroTime(std::chrono::system_clock::time_point time);

class EventRecorder {
 public:
  // `controller` is the reportingController (e.g. "bytewax.io/wax-operator"); `instance` is the
  // reportingInstance (e.g. the pod name).
  EventRecorder(Client& client, std::string controller, std::string instance);

  // The Event object that would be created; exposed for tests.
  nlohmann::json build(const nlohmann::json& regarding, const EventRecord& record,
                       std::chrono::system_clock::time_point now) const;
  // Creates the event and returns it. Throws wax::Error like the client.
  nlohmann::json record(const nlohmann::json& regarding, const EventRecord& record);

 private:
  Client& client_;
  std::string controller_;
  std::string instance_;
};

}  // namespace wax::kube
