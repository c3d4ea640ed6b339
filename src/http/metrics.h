#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "http/server.h"

// The metrics of an HTTP server, by route template (not path, so that names in paths do not
// make a series each), method and status code.
namespace wax::http {

class HttpMetrics {
 public:
  explicit HttpMetrics(prometheus::Registry& registry);

  // `route` is the pattern that matched, e.g. "/dataflows/{name}", or "" when none did.
  void observe(const std::string& route, const std::string& method, int status, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
};

// GET /metrics: everything in `registry`, in the Prometheus text format.
void registerMetricsRoute(Routes& routes, std::shared_ptr<prometheus::Registry> registry);

}  // namespace wax::http
