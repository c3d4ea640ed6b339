#include "common/logging.h"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>

namespace wax {

void initLogging(const std::string& level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
}

std::shared_ptr<spdlog::logger> logger(const std::string& component) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(component)) {
    return existing;
  }
  auto created =
      std::make_shared<spdlog::logger>(component, spdlog::default_logger()->sinks().begin(),
                                       spdlog::default_logger()->sinks().end());
  created->set_level(spdlog::get_level());
  spdlog::register_logger(created);
  return created;
}

}  // namespace wax
