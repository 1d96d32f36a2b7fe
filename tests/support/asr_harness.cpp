#include "support/asr_harness.h"

#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include "build_paths.h"
#include "core/async.h"
#include "core/config.h"
#include "support/speech.h"

namespace xz::test {

nlohmann::json reference_asr_entry(const std::string& name) {
  std::ifstream in(XZ_TEST_FIXTURES_DIR "/reference_config.yaml", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto root = core::Config::parse_yaml(ss.str(), "reference_config.yaml");
  return root.at("ASR").at(name);
}

providers::AsrResult transcribe(core::Runtime& rt, providers::AsrEngine& engine, const std::vector<std::int16_t>& pcm,
                                std::chrono::seconds limit) {
  auto job = [&]() -> core::Task<providers::AsrResult> {
    auto stream = co_await engine.open();
    for (std::size_t at = 0; at < pcm.size(); at += 960) {
      const std::size_t n = std::min<std::size_t>(960, pcm.size() - at);
      co_await stream->push(std::vector<std::int16_t>(pcm.begin() + static_cast<std::ptrdiff_t>(at),
                                                      pcm.begin() + static_cast<std::ptrdiff_t>(at + n)));
    }
    co_return co_await stream->finish();
  };
  auto fut = boost::asio::co_spawn(rt.loop(0), job(), boost::asio::use_future);
  if (fut.wait_for(limit) != std::future_status::ready) throw std::runtime_error("transcribe: no result in time");
  return fut.get();
}

std::string CloudAsrTest::error_of(providers::AsrEngine& asr) {
  try {
    transcribe(rt, asr, flite_speech("hello"));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace xz::test
