// xiaozhi-sim: a simulated XiaoZhi device on the command line. Checks OTA, connects,
// says hello, then runs the scripted actions (speak a sentence with flite, play a WAV,
// type text, say a wake word) and prints a JSON report of what it saw and when.
// `xiaozhi-sim load` drives many devices at once (the benchmark's load generator);
// `xiaozhi-sim bench-report` turns a benchmark run directory into its report.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "audio/resampler.h"
#include "audio/wav.h"
#include "core/async.h"
#include "core/runtime.h"
#include "providers/tts/flite_tts.h"
#include "sim/load/bench_report.h"
#include "sim/load/load_generator.h"
#include "sim/load/load_options.h"
#include "protocol/mqtt_credentials.h"
#include "sim/mqtt_sim_device.h"
#include "sim/sim_device.h"
#include "version.h"

namespace {

namespace asio = boost::asio;
using xz::sim::Json;

struct Action {
  enum Kind { say, wav, type, wake } kind;
  std::string arg;
};

struct Options {
  std::string url = "ws://127.0.0.1:8000/xiaozhi/v1/";
  std::optional<std::string> ota;
  xz::sim::DeviceProfile profile;
  xz::sim::ConnectOptions connect;
  bool manual = false;
  std::optional<int> abort_after_ms;
  std::vector<Action> actions;
  std::string report_path;
  int timeout_s = 30;
  // --mqtt HOST:PORT with --mqtt-key KEY: MQTT + UDP without an OTA answer, with the
  // credentials the OTA answer would issue.
  std::string mqtt_endpoint, mqtt_key;
};

const char* kUsage = R"(Usage: xiaozhi-sim [options] [actions]
       xiaozhi-sim load [options]            many devices at once (see xiaozhi-sim load --help)
       xiaozhi-sim bench-report RUN_DIR --out PREFIX   the benchmark report of a run directory

A simulated XiaoZhi device speaking the firmware's protocol.

Connection:
  --url URL          WebSocket URL (default ws://127.0.0.1:8000/xiaozhi/v1/)
  --ota URL          POST the OTA check first and use what it returns: its mqtt block
                     (MQTT + UDP, as the firmware prefers it) or its websocket url/token
  --mqtt HOST:PORT   MQTT + UDP without OTA, logging in with credentials signed by
  --mqtt-key KEY     the server's server.mqtt_signature_key
  --device-id MAC    device id (default: random)      --client-id UUID (default: random)
  --protocol N       binary protocol version 1, 2 or 3 (default 1)
  --token TOKEN      Authorization: Bearer TOKEN
  --query            send identity as query parameters (like a browser)
  --frame-ms N       uplink frame duration 20, 40 or 60 (default 60)
  --mqtt-gateway     connect as the MQTT gateway does (?from=mqtt_gateway, 16-byte frames)
Actions (in order, each waits for the reply to end):
  --say TEXT         speak TEXT (synthesized with flite) in auto mode
  --wav FILE         speak a WAV file (any rate, mono or stereo)
  --type TEXT        send TEXT as typed input (listen detect)
  --wake WORD        send a wake word (listen detect)
Behaviour:
  --manual           push-to-talk: listen start/stop around speech
  --abort-after MS   abort each reply MS after its first audio frame
  --timeout S        seconds to wait for each reply (default 30)
  --report FILE      write the JSON report to FILE (default: stdout)
  -h, --help         this help      -v, --version
)";

std::optional<std::string> parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto need = [&](std::string& out) -> bool {
      auto v = value();
      if (!v) return false;
      out = *v;
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (a == "-v" || a == "--version") {
      std::cout << "xiaozhi-sim " << xz::kVersion << "\n";
      std::exit(0);
    } else if (a == "--url") {
      if (!need(o.url)) return a + " needs a URL";
    } else if (a == "--ota") {
      if (!need(v)) return a + " needs a URL";
      o.ota = v;
    } else if (a == "--device-id") {
      if (!need(o.profile.device_id)) return a + " needs a value";
    } else if (a == "--client-id") {
      if (!need(o.profile.client_id)) return a + " needs a value";
    } else if (a == "--protocol" || a == "--frame-ms" || a == "--abort-after" || a == "--timeout") {
      if (!need(v)) return a + " needs a number";
      int n = 0;
      try {
        n = std::stoi(v);
      } catch (const std::exception&) {
        return a + ": '" + v + "' is not a number";
      }
      if (a == "--protocol") o.connect.protocol_version = n;
      if (a == "--frame-ms") o.connect.uplink_frame_ms = n;
      if (a == "--abort-after") o.abort_after_ms = n;
      if (a == "--timeout") o.timeout_s = n;
    } else if (a == "--token") {
      if (!need(o.connect.token)) return a + " needs a value";
    } else if (a == "--query") {
      o.connect.identity_in_query = true;
    } else if (a == "--mqtt") {
      if (!need(o.mqtt_endpoint)) return a + " needs HOST:PORT";
    } else if (a == "--mqtt-key") {
      if (!need(o.mqtt_key)) return a + " needs a value";
    } else if (a == "--mqtt-gateway") {
      o.connect.from_mqtt_gateway = true;
      o.connect.protocol_version = 2;
    } else if (a == "--manual") {
      o.manual = true;
    } else if (a == "--report") {
      if (!need(o.report_path)) return a + " needs a file";
    } else if (a == "--say" || a == "--wav" || a == "--type" || a == "--wake") {
      if (!need(v)) return a + " needs a value";
      Action::Kind k = a == "--say" ? Action::say : a == "--wav" ? Action::wav : a == "--type" ? Action::type : Action::wake;
      o.actions.push_back({k, v});
    } else {
      return "unknown option " + a;
    }
  }
  return std::nullopt;
}

// 16 kHz speech for a sentence, from the same flite engine the server uses.
asio::awaitable<std::vector<std::int16_t>> synthesize(xz::providers::FliteTts& tts, std::string text) {
  std::vector<std::int16_t> pcm;
  xz::providers::PcmSink sink = [&](xz::providers::PcmChunk c) -> asio::awaitable<bool> {
    pcm.insert(pcm.end(), c.samples.begin(), c.samples.end());
    co_return true;
  };
  xz::providers::TtsRequest req{std::move(text), "", ""};
  co_await tts.synthesize(std::move(req), std::move(sink));
  co_return pcm;
}

std::vector<std::int16_t> read_wav_16k(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string error;
  auto wav = xz::audio::parse_wav(bytes, &error);
  if (!wav) throw std::runtime_error(path + ": " + error);
  auto mono = wav->channels == 1 ? wav->samples : xz::audio::downmix_to_mono(wav->samples, wav->channels);
  return xz::audio::resample_once(mono, wav->sample_rate, 16000);
}

// The actions, in order, each waiting for its reply to end; the same for both devices.
template <class Device>
asio::awaitable<void> play(Device& dev, const Options& o, xz::core::Runtime& rt, Json& report) {
  xz::providers::ProviderContext ctx{rt.pool(), "data"};
  std::unique_ptr<xz::providers::FliteTts> tts;
  const auto timeout = std::chrono::seconds(o.timeout_s);
  for (const auto& a : o.actions) {
    std::size_t turns_before = dev.turns().size();
    if (a.kind == Action::type || a.kind == Action::wake) {
      dev.listen_detect(a.arg);
    } else {
      std::vector<std::int16_t> pcm;
      if (a.kind == Action::say) {
        if (!tts) tts = std::make_unique<xz::providers::FliteTts>(xz::providers::EngineConfig::object(), ctx);
        pcm = co_await synthesize(*tts, a.arg);
      } else {
        pcm = read_wav_16k(a.arg);
      }
      dev.listen_start(o.manual ? "manual" : "auto");
      co_await dev.speak(pcm, o.manual ? std::chrono::milliseconds(100) : std::chrono::milliseconds(800));
      if (o.manual) dev.listen_stop();
    }
    if (o.abort_after_ms) {
      if (co_await dev.wait_type("tts", "sentence_start", timeout)) {
        co_await xz::core::sleep_for(std::chrono::milliseconds(*o.abort_after_ms));
        dev.abort();
      }
    }
    auto stop = co_await dev.wait_type("tts", "stop", timeout);
    report["actions"].push_back({{"action", a.kind == Action::say    ? "say"
                                            : a.kind == Action::wav  ? "wav"
                                            : a.kind == Action::type ? "type"
                                                                     : "wake"},
                                 {"input", a.arg},
                                 {"completed", stop.has_value()},
                                 {"new_turns", dev.turns().size() - turns_before}});
  }
}

// MQTT + UDP: one conversation over the device's MQTT connection, ended by its goodbye.
asio::awaitable<Json> run_mqtt(Options o, xz::sim::MqttSettings settings, Json report, xz::core::Runtime& rt) {
  auto ex = co_await asio::this_coro::executor;
  xz::sim::MqttSimDevice dev(ex, o.profile);
  xz::sim::MqttConnectOptions mo;
  mo.mqtt = std::move(settings);
  mo.uplink_frame_ms = o.connect.uplink_frame_ms;
  co_await dev.connect(std::move(mo));
  if (!co_await dev.wait_hello()) throw std::runtime_error("no valid server hello within 10 s");
  co_await play(dev, o, rt, report);
  report["device"] = dev.report();
  report["tools_called"] = Json::array();
  for (const auto& c : dev.mcp().calls()) report["tools_called"].push_back({{"name", c.name}, {"arguments", c.arguments}});
  dev.goodbye();
  co_await dev.disconnect();  // the goodbye is written first
  co_return report;
}

asio::awaitable<Json> run(Options o, xz::core::Runtime& rt) {
  auto ex = co_await asio::this_coro::executor;
  xz::sim::SimDevice dev(ex, o.profile);
  Json report = {{"actions", Json::array()}};
  if (o.ota) {
    int status = 0;
    Json ota = co_await dev.check_ota(*o.ota, &status);
    report["ota"] = {{"status", status}, {"response", ota}};
    if (ota.contains("activation")) throw std::runtime_error("device is not activated: " + ota["activation"].dump());
    if (auto ws = ota.find("websocket"); ws != ota.end() && ws->is_object()) {
      o.url = ws->value("url", o.url);
      if (auto t = ws->value("token", std::string()); !t.empty()) o.connect.token = t;
      o.connect.protocol_version = ws->value("version", o.connect.protocol_version);
    }
  }
  std::optional<xz::sim::MqttSettings> mqtt;
  // The firmware picks MQTT whenever the answer has the block (device-protocol.md §2.2).
  if (o.ota) mqtt = xz::sim::mqtt_settings_from_ota(report["ota"]["response"]);
  if (!o.mqtt_endpoint.empty()) {
    auto cred = xz::protocol::make_mqtt_credentials(o.mqtt_key, dev.profile().board, dev.profile().device_id,
                                                    xz::protocol::mqtt_user_data("unknown"));
    mqtt = xz::sim::MqttSettings{o.mqtt_endpoint, cred.client_id, cred.username, cred.password};
  }
  if (mqtt) co_return co_await run_mqtt(std::move(o), std::move(*mqtt), std::move(report), rt);
  o.connect.url = o.url;
  co_await dev.connect(o.connect);
  if (!co_await dev.wait_hello()) throw std::runtime_error("no server hello within 10 s");

  co_await play(dev, o, rt, report);
  report["device"] = dev.report();
  report["tools_called"] = Json::array();
  for (const auto& c : dev.mcp().calls()) report["tools_called"].push_back({{"name", c.name}, {"arguments", c.arguments}});
  dev.drop_connection();
  co_return report;
}

int run_load(const std::vector<std::string>& args) {
  xz::sim::LoadOptions o;
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::cout << xz::sim::load_usage();
      return 0;
    }
  }
  if (auto err = xz::sim::parse_load_options(args, o)) {
    std::cerr << "xiaozhi-sim load: " << *err << "\n\n" << xz::sim::load_usage();
    return 2;
  }
  try {
    Json report = xz::sim::LoadGenerator(o).run();
    std::string text = report.dump();
    if (o.report_path.empty()) {
      std::cout << text << "\n";
    } else {
      std::ofstream out(o.report_path);
      out << text << "\n";
      if (!out) throw std::runtime_error("cannot write " + o.report_path);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "xiaozhi-sim load: " << e.what() << "\n";
    return 1;
  }
}

int run_bench_report(const std::vector<std::string>& args) {
  std::string dir, prefix;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--out" && i + 1 < args.size()) {
      prefix = args[++i];
    } else if (dir.empty() && !args[i].starts_with("-")) {
      dir = args[i];
    } else {
      std::cerr << "xiaozhi-sim bench-report: unexpected argument " << args[i] << "\n\n" << kUsage;
      return 2;
    }
  }
  if (dir.empty() || prefix.empty()) {
    std::cerr << "xiaozhi-sim bench-report: needs RUN_DIR and --out PREFIX\n\n" << kUsage;
    return 2;
  }
  try {
    auto report = xz::sim::build_bench_report(dir);
    std::ofstream md(prefix + ".md"), js(prefix + ".json");
    md << report.markdown;
    js << report.json.dump(1) << "\n";
    if (!md || !js) throw std::runtime_error("cannot write " + prefix + ".md / .json");
    std::cout << report.markdown;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "xiaozhi-sim bench-report: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "load" || std::string(argv[1]) == "bench-report")) {
    std::vector<std::string> args(argv + 2, argv + argc);
    return std::string(argv[1]) == "load" ? run_load(args) : run_bench_report(args);
  }
  Options o;
  if (auto err = parse(argc, argv, o)) {
    std::cerr << "xiaozhi-sim: " << *err << "\n\n" << kUsage;
    return 2;
  }
  xz::core::Runtime rt(1, 1);
  rt.start();
  try {
    auto fut = asio::co_spawn(rt.loop(0), run(o, rt), asio::use_future);
    Json report = fut.get();
    std::string text = report.dump(2);
    if (o.report_path.empty()) {
      std::cout << text << "\n";
    } else {
      std::ofstream(o.report_path) << text << "\n";
    }
    bool ok = true;
    for (const auto& a : report["actions"]) ok = ok && a.value("completed", false);
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "xiaozhi-sim: " << e.what() << "\n";
    return 1;
  }
}
