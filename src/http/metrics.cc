#include "http/metrics.h"

#include <prometheus/text_serializer.h>

namespace wax::http {

namespace {

// From 1 ms to 10 s: a list served from a cache takes about a millisecond, a change that goes
// to the Kubernetes API tens of them.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A method outside this set would make a series for each made-up name a client sends.
std::string knownMethod(const std::string& method) {
  for (const char* known : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}) {
    if (method == known) {
      return method;
    }
  }
  return "other";
}

}  // namespace

HttpMetrics::HttpMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("wax_http_requests_total")
                    .Help("HTTP requests answered, by route template, method and status code")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("wax_http_request_duration_seconds")
                     .Help("Time to answer an HTTP request (to the first byte of a stream)")
                     .Register(registry)) {}

void HttpMetrics::observe(const std::string& route, const std::string& method, int status,
                          double seconds) {
  const std::string routeLabel = route.empty() ? "unmatched" : route;
  const std::string methodLabel = knownMethod(method);
  requests_.Add({{"route", routeLabel}, {"method", methodLabel}, {"code", std::to_string(status)}})
      .Increment();
  durations_.Add({{"route", routeLabel}, {"method", methodLabel}}, kDurationBuckets)
      .Observe(seconds);
}

void registerMetricsRoute(Routes& routes, std::shared_ptr<prometheus::Registry> registry) {
  routes.route("GET", "/metrics", [registry](const Request&) {
    Response response;
    response.contentType = "text/plain; version=0.0.4; charset=utf-8";
    response.body = prometheus::TextSerializer().Serialize(registry->Collect());
    return response;
  });
}

}  // namespace wax::http
