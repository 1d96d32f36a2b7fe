#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/metrics_text.h"

using xz::core::Metrics;

TEST(Metrics, RendersPrometheusTextFormat) {
  Metrics m;
  m.counter("xz_turns_total", "Turns completed").inc(3);
  m.gauge("xz_queue_depth", "Queued frames", "stage=\"pacer\"").set(7);
  m.gauge_fn("xz_live_sessions", "Live sessions", [] { return 2.0; });
  m.gauge_fn("xz_sessions", "By transport", [] { return 4.0; }, "transport=\"websocket\"");
  m.gauge_fn("xz_sessions", "By transport", [] { return 5.0; }, "transport=\"mqtt\"");
  auto& h = m.histogram("xz_latency_ms", "Latency", {10, 100}, "stage=\"asr\"");
  h.observe(5);
  h.observe(50);
  h.observe(500);
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE xz_turns_total counter\nxz_turns_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_queue_depth{stage=\"pacer\"} 7"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_live_sessions 2"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_sessions{transport=\"websocket\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_sessions{transport=\"mqtt\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_latency_ms_bucket{stage=\"asr\",le=\"10\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_latency_ms_bucket{stage=\"asr\",le=\"100\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_latency_ms_bucket{stage=\"asr\",le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_latency_ms_sum{stage=\"asr\"} 555"), std::string::npos) << text;
  EXPECT_NE(text.find("xz_latency_ms_count{stage=\"asr\"} 3"), std::string::npos) << text;
}

TEST(Metrics, SameNameAndLabelsIsTheSameMetric) {
  Metrics m;
  m.counter("c", "h", "a=\"1\"").inc();
  m.counter("c", "h", "a=\"1\"").inc();
  m.counter("c", "h", "a=\"2\"").inc();
  EXPECT_EQ(m.counter("c", "h", "a=\"1\"").value(), 2u);
  EXPECT_THROW(m.gauge("c", "h"), std::logic_error);
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Metrics m;
  auto& c = m.counter("n", "h");
  auto& h = m.histogram("h", "h", {1});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(2);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.count(), 40000u);
  EXPECT_DOUBLE_EQ(h.sum(), 80000.0);
}

TEST(Metrics, HistogramCountAgreesWithItsBucketsWhileObserved) {
  // A scraper computes "observations above a bound" as _count minus that bucket; an
  // observation landing mid-render must not make the two disagree.
  Metrics m;
  auto& h = m.histogram("lag_ms", "h", {1, 10});
  std::atomic<bool> stop{false};
  std::thread observer([&] {
    while (!stop) h.observe(5);
  });
  auto sample = [](const std::string& text, const std::string& series) {
    return xz::core::metric_sample(text, series).value_or(-1);
  };
  int renders = 0, disagreements = 0;
  // Render for as long as the observer takes to make 200,000 observations.
  while (h.count() < 200'000) {
    auto text = m.render();
    ++renders;
    if (sample(text, "lag_ms_count") != sample(text, "lag_ms_bucket{le=\"+Inf\"}")) ++disagreements;
  }
  stop = true;
  observer.join();
  EXPECT_EQ(disagreements, 0) << "in " << renders << " renders";
}

TEST(MetricsText, ReadsSampleLinesExactly) {
  const std::string text = "# HELP a_count not a sample\na_count_total 9\na_count 4\nb{le=\"5\"} 2.5\nbad x\nlast 7";
  EXPECT_EQ(xz::core::metric_sample(text, "a_count"), 4.0) << "a longer name with the same start is another series";
  EXPECT_EQ(xz::core::metric_sample(text, "b{le=\"5\"}"), 2.5);
  EXPECT_EQ(xz::core::metric_sample(text, "b"), std::nullopt);
  EXPECT_EQ(xz::core::metric_sample(text, "bad"), std::nullopt);
  EXPECT_EQ(xz::core::metric_sample(text, "last"), 7.0) << "the last line needs no newline";
  EXPECT_EQ(xz::core::metric_sample(text, "missing"), std::nullopt);
}

TEST(MetricsText, ReadsWhatRenderWrites) {
  Metrics m;
  m.histogram("h_ms", "h", {5, 20}, "loop=\"0\"").observe(7);
  m.gauge("g", "h").set(1.5);
  auto text = m.render();
  EXPECT_EQ(xz::core::metric_sample(text, "h_ms_bucket{loop=\"0\",le=\"5\"}"), 0.0) << text;
  EXPECT_EQ(xz::core::metric_sample(text, "h_ms_bucket{loop=\"0\",le=\"20\"}"), 1.0) << text;
  EXPECT_EQ(xz::core::metric_sample(text, "h_ms_count{loop=\"0\"}"), 1.0) << text;
  EXPECT_EQ(xz::core::metric_sample(text, "g"), 1.5) << text;
}
