#pragma once
// How much silence ends this turn, from a streaming ASR's latest partial transcript:
// a complete sentence (。！？.!?) ends sooner, a trailing filler or conjunction ("um",
// "and", "因为", "然后") waits longer, anything else waits the configured min silence.
// Pure: the same text always gives the same answer. Without partials it is never asked.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "providers/provider_context.h"

namespace xz::providers {

struct TurnEndPolicyOptions {
  bool enabled = true;
  std::uint64_t complete_sentence_samples = 1920;  // 120 ms at 16 kHz
  std::uint64_t max_trailing_samples = 9600;       // 600 ms
  // Matched case-insensitively: an ASCII word against the partial's last word, anything
  // else (Chinese) against its last characters.
  std::vector<std::string> trailing_words;
};

// The defaults for trailing_words: English and Chinese fillers and conjunctions.
std::vector<std::string> default_trailing_words();

// Config keys (VAD section): adaptive_end_of_turn, complete_sentence_silence_ms,
// max_trailing_silence_ms, trailing_words (null = the defaults). Throws
// EngineConfigError naming the key.
TurnEndPolicyOptions read_turn_end_options(const EngineConfig& cfg);

class TurnEndPolicy {
 public:
  enum class Ending { open, complete, trailing };

  TurnEndPolicy(TurnEndPolicyOptions opts, std::uint64_t min_silence_samples);

  // What the partial's end says about the turn.
  Ending classify(std::string_view partial) const;
  // The silence (samples) that ends the turn after `partial`: never below
  // min(complete_sentence, min_silence), never above max(max_trailing, min_silence).
  std::uint64_t end_silence(std::string_view partial) const;

 private:
  TurnEndPolicyOptions opts_;
  std::uint64_t min_silence_;
};

}  // namespace xz::providers
