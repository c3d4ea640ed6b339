#pragma once

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/sqlite_store.h"

// Shared fixtures for the store tests: a temporary directory, a settable clock and object
// builders.
namespace wax::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/wax-store-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A clock the test moves by hand, so timestamps are predictable.
class FakeClock {
 public:
  std::chrono::system_clock::time_point now() const { return now_.load(); }
  void set(std::chrono::system_clock::time_point time) { now_ = time; }
  void advance(std::chrono::seconds by) { now_ = now_.load() + by; }

 private:
  // 2026-12-03T18:00:00Z
  std::atomic<std::chrono::system_clock::time_point> now_{
      std::chrono::system_clock::time_point(std::chrono::seconds(1796320800))};
};

inline nlohmann::json dataflow(const std::string& ns, const std::string& name,
                               const std::string& image = "python:3.12") {
  return {{"apiVersion", "platform.bytewax.io/v1alpha1"},
          {"kind", "Dataflow"},
          {"metadata", {{"namespace", ns}, {"name", name}}},
          {"spec", {{"image", image}, {"processes", 1}}}};
}

inline nlohmann::json secret(const std::string& ns, const std::string& name,
                             const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"namespace", ns}, {"name", name}}},
          {"data", {{"token", value}}}};
}

inline int64_t versionOf(const nlohmann::json& object) {
  return std::stoll(object["metadata"]["resourceVersion"].get<std::string>());
}

inline std::string nameOf(const nlohmann::json& object) {
  return object["metadata"]["name"].get<std::string>();
}

}  // namespace wax::store::testing
