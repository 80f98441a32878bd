#include "server/metrics_server.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "core/metrics_probes.h"
#include "http/httplib.h"
#include "server/health.h"
#include "server/metrics_history.h"
#include "server/metrics_text.h"

namespace vimur::server {
namespace {

TEST(MetricsTextTest, ReadsBackWhatTheRegistryRenders) {
  metrics::Registry r;
  r.GetCounter("a_total", "h", {{"source", "s\"1"}}).Add(42);
  r.GetInfo("p_info", "h", {{"source", "s"}}, "position").Set("gtid 0-1-5, row\\2\nx");
  r.GetHistogram("l_ms", "h", {}, {10}).Observe(3);
  auto samples = ParseMetricsText(r.Render());
  ASSERT_TRUE(samples.ok()) << samples.status().ToString();
  ASSERT_EQ(samples->size(), 6u);
  EXPECT_EQ((*samples)[0].name, "a_total");
  EXPECT_EQ((*samples)[0].Label("source"), "s\"1");
  EXPECT_EQ((*samples)[0].value, 42);
  EXPECT_EQ((*samples)[1].name, "l_ms_bucket");
  EXPECT_EQ((*samples)[1].Label("le"), "10");
  EXPECT_EQ((*samples)[2].Label("le"), "+Inf");
  EXPECT_EQ((*samples)[5].Label("position"), "gtid 0-1-5, row\\2\nx");
}

TEST(MetricsTextTest, NamesTheBadLine) {
  auto bad = ParseMetricsText("# HELP a h\na 1\nb{x=\"1} 2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ParseMetricsText("a one\n").ok());
}

TEST(HealthTest, NamesWhatIsNotRunning) {
  metrics::Registry r;
  metrics::SourceProbe::For("db", r).up.Set(1);
  metrics::SinkProbe::For("copy", r).up.Set(1);
  EXPECT_TRUE(CheckHealth(r).healthy);
  EXPECT_EQ(CheckHealth(r).Text(), "ok\n");
  metrics::SourceProbe::For("db", r).up.Set(0);
  Health h = CheckHealth(r);
  EXPECT_FALSE(h.healthy);
  EXPECT_EQ(h.Text(), "source db is not running\n");
}

TEST(HealthTest, AHighAvailabilityStandbyRunsNoSourcesAndIsHealthy) {
  metrics::Registry r;
  metrics::SourceProbe::For("db", r).up.Set(0);
  metrics::SinkProbe::For("copy", r).up.Set(1);
  metrics::Gauge& owner = r.GetGauge("vimur_ha_owner", "owner", {{"unit", "sources"}});
  owner.Set(0);
  Health standby = CheckHealth(r);
  EXPECT_TRUE(standby.healthy);
  EXPECT_EQ(standby.Text(), "ok (standby: the sources run in another process)\n");
  owner.Set(1);  // the owner: its sources must run
  EXPECT_FALSE(CheckHealth(r).healthy);
  metrics::SinkProbe::For("copy", r).up.Set(0);
  owner.Set(0);  // a standby's sinks must run
  EXPECT_EQ(CheckHealth(r).Text(), "sink copy is not running\n");
}

TEST(MetricsServerTest, ServesMetricsAndHealth) {
  metrics::Registry r;
  metrics::SourceProbe& probe = metrics::SourceProbe::For("db", r);
  probe.events.Add(12);
  probe.up.Set(1);
  MetricsServer server(r);
  ASSERT_TRUE(server.Start("127.0.0.1:0", false).ok());
  httplib::Client client("127.0.0.1", server.port());
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics->body.find("vimur_source_events_total{source=\"db\"} 12\n"), std::string::npos);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  probe.up.Set(0);
  health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "source db is not running\n");
  EXPECT_EQ(client.Get("/nothing")->status, 404);
  server.Stop();
}

TEST(MetricsServerTest, RefusesANonLoopbackAddressUnlessAllowed) {
  metrics::Registry r;
  MetricsServer server(r);
  Status s = server.Start("0.0.0.0:0", false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("metrics_allow_remote: true"), std::string::npos) << s.message();
  EXPECT_FALSE(server.Start("127.0.0.1:http", false).ok());
  MetricsServer remote(r);
  ASSERT_TRUE(remote.Start("0.0.0.0:0", true).ok());
  remote.Stop();
}

TEST(MetricsServerTest, LoopbackAddresses) {
  EXPECT_TRUE(http::IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(http::IsLoopbackHost("127.3.2.1"));
  EXPECT_TRUE(http::IsLoopbackHost("::1"));
  EXPECT_TRUE(http::IsLoopbackHost("localhost"));
  EXPECT_FALSE(http::IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(http::IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(http::IsLoopbackHost("::"));
  EXPECT_FALSE(http::IsLoopbackHost("example.org"));
}

TEST(MetricsServerTest, BasicAuthHeader) {
  // RFC 7617's example: Aladdin / open sesame.
  EXPECT_TRUE(
      http::BasicAuthMatches("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"));
  EXPECT_FALSE(http::BasicAuthMatches("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open"));
  EXPECT_FALSE(http::BasicAuthMatches("", "Aladdin", "open sesame"));
  EXPECT_TRUE(http::BasicAuthMatches("Basic YTpi", "a", "b"));
  EXPECT_TRUE(http::BasicAuthMatches("Basic YWI6Yw==", "ab", "c"));
}

TEST(MetricsServerTest, ServesHttpsWithBasicAuth) {
  const std::string dir = ::testing::TempDir();
  const std::string cert = dir + "vimur-metrics-cert.pem", key = dir + "vimur-metrics-key.pem";
  const std::string make =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
      "/CN=127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  metrics::Registry r;
  metrics::SourceProbe::For("db", r).events.Add(3);
  MetricsServer server(r, {cert, key, "ops", "pa:ss", ""});
  ASSERT_TRUE(server.Start("127.0.0.1:0", false).ok());
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port());

  httplib::Client plain("127.0.0.1", server.port());  // HTTP to an HTTPS port
  EXPECT_FALSE(plain.Get("/metrics"));
  httplib::Client anonymous(base);
  anonymous.set_ca_cert_path(cert.c_str());
  auto refused = anonymous.Get("/metrics");
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->body.find("vimur_source"), std::string::npos);
  httplib::Client wrong(base);
  wrong.set_ca_cert_path(cert.c_str());
  wrong.set_basic_auth("ops", "pa:sS");
  EXPECT_EQ(wrong.Get("/metrics")->status, 401);
  httplib::Client ops(base);
  ops.set_ca_cert_path(cert.c_str());  // verifies the certificate
  ops.set_basic_auth("ops", "pa:ss");
  auto metrics = ops.Get("/metrics");
  ASSERT_TRUE(metrics) << httplib::to_string(metrics.error());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("vimur_source_events_total{source=\"db\"} 3"), std::string::npos)
      << metrics->body;
  server.Stop();

  MetricsServer broken(r, {dir + "missing.pem", key, "", "", ""});
  Status s = broken.Start("127.0.0.1:0", false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing.pem"), std::string::npos) << s.message();
}

TEST(MetricsHistoryTest, KeepsTheChartedSeriesForAnHour) {
  metrics::Registry r;
  metrics::SourceProbe& source = metrics::SourceProbe::For("db", r);
  metrics::SinkProbe& sink = metrics::SinkProbe::For("copy", r);
  MetricsHistory history(r, 1200);  // 3 samples kept
  for (int i = 1; i <= 4; ++i) {
    source.events.Add(10);
    sink.records.Add(i);
    history.Sample(1000.0 * i);
  }
  auto json = nlohmann::json::parse(history.Json());
  EXPECT_EQ(json["interval_s"], 1200);
  ASSERT_EQ(json["samples"].size(), 3u);  // the oldest dropped
  EXPECT_EQ(json["samples"][0]["t"], 2000.0);
  EXPECT_EQ(json["samples"][2]["series"]["source/db/events"], 40);
  EXPECT_EQ(json["samples"][2]["series"]["sink/copy/records"], 10);
  EXPECT_TRUE(json["samples"][2]["series"].contains("source/db/lag_ms"));
}

TEST(MetricsServerTest, ServesTheStatusPageAndItsHistory) {
  metrics::Registry r;
  metrics::SourceProbe::For("db", r).events.Add(5);
  MetricsServer server(r);
  ASSERT_TRUE(server.Start("127.0.0.1:0", false).ok());
  httplib::Client client("127.0.0.1", server.port());
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("fetch(\"/metrics\")"), std::string::npos);
  auto history = client.Get("/history.json");
  ASSERT_TRUE(history);
  auto json = nlohmann::json::parse(history->body);
  ASSERT_GE(json["samples"].size(), 1u);  // one taken at start
  EXPECT_EQ(json["samples"][0]["series"]["source/db/events"], 5);
  server.Stop();
}

}  // namespace
}  // namespace vimur::server
