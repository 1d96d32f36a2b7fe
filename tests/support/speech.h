#pragma once
// Test audio made on the spot: flite speaks any sentence (pocketsphinx hears it well),
// plus silence and tones for the negative cases.
#include <cstdint>
#include <string>
#include <vector>

namespace xz::test {

// 16 kHz mono speech of `text` by flite's slt voice.
std::vector<std::int16_t> flite_speech(const std::string& text);
// 16 kHz mono speech of `text` by espeak-ng (run as a program) with `voice`, e.g. "cmn"
// for Mandarin; espeak-ng's own 22.05 kHz output resampled.
std::vector<std::int16_t> espeak_speech(const std::string& text, const std::string& voice);
std::vector<std::int16_t> silence(double seconds, int rate = 16000);
std::vector<std::int16_t> tone(double seconds, double hz, int rate = 16000, double amplitude = 0.3);
// A linear chirp f0 -> f1: its autocorrelation has one sharp peak, so the lag that best
// aligns a decoded copy with it is unambiguous.
std::vector<std::int16_t> chirp(double seconds, int rate, double f0 = 200, double f1 = 3000);

struct SignalMatch {
  double correlation = 0;  // normalised, of source against decoded[lag...]
  std::size_t lag = 0;
};
// The best alignment of `decoded` with `source` over 0 <= lag < max_lag.
SignalMatch best_match(const std::vector<std::int16_t>& source, const std::vector<std::int16_t>& decoded,
                       std::size_t max_lag);

// a + b, concatenated.
std::vector<std::int16_t> concat(std::vector<std::vector<std::int16_t>> parts);

}  // namespace xz::test
