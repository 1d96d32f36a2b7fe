#include <gtest/gtest.h>

#include "apps/cli.h"

using xz::apps::CliOptions;
using xz::apps::parse_cli;

namespace {
std::optional<std::string> parse(std::vector<const char*> args, CliOptions& o) {
  args.insert(args.begin(), "xiaozhi-server");
  return parse_cli(static_cast<int>(args.size()), args.data(), o);
}
}  // namespace

TEST(Cli, OptionsBecomeConfigOverrides) {
  CliOptions o;
  ASSERT_FALSE(parse({"--config", "x.yaml", "--port=9000", "--http-port", "9001", "--io-threads", "3",
                      "--workers", "4", "--log-level", "debug", "--check-config"},
                     o));
  EXPECT_EQ(o.config_path.value_or(""), "x.yaml");
  EXPECT_TRUE(o.check_config);
  ASSERT_EQ(o.overrides.size(), 5u);
  EXPECT_EQ(o.overrides[0].first, "server.port");
  EXPECT_EQ(o.overrides[0].second, 9000);
  EXPECT_EQ(o.overrides[1].first, "server.http_port");
  EXPECT_EQ(o.overrides[2].first, "server.io_threads");
  EXPECT_EQ(o.overrides[3].first, "server.workers");
  EXPECT_EQ(o.overrides[4].first, "log.log_level");
  EXPECT_EQ(o.overrides[4].second, "debug");
}

TEST(Cli, BadValuesAreErrors) {
  CliOptions o;
  EXPECT_TRUE(parse({"--port", "eighty"}, o).has_value());
  CliOptions o2;
  EXPECT_TRUE(parse({"--workers"}, o2).has_value());
  CliOptions o3;
  EXPECT_TRUE(parse({"--frobnicate"}, o3).has_value());
}

TEST(Cli, SubCommandsKeepTheirArguments) {
  CliOptions o;
  ASSERT_FALSE(parse({"history", "aa:bb", "--limit", "5"}, o));
  EXPECT_EQ(o.command, (std::vector<std::string>{"history", "aa:bb", "--limit", "5"}));
}
