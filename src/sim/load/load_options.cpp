#include "sim/load/load_options.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>

namespace xz::sim {

std::string to_string(LoadMode m) {
  switch (m) {
    case LoadMode::idle:
      return "idle";
    case LoadMode::active:
      return "active";
    case LoadMode::barge_in:
      return "barge-in";
  }
  return "?";
}

namespace {

std::optional<double> to_number(const std::string& s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

using Setter = std::function<std::optional<std::string>(const std::string&)>;

Setter number(double& out, double lo, double hi) {
  return [&out, lo, hi](const std::string& v) -> std::optional<std::string> {
    auto n = to_number(v);
    if (!n) return "'" + v + "' is not a number";
    if (*n < lo || *n > hi) return "'" + v + "' is outside " + std::to_string(lo) + ".." + std::to_string(hi);
    out = *n;
    return std::nullopt;
  };
}

template <class Int>
Setter integer(Int& out, double lo, double hi) {
  return [&out, lo, hi](const std::string& v) -> std::optional<std::string> {
    auto n = to_number(v);
    if (!n || *n != std::floor(*n)) return "'" + v + "' is not a whole number";
    if (*n < lo || *n > hi) return "'" + v + "' is outside " + std::to_string(static_cast<long long>(lo)) + ".." +
                                   std::to_string(static_cast<long long>(hi));
    out = static_cast<Int>(*n);
    return std::nullopt;
  };
}

Setter millis(std::chrono::milliseconds& out, double hi) {
  return [&out, hi](const std::string& v) -> std::optional<std::string> {
    auto n = to_number(v);
    if (!n || *n < 0 || *n > hi) return "'" + v + "' is not a duration in ms (0.." + std::to_string(static_cast<long long>(hi)) + ")";
    out = std::chrono::milliseconds(static_cast<long long>(*n));
    return std::nullopt;
  };
}

Setter text(std::string& out) {
  return [&out](const std::string& v) -> std::optional<std::string> {
    out = v;
    return std::nullopt;
  };
}

}  // namespace

std::string load_usage() {
  return R"(Usage: xiaozhi-sim load [options]

Many simulated devices in one process, each speaking the firmware's protocol: OTA
check, WebSocket hello with the firmware's headers, MCP answers, Opus uplink at
real-time pace (a flite sentence encoded once, replayed every 60 ms), listen start
in auto mode. Prints (or writes) a JSON report with the raw distributions.

Scenario:
  --mode MODE            idle | active | barge-in (default idle)
  --label NAME           scenario name in the report
  --devices N            simulated devices (default 10)
  --rate R               device arrivals per second, 0 = all at once (default 100)
  --loops N              simulator event-loop threads (default 1)
Connection:
  --url URL              WebSocket URL (default ws://127.0.0.1:8000/xiaozhi/v1/)
  --ota URL              POST the firmware's OTA check before connecting (uses its token)
  --transport T          websocket | mqtt (default websocket); mqtt logs in with the OTA
                         answer's mqtt block (needs --ota), hello v3/udp, audio over UDP;
                         idle mode then holds just the MQTT connection (no hello)
  --protocol N           binary protocol version 1, 2 or 3 (default 1)
  --spread-hosts N       device i connects to 127.0.0.(1 + i % N): more ephemeral ports
  --board-tools          MCP: list a rich board's tools too (two tools/list pages);
                         default: the stock board's common tools (one page)
Idle:
  --hold S               hang up S seconds after every device has connected (default 10)
  --hold-each S          instead, each device hangs up S seconds after its hello
Active and barge-in:
  --turns K              turns per device (default 3)
  --say TEXT             the utterance (default "What is the weather like today?")
  --think MS             silence after listen start before speaking (default 2000)
  --pause MS             speak the parts of --say (split at '|') MS apart: a pause inside the sentence
  --abort-after MS       barge-in: abort MS after the reply's first frame (default 1000)
  --reply-timeout MS     give up on a reply after MS (default 30000)
  --provider-delay MS    the providers' configured delay before first audio (subtracted
                         to give server-added latency)
  --vad-threshold P      the server's VAD.SileroVAD.threshold (default 0.5)
  --vad-threshold-low P  ... threshold_low (default 0.3)
  --vad-silence MS       ... min_silence_duration_ms (default 200)
  --vad-model FILE       Silero model (default: the fetched one)
Output:
  --report FILE          write the JSON report to FILE (default: stdout)
  --raw                  include every kept sample (up to 100000 per distribution)
)";
}

std::optional<std::string> parse_load_options(const std::vector<std::string>& args, LoadOptions& o) {
  std::string mode = to_string(o.mode);
  std::string transport = o.transport == LoadTransport::mqtt ? "mqtt" : "websocket";
  double hold_each = -1;
  std::map<std::string, Setter> with_value = {
      {"--mode", text(mode)},
      {"--label", text(o.label)},
      {"--devices", integer(o.devices, 1, 1'000'000)},
      {"--rate", number(o.rate, 0, 1'000'000)},
      {"--loops", integer(o.loops, 1, 64)},
      {"--url", text(o.url)},
      {"--ota", text(o.ota_url)},
      {"--transport", text(transport)},
      {"--protocol", integer(o.protocol_version, 1, 3)},
      {"--spread-hosts", integer(o.spread_hosts, 1, 254)},
      {"--hold", number(o.hold_s, 0, 86'400)},
      {"--hold-each", number(hold_each, 0, 86'400)},
      {"--turns", integer(o.turns, 1, 100'000)},
      {"--say", text(o.utterance)},
      {"--think", millis(o.think, 600'000)},
      {"--pause", millis(o.pause, 10'000)},
      {"--abort-after", millis(o.abort_after, 600'000)},
      {"--reply-timeout", millis(o.reply_timeout, 3'600'000)},
      {"--provider-delay", number(o.provider_delay_ms, 0, 600'000)},
      {"--vad-threshold", number(o.vad_threshold, 0, 1)},
      {"--vad-threshold-low", number(o.vad_threshold_low, 0, 1)},
      {"--vad-silence", number(o.vad_min_silence_ms, 0, 60'000)},
      {"--vad-model", text(o.vad_model)},
      {"--report", text(o.report_path)},
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--raw" || a == "--board-tools") {
      (a == "--raw" ? o.raw : o.board_tools) = true;
      continue;
    }
    auto it = with_value.find(a);
    if (it == with_value.end()) return "unknown option " + a;
    if (i + 1 >= args.size()) return a + " needs a value";
    if (auto err = it->second(args[++i])) return a + ": " + *err;
  }
  if (mode == "idle") {
    o.mode = LoadMode::idle;
  } else if (mode == "active") {
    o.mode = LoadMode::active;
  } else if (mode == "barge-in") {
    o.mode = LoadMode::barge_in;
  } else {
    return "--mode: '" + mode + "' is not idle, active or barge-in";
  }
  if (transport == "websocket") {
    o.transport = LoadTransport::websocket;
  } else if (transport == "mqtt") {
    o.transport = LoadTransport::mqtt;
    if (o.ota_url.empty()) return "--transport mqtt needs --ota (the MQTT credentials come from the OTA answer)";
  } else {
    return "--transport: '" + transport + "' is not websocket or mqtt";
  }
  if (hold_each >= 0) o.hold_each_s = hold_each;
  if (o.utterance.find_first_not_of(" \t") == std::string::npos) return "--say: the utterance is empty";
  if (o.vad_threshold_low > o.vad_threshold) return "--vad-threshold-low is above --vad-threshold";
  if (o.url.rfind("ws://", 0) != 0) return "--url: only ws:// URLs are supported";
  if (o.label.empty()) o.label = to_string(o.mode);
  return std::nullopt;
}

}  // namespace xz::sim
