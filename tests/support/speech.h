#pragma once
// Test audio made on the spot: flite speaks any sentence (pocketsphinx hears it well),
// plus silence and tones for the negative cases.
#include <cstdint>
#include <string>
#include <vector>

namespace xz::test {

// 16 kHz mono speech of `text` by flite's slt voice.
std::vector<std::int16_t> flite_speech(const std::string& text);
std::vector<std::int16_t> silence(double seconds, int rate = 16000);
std::vector<std::int16_t> tone(double seconds, double hz, int rate = 16000, double amplitude = 0.3);
// a + b, concatenated.
std::vector<std::int16_t> concat(std::vector<std::vector<std::int16_t>> parts);

}  // namespace xz::test
