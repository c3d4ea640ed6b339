#include "operator/work_queue.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace wax::operator_ {
namespace {

using std::chrono::milliseconds;

TEST(WorkQueueTest, KeyAddedTwiceWaitsOnce) {
  WorkQueue queue;
  queue.add("default/a");
  queue.add("default/a");
  queue.add("default/b");
  EXPECT_EQ(queue.depth(), 2u);
  EXPECT_EQ(queue.get(), "default/a");
  EXPECT_EQ(queue.get(), "default/b");
}

TEST(WorkQueueTest, KeyAddedWhileProcessingComesBackAfterDone) {
  WorkQueue queue;
  queue.add("k");
  ASSERT_EQ(queue.get(), "k");
  queue.add("k");
  EXPECT_EQ(queue.depth(), 0u) << "a key being processed must not be handed out again";
  queue.done("k");
  EXPECT_EQ(queue.depth(), 1u);
  EXPECT_EQ(queue.get(), "k");
}

TEST(WorkQueueTest, NeverHandsOneKeyToTwoWorkers) {
  WorkQueue queue;
  std::atomic<int> inFlight{0};
  std::atomic<int> maxInFlight{0};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        const int now = ++inFlight;
        int seen = maxInFlight.load();
        while (now > seen && !maxInFlight.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(milliseconds(1));
        --inFlight;
        ++processed;
        queue.done(*key);
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    queue.add("same");
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::this_thread::sleep_for(milliseconds(50));
  queue.shutdown();
  for (auto& worker : workers) {
    worker.join();
  }
  EXPECT_EQ(maxInFlight.load(), 1);
  EXPECT_GT(processed.load(), 1);
}

TEST(WorkQueueTest, RateLimitedBackoffDoublesAndForgetResets) {
  WorkQueue queue(BackoffOptions{milliseconds(20), milliseconds(1000)});
  auto timeToGet = [&queue] {
    const auto start = std::chrono::steady_clock::now();
    auto key = queue.get();
    queue.done(*key);
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  };
  queue.addRateLimited("k");
  const auto first = timeToGet();
  queue.addRateLimited("k");
  const auto second = timeToGet();
  queue.addRateLimited("k");
  const auto third = timeToGet();
  EXPECT_GE(first.count(), 18);
  EXPECT_GE(second.count(), 38);
  EXPECT_GE(third.count(), 78);
  EXPECT_EQ(queue.failures("k"), 3);
  queue.forget("k");
  EXPECT_EQ(queue.failures("k"), 0);
}

TEST(WorkQueueTest, BackoffIsCappedAtMax) {
  WorkQueue queue(BackoffOptions{milliseconds(10), milliseconds(40)});
  for (int i = 0; i < 10; ++i) {
    queue.addRateLimited("k");
    const auto start = std::chrono::steady_clock::now();
    auto key = queue.get();
    queue.done(*key);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_LT(waited, milliseconds(400)) << "attempt " << i;
  }
}

TEST(WorkQueueTest, ShutdownWakesBlockedGet) {
  WorkQueue queue;
  std::thread waiter([&queue] { EXPECT_FALSE(queue.get().has_value()); });
  std::this_thread::sleep_for(milliseconds(20));
  queue.shutdown();
  waiter.join();
}

TEST(WorkQueueTest, DelayedKeyIsNotDueEarly) {
  WorkQueue queue;
  queue.addAfter("later", milliseconds(60));
  queue.add("now");
  EXPECT_EQ(queue.get(), "now");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(queue.get(), "later");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(40));
}

}  // namespace
}  // namespace wax::operator_
