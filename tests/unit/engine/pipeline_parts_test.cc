// Configuration the built parts would silently ignore is refused where they are built.
#include <gtest/gtest.h>

#include "engine/pipeline.h"

namespace vimur {
namespace {

PipelineConfig StdoutConfig() {
  PipelineConfig config;
  config.name = "p";
  config.state_dir = testing::TempDir();
  SourceConfig s;
  s.name = "db";
  s.type = "mysql";
  s.topic_prefix = "p";
  config.sources.push_back(s);
  config.transport.type = "stdout";
  config.format.type = "json";
  return config;
}

TEST(PipelinePartsTest, StdoutBuildsWithItsFileOffsetStore) {
  auto parts = BuildPipelineParts(StdoutConfig());
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_TRUE(parts->transport->TakesJsonLines());
  EXPECT_FALSE(parts->transport->offsets().WrittenWithBatches());
}

// Regression (issue 9): exactly_once with the stdout transport was accepted and ignored.
TEST(PipelinePartsTest, ExactlyOnceWithStdoutIsRefused) {
  PipelineConfig config = StdoutConfig();
  config.transport.exactly_once = true;
  auto parts = BuildPipelineParts(config);
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parts.status().message().find("exactly_once"), std::string::npos);
}

}  // namespace
}  // namespace vimur
