// The sherpa-onnx engines (sherpa_onnx_local, fun_local) on a tiny SenseVoice-shaped model
// the test writes (support/tiny_sense_voice): the real library, the real ONNX Runtime.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <string>
#include <vector>

#include <link.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/async.h"
#include "core/config.h"
#include "core/default_config.h"
#include "core/runtime.h"
#include "providers/asr/fun_local_asr.h"
#include "providers/asr/sherpa_onnx_asr.h"
#include "providers/registry.h"
#include "providers/vad/silero_vad.h"
#include "support/speech.h"
#include "support/tiny_paraformer.h"
#include "support/tiny_sense_voice.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using xz::core::Runtime;
using xz::core::Task;
using xz::providers::AsrResult;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::SherpaOnnxAsr;

namespace {

template <class T>
T run_on(Runtime& rt, Task<T> task) {
  return asio::co_spawn(rt.loop(0), std::move(task), asio::use_future).get();
}

Task<AsrResult> transcribe(SherpaOnnxAsr& asr, std::vector<std::int16_t> pcm) {
  auto s = co_await asr.open();
  for (std::size_t at = 0; at < pcm.size(); at += 960) {  // 60 ms pushes, as a device sends
    const std::size_t end = std::min(at + 960, pcm.size());
    co_await s->push(std::vector<std::int16_t>(pcm.begin() + at, pcm.begin() + end));
  }
  co_return co_await s->finish();
}

// Every directory this test binary made, removed when it exits.
const fs::path& scratch() {
  static const struct Scratch {
    fs::path dir = fs::temp_directory_path() / ("xz-sherpa-test-" + std::to_string(::getpid()));
    ~Scratch() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } s;
  return s.dir;
}

std::string fresh_dir(const std::string& name) {
  auto dir = scratch() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

const std::string& model_dir() {
  static const std::string dir = [] {
    auto d = fresh_dir("model");
    xz::test::write_tiny_sense_voice(d);
    return d;
  }();
  return dir;
}

EngineConfig entry(EngineConfig extra = EngineConfig::object()) {
  EngineConfig c = {{"type", "sherpa_onnx_local"}, {"model_dir", model_dir()}, {"model_type", "sense_voice"},
                    {"num_threads", 1}};
  for (auto it = extra.begin(); it != extra.end(); ++it) c[it.key()] = it.value();
  return c;
}

// Holds every worker of the pool until release(), so utterances pile up in the queue.
class BlockedPool {
 public:
  BlockedPool(asio::thread_pool& pool, int workers) : started_(workers) {
    auto released = release_.get_future().share();
    for (int i = 0; i < workers; ++i)
      asio::post(pool, [this, released] {
        started_.count_down();
        released.wait();
      });
    started_.wait();
  }
  ~BlockedPool() { release(); }
  void release() {
    if (!released_) release_.set_value();
    released_ = true;
  }

 private:
  std::latch started_;
  std::promise<void> release_;
  bool released_ = false;
};

// Starts one transcription per clip on the loop and waits until all are queued (their
// audio is in the recognizer's queue once their finish() is suspended).
std::vector<std::future<AsrResult>> start_all(Runtime& rt, SherpaOnnxAsr& asr,
                                              const std::vector<std::vector<std::int16_t>>& clips) {
  std::vector<std::future<AsrResult>> out;
  for (const auto& clip : clips) out.push_back(asio::co_spawn(rt.loop(0), transcribe(asr, clip), asio::use_future));
  // Every coroutine ran up to its wait: a handler posted now runs after them.
  std::promise<void> drained;
  asio::post(rt.loop(0), [&] { drained.set_value(); });
  drained.get_future().wait();
  return out;
}

std::size_t onnx_runtimes_loaded() {
  std::size_t n = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* count) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("libonnxruntime") != std::string::npos) ++*static_cast<std::size_t*>(count);
        return 0;
      },
      &n);
  return n;
}

}  // namespace

TEST(SherpaOnnxAsr, HearsTheUtteranceAsTextWithoutTagsAndParsesThem) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  SherpaOnnxAsr asr(entry(), ctx);
  const auto pcm = xz::test::tone_speech("你好世界");
  const auto r = run_on(rt, transcribe(asr, pcm));
  EXPECT_EQ(r.text, "你好世界");
  EXPECT_EQ(r.language, "zh");
  EXPECT_EQ(r.emotion, "HAPPY");
  EXPECT_EQ(r.event, "Speech");
  EXPECT_EQ(asr.stats().samples, pcm.size());
  // Another utterance is another text: what is heard comes from the audio.
  EXPECT_EQ(run_on(rt, transcribe(asr, xz::test::tone_speech("界世"))).text, "界世");
  EXPECT_EQ(run_on(rt, transcribe(asr, xz::test::silence(1.0))).text, "");
}

// The language key travels in SherpaOnnxOfflineSenseVoiceModelConfig: a wrong struct
// layout would lose it (the tiny model's language tag is the `language` input).
TEST(SherpaOnnxAsr, LanguageKeyReachesTheModel) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  SherpaOnnxAsr asr(entry({{"language", "en"}}), ctx);
  const auto r = run_on(rt, transcribe(asr, xz::test::tone_speech("好")));
  EXPECT_EQ(r.language, "en");
  EXPECT_EQ(r.text, "好");
}

TEST(SherpaOnnxAsr, AnEmptyUtteranceCostsNoModelRun) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  SherpaOnnxAsr asr(entry(), ctx);
  EXPECT_EQ(run_on(rt, transcribe(asr, {})).text, "");
  EXPECT_EQ(asr.stats().model_runs, 0u);
  // Shorter than one feature frame (25 ms): decoded, heard as nothing.
  EXPECT_EQ(run_on(rt, transcribe(asr, xz::test::tone(0.005, 300))).text, "");
  EXPECT_EQ(asr.stats().model_runs, 1u);
}

TEST(SherpaOnnxAsr, UtterancesWaitingTogetherAreDecodedInOneModelRun) {
  Runtime rt(1, 1);
  rt.start();
  ProviderContext ctx{rt.pool()};
  SherpaOnnxAsr asr(entry(), ctx);
  const std::vector<std::string> said = {"你好", "世界", "界你好", "好"};
  std::vector<std::vector<std::int16_t>> clips;
  for (const auto& s : said) clips.push_back(xz::test::tone_speech(s));

  BlockedPool blocked(rt.pool(), 1);
  auto results = start_all(rt, asr, clips);
  blocked.release();
  for (std::size_t i = 0; i < said.size(); ++i) {
    auto r = results[i].get();
    EXPECT_EQ(r.text, said[i]) << "utterance " << i;  // each session gets its own text back
    EXPECT_EQ(r.emotion, "HAPPY");
  }
  const auto st = asr.stats();
  EXPECT_EQ(st.model_runs, 1u);
  EXPECT_EQ(st.largest_batch, said.size());
  EXPECT_EQ(st.utterances, said.size());
}

TEST(SherpaOnnxAsr, ABatchHoldsAtMostMaxBatchUtterances) {
  Runtime rt(1, 1);
  rt.start();
  ProviderContext ctx{rt.pool()};
  SherpaOnnxAsr asr(entry({{"max_batch", 2}}), ctx);
  std::vector<std::vector<std::int16_t>> clips(5, xz::test::tone_speech("世"));
  BlockedPool blocked(rt.pool(), 1);
  auto results = start_all(rt, asr, clips);
  blocked.release();
  for (auto& f : results) EXPECT_EQ(f.get().text, "世");
  EXPECT_EQ(asr.stats().largest_batch, 2u);
  EXPECT_EQ(asr.stats().model_runs, 3u);
}

TEST(SherpaOnnxAsr, TooManyWaitingUtterancesAreRefused) {
  Runtime rt(1, 1);
  rt.start();
  ProviderContext ctx{rt.pool()};
  xz::providers::SherpaOnnxAsrOptions o = xz::providers::read_sherpa_onnx_options(entry());
  o.model.max_waiting = 2;
  SherpaOnnxAsr asr(o, ctx);
  std::vector<std::vector<std::int16_t>> clips(3, xz::test::tone_speech("你"));
  BlockedPool blocked(rt.pool(), 1);
  auto results = start_all(rt, asr, clips);
  blocked.release();
  EXPECT_EQ(results[0].get().text, "你");
  EXPECT_EQ(results[1].get().text, "你");
  try {
    results[2].get();
    ADD_FAILURE() << "a third waiting utterance was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("already waiting"), std::string::npos) << e.what();
  }
}

TEST(SherpaOnnxAsr, AnUtteranceIsCutAtMaxSeconds) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  SherpaOnnxAsr asr(entry({{"max_seconds", 1}}), ctx);
  // 你 rings from 0.3 s to 0.6 s, 好 from 0.8 s to 1.1 s, 世 only after the cut.
  const auto r = run_on(rt, transcribe(asr, xz::test::tone_speech("你好世")));
  EXPECT_EQ(r.text, "你好");
  EXPECT_EQ(asr.stats().samples, 16000u);
}

TEST(SherpaOnnxAsr, SileroVadAndSenseVoiceRunOnOneOnnxRuntime) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  xz::providers::SileroVad vad(EngineConfig::object(), ctx);
  SherpaOnnxAsr asr(entry(), ctx);
  auto stream = vad.open();
  const auto speech = xz::test::concat({xz::test::silence(0.5), xz::test::flite_speech("hello there"),
                                        xz::test::silence(1.0)});
  const auto events = run_on(rt, stream->push(speech));
  // Start and end of the speech (a pause before the end is reported too).
  const auto starts_and_ends = std::count_if(events.begin(), events.end(), [](const auto& e) {
    return e.kind == xz::providers::VadEvent::Kind::speech_start || e.kind == xz::providers::VadEvent::Kind::speech_end;
  });
  EXPECT_EQ(starts_and_ends, 2) << "Silero found no speech next to sherpa-onnx";
  EXPECT_EQ(run_on(rt, transcribe(asr, xz::test::tone_speech("世界"))).text, "世界");
  EXPECT_EQ(onnx_runtimes_loaded(), 1u);
}

// model_type: paraformer puts the same two files in the Paraformer slot of the config.
TEST(SherpaOnnxAsr, ParaformerRunsThroughTheSameEngine) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  const auto dir = xz::test::write_tiny_paraformer(fresh_dir("paraformer"));
  SherpaOnnxAsr asr(entry({{"model_dir", dir}, {"model_type", "paraformer"}}), ctx);
  const auto r = run_on(rt, transcribe(asr, xz::test::tone_speech("世界")));
  EXPECT_EQ(r.text, "你好");
  EXPECT_EQ(r.emotion, "");
  // Two at once: one model run.
  BlockedPool blocked(rt.pool(), 2);
  auto results = start_all(rt, asr, {xz::test::silence(1.0), xz::test::tone_speech("好")});
  blocked.release();
  for (auto& f : results) EXPECT_EQ(f.get().text, "你好");
  EXPECT_EQ(asr.stats().model_runs, 2u);
  EXPECT_EQ(asr.stats().largest_batch, 2u);
}

// ---------------------------------------------------------------- configuration errors
TEST(SherpaOnnxAsr, AModelDirWithoutTheExportNamesTheFilesExpected) {
  Runtime rt(1, 1);
  ProviderContext ctx{rt.pool()};
  const auto empty = fresh_dir("empty");
  try {
    SherpaOnnxAsr asr(entry({{"model_dir", empty}}), ctx);
    FAIL() << "an empty model_dir was accepted";
  } catch (const EngineConfigError& e) {
    const std::string m = e.what();
    EXPECT_TRUE(m.starts_with("model_dir: " + empty)) << m;
    EXPECT_NE(m.find("model.int8.onnx"), std::string::npos) << m;
    EXPECT_NE(m.find("tokens.txt"), std::string::npos) << m;
  }
  EXPECT_THROW(SherpaOnnxAsr(entry({{"model_type", "whisper"}}), ctx), EngineConfigError);
  EXPECT_THROW(SherpaOnnxAsr(entry({{"language", "fr"}}), ctx), EngineConfigError);
}

// sherpa-onnx would end the process on this model; the engine refuses it first.
TEST(SherpaOnnxAsr, AModelWithoutTheMetadataSherpaOnnxNeedsIsRefused) {
  Runtime rt(1, 1);
  ProviderContext ctx{rt.pool()};
  for (const char* key : {"lang_ko", "neg_mean", "vocab_size"}) {
    const auto dir = fresh_dir(std::string("no-") + key);
    xz::test::write_tiny_sense_voice_without(dir, key);
    try {
      SherpaOnnxAsr asr(entry({{"model_dir", dir}}), ctx);
      ADD_FAILURE() << "a model without " << key << " was loaded";
    } catch (const EngineConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("lacks the metadata '") + key + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(FunLocalAsr, AMissingModelDirIsOneClearError) {
  const std::string dir = fresh_dir("missing") + "/SenseVoiceSmall";
  try {
    xz::providers::read_fun_local_options({{"type", "fun_local"}, {"model_dir", dir}, {"output_dir", "tmp/"}});
    FAIL() << "a missing model_dir was accepted";
  } catch (const EngineConfigError& e) {
    const std::string m = e.what();
    EXPECT_TRUE(m.starts_with("model_dir: " + dir + " does not exist")) << m;
    EXPECT_NE(m.find("model.int8.onnx (or model.onnx) and tokens.txt"), std::string::npos) << m;
    EXPECT_NE(m.find("sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17"), std::string::npos) << m;
  }
}

TEST(FunLocalAsr, APyTorchModelDirSaysWhichExportToPutThere) {
  const std::string dir = fresh_dir("pytorch");
  for (const char* f : {"model.pt", "config.yaml", "tokens.json", "am.mvn"}) std::ofstream(dir + "/" + f) << "x";
  try {
    xz::providers::read_fun_local_options({{"type", "fun_local"}, {"model_dir", dir}});
    FAIL() << "a PyTorch-only model_dir was accepted";
  } catch (const EngineConfigError& e) {
    const std::string m = e.what();
    EXPECT_TRUE(m.starts_with("model_dir: " + dir)) << m;
    EXPECT_NE(m.find("PyTorch model (model.pt)"), std::string::npos) << m;
    EXPECT_NE(m.find("model.int8.onnx (or model.onnx) and tokens.txt"), std::string::npos) << m;
  }
}

TEST(FunLocalAsr, TheReferencesEntryRunsTheExportPutInItsModelDir) {
  Runtime rt(1, 2);
  rt.start();
  ProviderContext ctx{rt.pool()};
  SherpaOnnxAsr asr(xz::providers::read_fun_local_options(
                        {{"type", "fun_local"}, {"model_dir", model_dir()}, {"output_dir", "tmp/"}}),
                    ctx);
  EXPECT_EQ(run_on(rt, transcribe(asr, xz::test::tone_speech("你好"))).text, "你好");
}

// The "Checked by" of issue 16: selecting the default FunASR entry without a model.
TEST(FunLocalAsr, SelectingFunAsrWithoutAModelFailsAtStartUpNamingTheDirectory) {
  Runtime rt(1, 1);
  ProviderContext ctx{rt.pool()};
  const auto cwd = fs::current_path();
  fs::current_path(fresh_dir("cwd"));
  xz::core::ConfigSource src;
  src.defaults_yaml = std::string(xz::core::default_config_yaml());
  src.default_override_path = "";
  src.overrides = {{"selected_module.ASR", "FunASR"}};
  auto cfg = xz::core::Config::load(src);
  try {
    xz::providers::make_asr(cfg, ctx);
    ADD_FAILURE() << "FunASR without a model was built";
  } catch (const EngineConfigError& e) {
    const std::string m = e.what();
    EXPECT_TRUE(m.starts_with("ASR.FunASR.model_dir: models/SenseVoiceSmall does not exist")) << m;
    EXPECT_NE(m.find("tokens.txt"), std::string::npos) << m;
  }
  fs::current_path(cwd);
}
