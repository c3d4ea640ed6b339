#include "cluster/kube_events.h"

#include "common/logging.h"
#include "core/codec.h"

namespace wax::cluster {

namespace {

std::shared_ptr<spdlog::logger> log() {
  return logger("events");
}

}  // namespace

KubeEventRecorder::KubeEventRecorder(kube::Client& client, std::string instance,
                                     std::function<bool()> busy)
    : recorder_(client, "bytewax.io/wax-operator", std::move(instance)),
      busy_(std::move(busy)),
      sender_([this] { sendLoop(); }) {}

KubeEventRecorder::~KubeEventRecorder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  sender_.join();
}

void KubeEventRecorder::record(const core::Dataflow& dataflow,
                               const operator_::Event& event) noexcept {
  try {
    Pending pending;
    pending.record.type = event.warning ? "Warning" : "Normal";
    pending.record.reason = event.reason;
    pending.record.action = "Reconcile";
    // The controller has already taken the spec's secrets out; the cap is the API server's.
    pending.record.note = event.message;
    pending.regarding = core::toJson(dataflow);
    pending.since = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    if (pending_.size() >= kMaxPending) {
      if (dropped_++ % 100 == 0) {
        log()->warn(
            "the API server takes events more slowly than they come; dropped={} "
            "dataflow={}/{} reason={}",
            dropped_, dataflow.metadata.namespace_, dataflow.metadata.name, event.reason);
      }
      return;
    }
    pending_.push_back(std::move(pending));
    wake_.notify_one();
  } catch (const std::exception& error) {
    log()->warn("cannot record an event dataflow={}/{} reason={} error={}",
                dataflow.metadata.namespace_, dataflow.metadata.name, event.reason, error.what());
  }
}

void KubeEventRecorder::sendLoop() {
  std::optional<std::chrono::steady_clock::time_point> giveUpAt;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_ && !giveUpAt) {
      giveUpAt = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
    if (pending_.empty() || (giveUpAt && std::chrono::steady_clock::now() >= *giveUpAt)) {
      if (!pending_.empty()) {
        log()->warn("stopping with events unsent dropped={}", pending_.size());
      }
      if (stopping_) {
        return;
      }
      continue;
    }
    if (!stopping_ && busy_ &&
        std::chrono::steady_clock::now() - pending_.front().since < kPatience && busy_()) {
      wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
      continue;
    }
    Pending next = std::move(pending_.front());
    pending_.pop_front();
    lock.unlock();
    send(next);
    lock.lock();
  }
}

void KubeEventRecorder::send(const Pending& pending) noexcept {
  try {
    recorder_.record(pending.regarding, pending.record);
  } catch (const std::exception& error) {
    const auto& metadata = pending.regarding.at("metadata");
    log()->warn("cannot record an event dataflow={}/{} reason={} error={}",
                metadata.value("namespace", ""), metadata.value("name", ""), pending.record.reason,
                error.what());
  }
}

}  // namespace wax::cluster
