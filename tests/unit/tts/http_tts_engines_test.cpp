// The reference's HTTP TTS engines (and PaddleSpeech's WebSocket), each built from its
// entry in the reference's config.yaml with only the endpoint and keys changed, speaking
// through a local fake of its vendor (support/fake_tts_vendors.h): the request each
// vendor checks, the audio decoded as it arrives, and every fault ending the sentence
// with an error that names the engine and says what the vendor said.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "providers/tts/aliyun_answer_body.h"
#include "providers/tts/aliyun_tts.h"
#include "providers/tts/cozecn_tts.h"
#include "providers/tts/custom_tts.h"
#include "providers/tts/doubao_tts.h"
#include "providers/tts/fishspeech_tts.h"
#include "providers/tts/gpt_sovits_tts.h"
#include "providers/tts/index_stream_tts.h"
#include "providers/tts/minimax_tts.h"
#include "providers/tts/paddle_speech_tts.h"
#include "providers/tts/siliconflow_tts.h"
#include "providers/tts/tencent_tts.h"
#include "support/encoded_audio.h"
#include "support/fake_tts_vendors.h"
#include "support/speech.h"
#include "unit/tts/tts_harness.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using nlohmann::json;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::TtsEngine;
using xz::providers::TtsRequest;
using xz::test::FakeTtsVendors;
using xz::test::FakeVendorCall;
using xz::test::FakeVendorFault;
using xz::test::FakeVendorKeys;
using xz::test::Received;

namespace {

// One engine under test: how to build it from its reference entry, the name its errors
// carry, and what its vendor must have seen.
struct EngineCase {
  const char* name;
  const char* error_prefix;
  std::function<EngineConfig(const FakeTtsVendors&)> config;
  std::function<std::unique_ptr<TtsEngine>(const EngineConfig&, ProviderContext&)> make;
  std::function<void(const FakeVendorCall&)> check;
  bool streams = true;  // audio arrives in pieces (not one JSON document)
};

void PrintTo(const EngineCase& c, std::ostream* os) { *os << c.name; }

template <class Engine>
std::function<std::unique_ptr<TtsEngine>(const EngineConfig&, ProviderContext&)> maker() {
  return [](const EngineConfig& c, ProviderContext& ctx) { return std::make_unique<Engine>(c, ctx); };
}

// A reference voice file for Fish Speech, as the reference's config points at one.
const std::string& reference_wav() {
  static const std::string path = [] {
    auto p = std::filesystem::temp_directory_path() / ("xz-fish-ref-" + std::to_string(::getpid()) + ".wav");
    std::ofstream(p, std::ios::binary) << xz::test::encode_wav(xz::test::tone(0.2, 440, 16000), 16000);
    return p.string();
  }();
  return path;
}

std::vector<EngineCase> engine_cases() {
  return {
      {"siliconflow", "SiliconFlow TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "siliconflow"},          {"model", "FunAudioLLM/CosyVoice2-0.5B"},
                             {"voice", "FunAudioLLM/CosyVoice2-0.5B:alex"}, {"output_dir", "tmp/"},
                             {"access_token", FakeVendorKeys::siliconflow}, {"response_format", "wav"},
                             {"endpoint", f.url("siliconflow")}};
       },
       maker<xz::providers::SiliconFlowTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.json["voice"], "FunAudioLLM/CosyVoice2-0.5B:alex");
         EXPECT_EQ(c.json["response_format"], "wav");
         EXPECT_EQ(c.json["stream"], true);
       }},
      {"cozecn", "Coze TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "cozecn"},          {"voice", 7426720361733046281LL},
                             {"output_dir", "tmp/"},       {"access_token", FakeVendorKeys::coze},
                             {"response_format", "wav"}, {"endpoint", f.url("cozecn")}};
       },
       maker<xz::providers::CozeCnTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.json["voice_id"], "7426720361733046281") << "the YAML number, exactly";
         EXPECT_TRUE(c.json["model"].is_null());
       }},
      {"custom", "Custom TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "custom"},
                             {"method", "POST"},
                             {"url", f.url("custom")},
                             {"params",
                              {{"input", "{prompt_text}"}, {"response_format", "mp3"}, {"download_format", "mp3"},
                               {"voice", "zf_xiaoxiao"}, {"lang_code", "z"}, {"return_download_link", true},
                               {"speed", 1}, {"stream", false}}},
                             {"headers", nullptr},
                             {"format", "mp3"},
                             {"output_dir", "tmp/"}};
       },
       maker<xz::providers::CustomTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.method, "POST");
         EXPECT_EQ(c.json["voice"], "zf_xiaoxiao");
         EXPECT_EQ(c.json["return_download_link"], true);
       }},
      {"fishspeech", "FishSpeech TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "fishspeech"},      {"output_dir", "tmp/"},
                             {"response_format", "wav"}, {"reference_id", nullptr},
                             {"reference_audio", {reference_wav()}},
                             {"reference_text", {"哈啰啊，我是小智啦"}},
                             {"normalize", true},         {"max_new_tokens", 1024},
                             {"chunk_length", 200},       {"top_p", 0.7},
                             {"repetition_penalty", 1.2}, {"temperature", 0.7},
                             {"streaming", false},        {"use_memory_cache", "on"},
                             {"seed", nullptr},           {"channels", 1},
                             {"rate", 44100},             {"api_key", FakeVendorKeys::fish},
                             {"api_url", f.url("fishspeech")}};
       },
       maker<xz::providers::FishSpeechTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.headers.at("content-type"), "application/msgpack");
         ASSERT_EQ(c.json["references"].size(), 1u);
         EXPECT_EQ(c.json["references"][0]["text"], "哈啰啊，我是小智啦");
         const auto& audio = c.json["references"][0]["audio"].get_binary();
         EXPECT_EQ(std::string(audio.begin(), audio.end()), xz::test::encode_wav(xz::test::tone(0.2, 440, 16000), 16000));
         // ServeTTSRequest's field order.
         std::vector<std::string> keys;
         const auto ordered = nlohmann::ordered_json::from_msgpack(c.body);
         for (const auto& [k, v] : ordered.items()) keys.push_back(k);
         EXPECT_EQ(keys, (std::vector<std::string>{"text", "chunk_length", "format", "references", "reference_id", "seed",
                                                   "use_memory_cache", "normalize", "streaming", "max_new_tokens",
                                                   "top_p", "repetition_penalty", "temperature"}));
       }},
      {"gpt_sovits_v2", "GPT-SoVITS v2 TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "gpt_sovits_v2"}, {"url", f.url("gpt_sovits_v2")}, {"output_dir", "tmp/"},
                             {"text_lang", "auto"},      {"ref_audio_path", "demo.wav"},    {"prompt_text", ""},
                             {"prompt_lang", "zh"},      {"top_k", 5},                      {"top_p", 1},
                             {"temperature", 1},         {"text_split_method", "cut0"},     {"batch_size", 1},
                             {"batch_threshold", 0.75},  {"split_bucket", true},            {"return_fragment", false},
                             {"speed_factor", 1.0},      {"streaming_mode", false},         {"seed", -1},
                             {"parallel_infer", true},   {"repetition_penalty", 1.35},      {"aux_ref_audio_paths", json::array()}};
       },
       maker<xz::providers::GptSovitsV2Tts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.json["ref_audio_path"], "demo.wav");
         EXPECT_EQ(c.json["prompt_text"], "");
         EXPECT_EQ(c.json["text_lang"], "auto");
         EXPECT_EQ(c.json["top_p"], 1.0);
         EXPECT_TRUE(c.json["top_p"].is_number_float()) << "float(top_p), as the reference sends it";
         EXPECT_EQ(c.json["seed"], -1);
       }},
      {"gpt_sovits_v3", "GPT-SoVITS v3 TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "gpt_sovits_v3"}, {"url", f.url("gpt_sovits_v3")}, {"output_dir", "tmp/"},
                             {"text_language", "auto"}, {"refer_wav_path", "caixukun.wav"}, {"prompt_language", "zh"},
                             {"prompt_text", ""},       {"top_k", 15},                      {"top_p", 1.0},
                             {"temperature", 1.0},      {"cut_punc", ""},                   {"speed", 1.0},
                             {"inp_refs", json::array()}, {"sample_steps", 32},             {"if_sr", false}};
       },
       maker<xz::providers::GptSovitsV3Tts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.method, "GET");
         EXPECT_EQ(c.query.at("refer_wav_path"), "caixukun.wav");
         EXPECT_EQ(c.query.at("if_sr"), "False");
         EXPECT_EQ(c.query.at("top_p"), "1.0");
         EXPECT_EQ(c.query.at("top_k"), "15");
         EXPECT_EQ(c.query.count("inp_refs"), 0u) << "an empty list is not sent";
       }},
      {"minimax_httpstream", "MiniMax TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "minimax_httpstream"}, {"output_dir", "tmp/"},
                             {"group_id", FakeVendorKeys::minimax_group}, {"api_key", FakeVendorKeys::minimax_key},
                             {"model", "speech-01-turbo"},   {"voice_id", "female-shaonv"},
                             {"endpoint", f.url("minimax")}};
       },
       maker<xz::providers::MinimaxTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.query.at("GroupId"), FakeVendorKeys::minimax_group);
         EXPECT_EQ(c.json["voice_setting"]["voice_id"], "female-shaonv");
         EXPECT_EQ(c.json["voice_setting"]["emotion"], "happy");
         EXPECT_EQ(c.json["audio_setting"], (json{{"sample_rate", 24000}, {"bitrate", 128000}, {"format", "pcm"}, {"channel", 1}}));
         EXPECT_EQ(c.json["pronunciation_dict"]["tone"][0], "处理/(chu3)(li3)");
       }},
      {"doubao", "Doubao TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "doubao"},          {"api_url", f.url("doubao")},
                             {"voice", "BV001_streaming"}, {"output_dir", "tmp/"},
                             {"authorization", "Bearer;"}, {"appid", "123456"},
                             {"access_token", FakeVendorKeys::doubao_token}, {"cluster", "volcano_tts"},
                             {"speed_ratio", 1.0},         {"volume_ratio", 1.0},
                             {"pitch_ratio", 1.0}};
       },
       maker<xz::providers::DoubaoTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.headers.count("content-type"), 0u) << "sent as the reference sends it";
         EXPECT_EQ(c.json["app"]["appid"], "123456");
         EXPECT_EQ(c.json["audio"]["voice_type"], "BV001_streaming");
         EXPECT_EQ(c.json["request"]["operation"], "query");
       },
       false},
      {"tencent", "Tencent TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "tencent"},       {"output_dir", "tmp/"},
                             {"appid", "1300000000"},    {"secret_id", FakeVendorKeys::tencent_id},
                             {"secret_key", FakeVendorKeys::tencent_key}, {"region", "ap-guangzhou"},
                             {"voice", 101001},          {"endpoint", f.url("tencent")}};
       },
       maker<xz::providers::TencentTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.headers.at("host"), "tts.tencentcloudapi.com");
         EXPECT_EQ(c.json["VoiceType"], 101001);
         EXPECT_EQ(c.headers.at("x-tc-region"), "ap-guangzhou");
       },
       false},
      {"paddle_speech", "PaddleSpeech TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "paddle_speech"}, {"protocol", "websocket"}, {"url", f.url("paddle_ws")},
                             {"spk_id", 0},              {"sample_rate", 24000},     {"speed", 1.0},
                             {"volume", 1.0},            {"save_path", nullptr}};
       },
       maker<xz::providers::PaddleSpeechTts>(),
       [](const FakeVendorCall& c) {
         ASSERT_GE(c.messages.size(), 3u);
         EXPECT_EQ(c.messages[0], (json{{"task", "tts"}, {"signal", "start"}}));
         EXPECT_EQ(c.messages[1]["spk_id"], 0);
         EXPECT_EQ(c.messages[2], (json{{"task", "tts"}, {"signal", "end"}, {"session", "sess-1"}}));
       }},
      {"paddle_speech_http", "PaddleSpeech TTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "paddle_speech"}, {"protocol", "http"}, {"url", f.url("paddle_http")},
                             {"spk_id", 0},              {"sample_rate", 24000}, {"speed", 1.0},
                             {"volume", 1.0},            {"save_path", nullptr}};
       },
       maker<xz::providers::PaddleSpeechTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.json["spk_id"], 0);
         EXPECT_EQ(c.json["sample_rate"], 24000.0);
         EXPECT_EQ(c.json["save_path"], "./streaming_tts.wav");
       },
       false},
      // The reference's AliyunTTS entry, once with the console's token and once with the key
      // pair (a CreateToken token; the first fault then hits CreateToken).
      {"aliyun", "aliyun: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "aliyun"},          {"output_dir", "tmp/"},
                             {"appkey", FakeVendorKeys::aliyun_appkey}, {"token", FakeVendorKeys::aliyun_token},
                             {"voice", "xiaoyun"},        {"access_key_id", nullptr},
                             {"access_key_secret", nullptr}, {"endpoint", f.url("aliyun")}};
       },
       maker<xz::providers::AliyunTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.json["token"], FakeVendorKeys::aliyun_token);
         EXPECT_EQ(c.json["format"], "wav");
         EXPECT_EQ(c.json["sample_rate"], 16000);
       }},
      {"aliyun_key_pair", "aliyun: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "aliyun"},          {"output_dir", "tmp/"},
                             {"appkey", FakeVendorKeys::aliyun_appkey}, {"token", "an old console token"},
                             {"voice", "xiaoyun"},        {"access_key_id", FakeVendorKeys::aliyun_key_id},
                             {"access_key_secret", FakeVendorKeys::aliyun_key_secret},
                             {"endpoint", f.url("aliyun")}, {"token_url", f.url("aliyun_token")},
                             {"format", "mp3"}};
       },
       maker<xz::providers::AliyunTts>(),
       [](const FakeVendorCall& c) {
         EXPECT_EQ(c.json["token"].get<std::string>().size(), 32u) << "a CreateToken token";
         EXPECT_EQ(c.json["format"], "mp3");
       }},
      {"index_stream", "IndexTTS: ",
       [](const FakeTtsVendors& f) {
         return EngineConfig{{"type", "index_stream"}, {"api_url", f.url("index_stream")}, {"audio_format", "pcm"},
                             {"voice", "jay_klee"},     {"output_dir", "tmp/"}};
       },
       maker<xz::providers::IndexStreamTts>(),
       [](const FakeVendorCall& c) { EXPECT_EQ(c.json, (json{{"text", "Hello from the vendor."}, {"character", "jay_klee"}})); }},
  };
}

class HttpTtsEngines : public ::testing::TestWithParam<EngineCase> {
 protected:
  // Speaks `text`; the error's text, "" on success.
  std::string speak(TtsEngine& tts, const std::string& text, Received& out, std::function<bool(int)> keep_going = {}) {
    try {
      xz::test::run_synthesis(io, tts, TtsRequest{text, "", ""}, xz::test::recording_sink(out, std::move(keep_going)));
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  }

  FakeTtsVendors fake;
  asio::io_context io;
  asio::thread_pool pool{2};
  ProviderContext ctx{pool};
};

}  // namespace

TEST_P(HttpTtsEngines, ReferenceEntrySpeaksThroughItsVendor) {
  const auto& c = GetParam();
  fake.set_speech(xz::test::chirp(1.0, 24000), 24000);
  auto tts = c.make(c.config(fake), ctx);
  Received got;
  ASSERT_EQ(speak(*tts, "Hello from the vendor.", got), "");
  const auto source = fake.last_speech();
  ASSERT_FALSE(source.empty());
  EXPECT_EQ(got.sample_rate(), fake.last_rate());
  EXPECT_NEAR(got.seconds(), 1.0, 0.12);
  EXPECT_GT(xz::test::best_match(source, got.pcm, static_cast<std::size_t>(fake.last_rate() / 5)).correlation, 0.9)
      << "the decoded audio is not what the vendor sent";
  ASSERT_TRUE(fake.wait_for_calls(1, 2s));
  const auto call = fake.last_call();
  EXPECT_EQ(call.vendor.rfind(std::string(c.name).substr(0, 6), 0), 0u) << call.vendor;
  c.check(call);
}

// Deliver 2: audio is decoded as the answer arrives, not after the whole answer.
TEST_P(HttpTtsEngines, FirstPcmBeforeTheVendorSendsItsLastPiece) {
  const auto& c = GetParam();
  if (!c.streams) GTEST_SKIP() << c.name << " answers one JSON document: its audio can only be read at its end";
  fake.set_speech(xz::test::chirp(2.0, 24000), 24000);
  fake.set_chunking(6000, 80ms);
  auto tts = c.make(c.config(fake), ctx);
  Received got;
  ASSERT_EQ(speak(*tts, "Streaming.", got), "");
  ASSERT_TRUE(got.first_chunk_at && fake.last_piece_sent());
  EXPECT_LT(*got.first_chunk_at, *fake.last_piece_sent()) << "PCM came only after the whole answer";
  EXPECT_GE(got.chunk_sizes.size(), 2u);
}

TEST_P(HttpTtsEngines, FaultsNameTheEngineAndTheVendorsWordsAndTheEngineGoesOn) {
  const auto& c = GetParam();
  auto cfg = c.config(fake);
  cfg["timeout"] = 1.5;  // seconds for the whole request: a stall ends there
  auto tts = c.make(cfg, ctx);
  fake.set_chunking(8000, 10ms);
  for (auto fault : {FakeVendorFault::vendor_error, FakeVendorFault::drop_mid_body, FakeVendorFault::stall,
                     FakeVendorFault::garbage_audio}) {
    fake.fail_next(fault);
    Received got;
    const auto started = xz::test::SteadyClock::now();
    const std::string error = speak(*tts, "A fault.", got);
    EXPECT_EQ(error.rfind(c.error_prefix, 0), 0u) << c.name << " fault " << static_cast<int>(fault) << ": '" << error << "'";
    EXPECT_LT(xz::test::SteadyClock::now() - started, 4s) << error;
    Received after;
    EXPECT_EQ(speak(*tts, "Fine again.", after), "") << c.name << " after fault " << static_cast<int>(fault);
    EXPECT_GT(after.seconds(), 0.2);
  }
}

// Barge-in: the sink says stop and the request ends at once.
TEST_P(HttpTtsEngines, SinkStopEndsTheRequest) {
  const auto& c = GetParam();
  fake.set_speech(xz::test::chirp(3.0, 24000), 24000);
  fake.set_chunking(4000, 100ms);
  auto tts = c.make(c.config(fake), ctx);
  Received got;
  const auto started = xz::test::SteadyClock::now();
  ASSERT_EQ(speak(*tts, "Stop me.", got, [](int n) { return n < 1; }), "");
  EXPECT_EQ(got.chunk_sizes.size(), 1u);
  if (c.streams) {
    EXPECT_LT(xz::test::SteadyClock::now() - started, 1500ms);
  }
}

INSTANTIATE_TEST_SUITE_P(Vendors, HttpTtsEngines, ::testing::ValuesIn(engine_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(HttpTtsEngineConfig, VendorSpecificErrorsAreTheVendorsWords) {
  FakeTtsVendors fake;
  asio::io_context io;
  asio::thread_pool pool{1};
  ProviderContext ctx{pool};
  auto run = [&](TtsEngine& tts) -> std::string {
    try {
      Received got;
      xz::test::run_synthesis(io, tts, TtsRequest{"x", "", ""}, xz::test::recording_sink(got));
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  };
  fake.fail_next(FakeVendorFault::vendor_error);
  xz::providers::SiliconFlowTts sf(engine_cases()[0].config(fake), ctx);
  EXPECT_EQ(run(sf), "SiliconFlow TTS: HTTP 400: Model does not exist. Please check it carefully. (code 20012)");
  fake.fail_next(FakeVendorFault::vendor_error);
  auto mm_cfg = engine_cases()[6].config(fake);
  xz::providers::MinimaxTts mm(mm_cfg, ctx);
  EXPECT_EQ(run(mm), "MiniMax TTS: MiniMax error 1002: rate limit exceeded");
  mm_cfg["api_key"] = "wrong";
  xz::providers::MinimaxTts mm_bad(mm_cfg, ctx);
  EXPECT_EQ(run(mm_bad), "MiniMax TTS: MiniMax error 1004: login fail: Please carry the API secret key");
  auto tc_cfg = engine_cases()[8].config(fake);
  tc_cfg["secret_key"] = "not-the-key";
  xz::providers::TencentTts tc(tc_cfg, ctx);
  EXPECT_EQ(run(tc), "Tencent TTS: Tencent error AuthFailure.SignatureFailure: The provided credentials could not be "
                     "validated.");
  fake.fail_next(FakeVendorFault::vendor_error);
  xz::providers::GptSovitsV2Tts v2(engine_cases()[4].config(fake), ctx);
  EXPECT_EQ(run(v2), "GPT-SoVITS v2 TTS: HTTP 400: tts failed: CUDA error: out of memory");
  fake.fail_next(FakeVendorFault::vendor_error);
  xz::providers::DoubaoTts db(engine_cases()[7].config(fake), ctx);
  EXPECT_EQ(run(db), "Doubao TTS: HTTP 400: voice_type not found (code 3050)");
}

TEST(HttpTtsEngineConfig, ConfigErrorsNameTheKey) {
  FakeTtsVendors fake;
  asio::thread_pool pool{1};
  ProviderContext ctx{pool};
  auto error_of = [&](const EngineCase& c, const char* key, json value) -> std::string {
    auto cfg = c.config(fake);
    if (value.is_null())
      cfg.erase(key);
    else
      cfg[key] = std::move(value);
    try {
      c.make(cfg, ctx);
    } catch (const EngineConfigError& e) {
      return e.what();
    }
    return "accepted";
  };
  const auto cases = engine_cases();
  EXPECT_EQ(error_of(cases[0], "access_token", nullptr), "access_token: missing (SiliconFlow's API key)");
  EXPECT_EQ(error_of(cases[0], "response_format", "ogg_vorbis"),
            "response_format: 'ogg_vorbis' is not an audio format (mp3, opus, aac, flac, wav or pcm)");
  EXPECT_EQ(error_of(cases[0], "endpoint", "ftp://x"), "endpoint: not a https:// or http:// URL: 'ftp://x'");
  EXPECT_EQ(error_of(cases[2], "url", nullptr), "url: missing");
  EXPECT_EQ(error_of(cases[2], "method", "PUT"), "method: 'PUT' is not GET or POST");
  EXPECT_EQ(error_of(cases[3], "top_p", 5), "top_p: must be between 0.1 and 1");
  EXPECT_EQ(error_of(cases[6], "group_id", nullptr), "group_id: missing (the MiniMax account's GroupId)");
  EXPECT_EQ(error_of(cases[8], "voice", "Xiaoxiao"), "voice: 'Xiaoxiao' is not a VoiceType number");
  EXPECT_EQ(error_of(cases[9], "protocol", "grpc"), "protocol: 'grpc' is not websocket or http");
  EXPECT_EQ(error_of(cases[9], "url", "http://x/tts"), "url: not a ws:// or wss:// URL: 'http://x/tts'");
}

// ---------------------------------------------------------------- aliyun's token and wire
namespace {

EngineConfig aliyun_pair_entry(const FakeTtsVendors& f) {
  return EngineConfig{{"type", "aliyun"},
                      {"appkey", FakeVendorKeys::aliyun_appkey},
                      {"access_key_id", FakeVendorKeys::aliyun_key_id},
                      {"access_key_secret", FakeVendorKeys::aliyun_key_secret},
                      {"endpoint", f.url("aliyun")},
                      {"token_url", f.url("aliyun_token")}};
}

std::size_t calls_to(const FakeTtsVendors& f, const std::string& vendor) {
  std::size_t n = 0;
  for (const auto& c : f.calls()) n += c.vendor == vendor;
  return n;
}

std::string speak_once(asio::io_context& io, TtsEngine& tts, const std::string& text, Received& got) {
  try {
    xz::test::run_synthesis(io, tts, TtsRequest{text, "", ""}, xz::test::recording_sink(got));
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

}  // namespace

// The request is the reference's request_json as json.dumps writes it, byte for byte.
TEST(AliyunTts, TheRequestIsTheReferencesJson) {
  FakeTtsVendors fake;
  asio::io_context io;
  asio::thread_pool pool{1};
  ProviderContext ctx{pool};
  auto cfg = aliyun_pair_entry(fake);
  cfg.erase("access_key_id");
  cfg.erase("access_key_secret");
  cfg["token"] = FakeVendorKeys::aliyun_token;
  cfg["volume"] = 80;
  cfg["speech_rate"] = -100;
  cfg["pitch_rate"] = 20;
  cfg["private_voice"] = "aixia";
  xz::providers::AliyunTts tts(cfg, ctx);
  Received got;
  ASSERT_EQ(speak_once(io, tts, "你好", got), "");
  ASSERT_TRUE(fake.wait_for_calls(1, 2s));
  EXPECT_EQ(fake.last_call().body,
            R"({"appkey": "aliyun-appkey", "token": "aliyun-console-token", "text": "\u4f60\u597d", "format": "wav", )"
            R"("sample_rate": 16000, "voice": "aixia", "volume": 80, "speech_rate": -100, "pitch_rate": 20})");
  EXPECT_EQ(fake.last_call().headers.at("content-type"), "application/json");
  EXPECT_GT(got.seconds(), 0.1);
}

// CreateToken once; its token serves every request until a minute before it expires.
TEST(AliyunTts, TheCreateTokenTokenIsCachedUntilItsLastMinute) {
  FakeTtsVendors fake;
  asio::io_context io;
  asio::thread_pool pool{1};
  ProviderContext ctx{pool};
  xz::providers::AliyunTts tts(aliyun_pair_entry(fake), ctx);
  for (int i = 0; i < 3; ++i) {
    Received got;
    ASSERT_EQ(speak_once(io, tts, "Cached.", got), "");
  }
  EXPECT_EQ(calls_to(fake, "aliyun_token"), 1u);
  EXPECT_EQ(tts.tokens().created(), 1u);
  // Tokens living 30 s are within their last minute at once: each request asks again.
  fake.set_aliyun_token_lifetime(30s);
  xz::providers::AliyunTts short_lived(aliyun_pair_entry(fake), ctx);
  for (int i = 0; i < 2; ++i) {
    Received got;
    ASSERT_EQ(speak_once(io, short_lived, "Renewed.", got), "");
  }
  EXPECT_EQ(short_lived.tokens().created(), 2u);
}

// A 401 for a CreateToken token: a new token and the request once more (the reference
// does so); with the console's token there is nothing to renew: the vendor's words.
TEST(AliyunTts, ARefusedTokenIsRenewedOnceAndTheSentenceSpoken) {
  FakeTtsVendors fake;
  asio::io_context io;
  asio::thread_pool pool{1};
  ProviderContext ctx{pool};
  xz::providers::AliyunTts tts(aliyun_pair_entry(fake), ctx);
  Received first;
  ASSERT_EQ(speak_once(io, tts, "First.", first), "");
  fake.revoke_aliyun_tokens();
  Received again;
  ASSERT_EQ(speak_once(io, tts, "Again.", again), "");
  EXPECT_GT(again.seconds(), 0.1);
  EXPECT_EQ(tts.tokens().created(), 2u);
  EXPECT_EQ(calls_to(fake, "aliyun"), 3u) << "the refused request, then its repeat";

  auto cfg = aliyun_pair_entry(fake);
  cfg.erase("access_key_id");
  cfg.erase("access_key_secret");
  cfg["token"] = "expired-console-token";
  xz::providers::AliyunTts fixed(cfg, ctx);
  Received got;
  const std::string error = speak_once(io, fixed, "Refused.", got);
  EXPECT_EQ(error.rfind("aliyun: HTTP 401: Gateway:ACCESS_DENIED", 0), 0u) << error;
  EXPECT_EQ(calls_to(fake, "aliyun"), 4u) << "no repeat without a key pair";
}

// A CreateToken refused (a wrong secret) is one error with Aliyun's words.
TEST(AliyunTts, AWrongSecretIsTheSignatureErrorOfCreateToken) {
  FakeTtsVendors fake;
  asio::io_context io;
  asio::thread_pool pool{1};
  ProviderContext ctx{pool};
  auto cfg = aliyun_pair_entry(fake);
  cfg["access_key_secret"] = "not-the-secret";
  xz::providers::AliyunTts tts(cfg, ctx);
  Received got;
  const std::string error = speak_once(io, tts, "Refused.", got);
  EXPECT_EQ(error.rfind("aliyun: CreateToken HTTP 400: ", 0), 0u) << error;
  EXPECT_EQ(calls_to(fake, "aliyun"), 0u);
  EXPECT_THROW(xz::providers::AliyunTts(EngineConfig{{"appkey", "a"}}, ctx), EngineConfigError);
  EXPECT_THROW(xz::providers::AliyunTts(EngineConfig{{"appkey", "a"}, {"token", "t"}, {"format", "ogg"}}, ctx),
               EngineConfigError);
}

// An error answered as JSON with a 2xx status (the answer's Content-Type is not audio)
// is the service's words, not "malformed audio".
TEST(AliyunTts, AJsonAnswerIsTheServicesError) {
  auto body = xz::providers::aliyun_answer_body(xz::audio::AudioFormat::wav, 16000);
  const std::string answer =
      R"({"task_id":"0123","result":"","status":40000000,"message":"Gateway:CLIENT_ERROR:Missing parameter text!"})";
  (void)body->push(xz::audio::as_bytes(answer.substr(0, 10)));
  (void)body->push(xz::audio::as_bytes(answer.substr(10)));
  try {
    (void)body->finish();
    FAIL() << "an error answer decoded as audio";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "status 40000000: Gateway:CLIENT_ERROR:Missing parameter text!");
  }
}

// GPT-SoVITS v2's private_voice: the reference's voice table (data/gpt_sovits_data.yaml,
// section v2) gives the reference audio, the prompt and the languages.
TEST(GptSovitsV2Tts, PrivateVoiceTakesItsEntryOfTheVoiceTable) {
  FakeTtsVendors fake;
  asio::io_context io;
  asio::thread_pool pool{1};
  const auto dir = std::filesystem::temp_directory_path() / ("xz-sovits-voices-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "gpt_sovits_data.yaml") << "v2:\n"
                                                 "  lily:\n"
                                                 "    text_lang: en\n"
                                                 "    ref_audio_path: /voices/lily.wav\n"
                                                 "    aux_ref_audio_paths: /voices/a.wav;/voices/b.wav\n"
                                                 "    prompt_text: Hello there.\n"
                                                 "  bare:\n"
                                                 "    ref_audio_path: /voices/bare.wav\n";
  ProviderContext ctx{pool, dir.string()};
  auto entry = [&](const char* voice) {
    return EngineConfig{{"type", "gpt_sovits_v2"}, {"url", fake.url("gpt_sovits_v2")}, {"text_lang", "ja"},
                        {"ref_audio_path", "/configured.wav"}, {"prompt_text", "configured"},
                        {"prompt_lang", "ja"}, {"private_voice", voice}};
  };
  auto speak_with = [&](const char* voice) {
    xz::providers::GptSovitsV2Tts tts(entry(voice), ctx);
    Received got;
    xz::test::run_synthesis(io, tts, TtsRequest{"Hi.", "", ""}, xz::test::recording_sink(got));
    return fake.last_call().json;
  };
  auto b = speak_with("lily");
  EXPECT_EQ(b["text_lang"], "en");
  EXPECT_EQ(b["ref_audio_path"], "/voices/lily.wav");
  EXPECT_EQ(b["aux_ref_audio_paths"], (json{"/voices/a.wav", "/voices/b.wav"}));
  EXPECT_EQ(b["prompt_text"], "Hello there.");
  EXPECT_EQ(b["prompt_lang"], "zh") << "a language the entry lacks is zh, as the reference";
  b = speak_with("bare");
  EXPECT_EQ(b["ref_audio_path"], "/voices/bare.wav");
  EXPECT_TRUE(b["prompt_text"].is_null());
  // A voice the table lacks keeps the configured values.
  b = speak_with("nobody");
  EXPECT_EQ(b["ref_audio_path"], "/configured.wav");
  EXPECT_EQ(b["text_lang"], "ja");
  // v3: its own section, under v3's parameter names (the query of a GET).
  std::ofstream(dir / "gpt_sovits_data.yaml", std::ios::app) << "v3:\n"
                                                                 "  lily:\n"
                                                                 "    ref_audio_path: /voices/lily3.wav\n"
                                                                 "    inp_refs: /voices/c.wav\n"
                                                                 "    prompt_text: Hi.\n"
                                                                 "    prompt_lang: en\n";
  {
    xz::providers::GptSovitsV3Tts v3(EngineConfig{{"type", "gpt_sovits_v3"}, {"url", fake.url("gpt_sovits_v3")},
                                                  {"refer_wav_path", "/configured.wav"}, {"private_voice", "lily"}},
                                     ctx);
    Received got;
    xz::test::run_synthesis(io, v3, TtsRequest{"Hi.", "", ""}, xz::test::recording_sink(got));
    const auto q = fake.last_call().query;
    EXPECT_EQ(q.at("refer_wav_path"), "/voices/lily3.wav");
    EXPECT_EQ(q.at("inp_refs"), "/voices/c.wav");
    EXPECT_EQ(q.at("prompt_language"), "en");
    EXPECT_EQ(q.at("text_language"), "zh");
  }
  // A table that is not YAML is one error naming the file.
  std::ofstream(dir / "gpt_sovits_data.yaml") << "v2: [unclosed\n";
  try {
    xz::providers::GptSovitsV2Tts tts(entry("lily"), ctx);
    ADD_FAILURE() << "a broken voice table was accepted";
  } catch (const EngineConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("gpt_sovits_data.yaml"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}
