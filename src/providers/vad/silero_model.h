#pragma once
// The Silero VAD v5 network on ONNX Runtime: one Env + Session, loaded once and shared
// by every stream. run() is a pure function of (state, samples), safe from any thread
// (Ort::Session::Run is thread-safe), so streams keep only their small state.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace xz::providers {

class SileroModel {
 public:
  static constexpr std::size_t kWindow = 512;   // 32 ms at 16 kHz
  static constexpr std::size_t kContext = 64;   // samples of the previous window fed again
  static constexpr std::size_t kStateSize = 2 * 1 * 128;

  // What a stream carries from one window to the next.
  struct State {
    std::array<float, kStateSize> lstm{};
    std::array<float, kContext> context{};
  };

  // Throws EngineConfigError if the file is missing or is not a v5 Silero model.
  explicit SileroModel(const std::string& path);
  ~SileroModel();
  SileroModel(const SileroModel&) = delete;
  SileroModel& operator=(const SileroModel&) = delete;

  // Runs samples.size() / kWindow windows in order (a tail shorter than a window is
  // ignored), advancing `state`; one speech probability per window.
  // Throws std::runtime_error on inference errors.
  std::vector<float> run(State& state, std::span<const std::int16_t> samples) const;

 private:
  struct Ort;
  std::unique_ptr<Ort> ort_;
};

}  // namespace xz::providers
