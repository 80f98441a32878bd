#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "core/metrics_probes.h"

namespace vimur::metrics {
namespace {

TEST(MetricsTest, RendersCountersAndGaugesInTheTextFormat) {
  Registry r;
  r.GetCounter("vimur_x_total", "Things done", {{"source", "a"}}).Add(3);
  r.GetCounter("vimur_x_total", "Things done", {{"source", "b"}}).Add();
  r.GetGauge("vimur_lag_ms", "Lag", {}).Set(250);
  EXPECT_EQ(r.Render(),
            "# HELP vimur_lag_ms Lag\n"
            "# TYPE vimur_lag_ms gauge\n"
            "vimur_lag_ms 250\n"
            "# HELP vimur_x_total Things done\n"
            "# TYPE vimur_x_total counter\n"
            "vimur_x_total{source=\"a\"} 3\n"
            "vimur_x_total{source=\"b\"} 1\n");
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameMetric) {
  Registry r;
  Counter& a = r.GetCounter("c_total", "h", {{"sink", "s"}});
  Counter& b = r.GetCounter("c_total", "h", {{"sink", "s"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &r.GetCounter("c_total", "h", {{"sink", "t"}}));
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  Registry r;
  r.GetInfo("pos_info", "a\\b\nc", {{"source", "x\"y"}}, "position").Set("f.000001:4\\\n");
  EXPECT_EQ(r.Render(),
            "# HELP pos_info a\\\\b\\nc\n"
            "# TYPE pos_info gauge\n"
            "pos_info{source=\"x\\\"y\",position=\"f.000001:4\\\\\\n\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  Histogram& h = r.GetHistogram("lag_ms", "Lag", {{"source", "a"}}, {10, 100});
  h.Observe(5);
  h.Observe(10);  // on the bound: in the bucket (le is "less or equal")
  h.Observe(50);
  h.Observe(1000);
  EXPECT_EQ(r.Render(),
            "# HELP lag_ms Lag\n"
            "# TYPE lag_ms histogram\n"
            "lag_ms_bucket{source=\"a\",le=\"10\"} 2\n"
            "lag_ms_bucket{source=\"a\",le=\"100\"} 3\n"
            "lag_ms_bucket{source=\"a\",le=\"+Inf\"} 4\n"
            "lag_ms_sum{source=\"a\"} 1065\n"
            "lag_ms_count{source=\"a\"} 4\n");
}

TEST(MetricsTest, FormatsValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(1.5), "1.5");
  EXPECT_EQ(FormatValue(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(MetricsTest, CountsFromManyThreadsWithoutLoss) {
  Registry r;
  Counter& c = r.GetCounter("c_total", "h", {});
  Histogram& h = r.GetHistogram("h_ms", "h", {}, LagBucketsMs());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        c.Add();
        h.Observe(i % 2000);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000u);
  EXPECT_EQ(h.count(), 400000u);
}

TEST(MetricsTest, ComputedValuesAreReadAtRendering) {
  Registry r;
  double v = 1;
  r.AddComputed("g", "h", {}, false, [&v] { return v; });
  v = 7.25;
  EXPECT_NE(r.Render().find("\ng 7.25\n"), std::string::npos) << r.Render();
}

TEST(MetricsTest, ProcessMetricsComeFromProc) {
  Registry r;
  RegisterProcessMetrics(r);
  const std::string text = r.Render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_start_time_seconds ", "vimur_build_info{version="}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name << "\n" << text;
  }
  const size_t at = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(at, std::string::npos);
  const double rss = std::stod(text.substr(at + 31));
  EXPECT_GT(rss, 1 << 20) << "a running test uses more than 1 MiB";
}

TEST(MetricsTest, ProbesShareTheirMetricsByName) {
  Registry r;
  SourceProbe& a = SourceProbe::For("db", r);
  SourceProbe& b = SourceProbe::For("db", r);
  EXPECT_EQ(&a, &b);
  a.events.Add(5);
  a.up.Set(1);
  SinkProbe::For("s", r).records.Add(2);
  const std::string text = r.Render();
  EXPECT_NE(text.find("vimur_source_events_total{source=\"db\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("vimur_source_up{source=\"db\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vimur_sink_records_total{sink=\"s\"} 2\n"), std::string::npos);
}

}  // namespace
}  // namespace vimur::metrics
