#include <gtest/gtest.h>

#include "sim/load/load_device.h"
#include "sim/load/load_options.h"

using xz::sim::LoadMode;
using xz::sim::LoadOptions;
using xz::sim::parse_load_options;

namespace {

TEST(LoadOptions, ParsesEveryKind) {
  LoadOptions o;
  auto err = parse_load_options({"--mode", "barge-in", "--devices", "200", "--rate", "20", "--turns", "3", "--think",
                                 "1500", "--abort-after", "800", "--provider-delay", "200", "--hold-each", "2",
                                 "--spread-hosts", "4", "--raw", "--board-tools", "--label", "bi"},
                                o);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(o.mode, LoadMode::barge_in);
  EXPECT_EQ(o.devices, 200u);
  EXPECT_DOUBLE_EQ(o.rate, 20);
  EXPECT_EQ(o.turns, 3);
  EXPECT_EQ(o.think.count(), 1500);
  EXPECT_EQ(o.abort_after.count(), 800);
  EXPECT_DOUBLE_EQ(o.provider_delay_ms, 200);
  ASSERT_TRUE(o.hold_each_s);
  EXPECT_DOUBLE_EQ(*o.hold_each_s, 2);
  EXPECT_EQ(o.spread_hosts, 4);
  EXPECT_TRUE(o.raw);
  EXPECT_TRUE(o.board_tools);
  EXPECT_EQ(o.label, "bi");
}

TEST(LoadOptions, RejectsBadInputWithAReason) {
  auto error_of = [](std::vector<std::string> args) {
    LoadOptions o;
    auto e = parse_load_options(args, o);
    return e.value_or("");
  };
  EXPECT_EQ(error_of({"--mode", "busy"}), "--mode: 'busy' is not idle, active or barge-in");
  EXPECT_EQ(error_of({"--devices", "ten"}), "--devices: 'ten' is not a whole number");
  EXPECT_EQ(error_of({"--devices", "0"}), "--devices: '0' is outside 1..1000000");
  EXPECT_EQ(error_of({"--devices"}), "--devices needs a value");
  EXPECT_EQ(error_of({"--wobble"}), "unknown option --wobble");
  EXPECT_EQ(error_of({"--url", "http://x/"}), "--url: only ws:// URLs are supported");
  EXPECT_EQ(error_of({"--vad-threshold", "0.2"}), "--vad-threshold-low is above --vad-threshold");
  EXPECT_EQ(error_of({"--say", "  "}), "--say: the utterance is empty");
}

TEST(LoadOptions, SpreadsDevicesOverLoopbackAddresses) {
  EXPECT_EQ(xz::sim::spread_url("ws://127.0.0.1:8000/xiaozhi/v1/", 5, 1), "ws://127.0.0.1:8000/xiaozhi/v1/");
  EXPECT_EQ(xz::sim::spread_url("ws://127.0.0.1:8000/xiaozhi/v1/", 5, 4), "ws://127.0.0.2:8000/xiaozhi/v1/");
  EXPECT_EQ(xz::sim::spread_url("ws://127.0.0.1:8000/xiaozhi/v1/?a=b", 7, 4), "ws://127.0.0.4:8000/xiaozhi/v1/?a=b");
  EXPECT_THROW(xz::sim::spread_url("ws://localhost:8000/", 1, 4), std::invalid_argument);
}

}  // namespace
