#include "support/speech.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <numbers>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

#include "audio/resampler.h"
#include "audio/wav.h"

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_slt(const char* voxdir);
}

namespace xz::test {

std::vector<std::int16_t> flite_speech(const std::string& text) {
  // flite's globals are not thread-safe; tests may call this from several threads.
  static std::mutex mu;
  std::lock_guard lk(mu);
  static cst_voice* voice = [] {
    flite_init();
    return register_cmu_us_slt(nullptr);
  }();
  std::srand(1);  // flite dithers with rand(): make test audio the same every time
  cst_wave* w = flite_text_to_wave(text.c_str(), voice);
  if (!w) throw std::runtime_error("flite failed");
  if (w->sample_rate != 16000) cst_wave_resample(w, 16000);
  std::vector<std::int16_t> out(w->samples, w->samples + w->num_samples);
  delete_wave(w);
  return out;
}

std::vector<std::int16_t> espeak_speech(const std::string& text, const std::string& voice) {
  const auto wav = std::filesystem::temp_directory_path() /
                   ("xz-espeak-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()) + ".wav");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("espeak_speech: fork failed");
  if (pid == 0) {
    ::execlp("espeak-ng", "espeak-ng", "-v", voice.c_str(), "-w", wav.c_str(), "--", text.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string error;
  auto audio = audio::read_wav_file(wav, &error);
  std::error_code ec;
  std::filesystem::remove(wav, ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !audio) {
    throw std::runtime_error("espeak-ng -v " + voice + " failed: " + error);
  }
  auto mono = audio::downmix_to_mono(audio->samples, audio->channels);
  return audio->sample_rate == 16000 ? mono : audio::resample_once(mono, audio->sample_rate, 16000);
}

std::vector<std::int16_t> silence(double seconds, int rate) {
  return std::vector<std::int16_t>(static_cast<std::size_t>(seconds * rate), 0);
}

std::vector<std::int16_t> tone(double seconds, double hz, int rate, double amplitude) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * rate));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::int16_t>(amplitude * 32767.0 *
                                       std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate));
  return out;
}

std::vector<std::int16_t> chirp(double seconds, int rate, double f0, double f1) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(seconds * rate));
  const double k = (f1 - f0) / seconds;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    out[i] = static_cast<std::int16_t>(0.4 * 32767 * std::sin(2 * std::numbers::pi * (f0 * t + k * t * t / 2)));
  }
  return out;
}

SignalMatch best_match(const std::vector<std::int16_t>& source, const std::vector<std::int16_t>& decoded,
                       std::size_t max_lag) {
  SignalMatch best;
  for (std::size_t lag = 0; lag < max_lag && lag < decoded.size(); ++lag) {
    const std::size_t n = std::min(source.size(), decoded.size() - lag);
    double sd = 0, ss = 0, dd = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double a = source[i], b = decoded[lag + i];
      sd += a * b;
      ss += a * a;
      dd += b * b;
    }
    const double c = ss > 0 && dd > 0 ? sd / std::sqrt(ss * dd) : 0;
    if (c > best.correlation) best = {c, lag};
  }
  return best;
}

std::vector<std::int16_t> concat(std::vector<std::vector<std::int16_t>> parts) {
  std::vector<std::int16_t> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace xz::test
