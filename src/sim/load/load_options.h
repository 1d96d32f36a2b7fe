#pragma once
// What `xiaozhi-sim load` runs: how many devices, how they arrive, what each does, and
// the server-side constants the report needs to turn timings into server-added time.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace xz::sim {

enum class LoadMode {
  idle,     // connect, hello, hold the connection
  active,   // K turns in auto mode: speak, wait for the whole reply, think, repeat
  barge_in  // as active, but abort each reply mid-way
};

std::string to_string(LoadMode m);

enum class LoadTransport {
  websocket,  // the WebSocket URL, hello version 1-3
  mqtt        // the OTA answer's `mqtt` block: MQTT login, hello v3/udp, audio over UDP (needs --ota)
};

struct LoadOptions {
  LoadMode mode = LoadMode::idle;
  std::string label;  // scenario name carried into the report
  std::string url = "ws://127.0.0.1:8000/xiaozhi/v1/";
  std::string ota_url;  // "" = no OTA check before connecting
  LoadTransport transport = LoadTransport::websocket;
  int protocol_version = 1;
  std::size_t devices = 10;
  double rate = 100;        // device arrivals per second; 0 = all at once
  int spread_hosts = 1;     // device i connects to 127.0.0.(1 + i % spread_hosts)
  std::size_t loops = 1;    // event-loop threads of the simulator
  bool board_tools = false; // MCP: also list a rich board's tools (two tools/list pages)

  // idle
  double hold_s = 10;                 // hang up this long after every device has settled
  std::optional<double> hold_each_s;  // instead: each device hangs up this long after its hello

  // active / barge-in
  int turns = 3;
  std::string utterance = "What is the weather like today?";
  std::chrono::milliseconds think{2000};          // silence streamed after listen start, before speaking
  // > 0: the utterance's parts (split at '|') are spoken this far apart, a pause inside
  // one sentence (speculative replies: one turn, at most one discarded speculation).
  std::chrono::milliseconds pause{0};
  std::chrono::milliseconds abort_after{1000};    // barge-in: abort this long after the first frame
  std::chrono::milliseconds reply_timeout{30000};
  double provider_delay_ms = 0;  // the fake providers' configured delay before the first audio

  // The server's VAD settings (VAD.SileroVAD), to find where it decides end of speech.
  double vad_threshold = 0.5;
  double vad_threshold_low = 0.3;
  double vad_min_silence_ms = 200;
  std::string vad_model;  // "" = the model fetched by scripts/fetch_assets.sh

  std::string report_path;  // "" = stdout
  bool raw = false;         // include the kept samples of every distribution
};

// Parses the arguments after `load`. Returns an error message, or nullopt when fine.
std::optional<std::string> parse_load_options(const std::vector<std::string>& args, LoadOptions& out);
std::string load_usage();

}  // namespace xz::sim
