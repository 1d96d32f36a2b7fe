#pragma once
// The emotion shown on the device face for a turn: the first emoji of the reference's
// EMOJI_MAP found in the LLM's text, else "happy". Names are the ones the stock
// firmware emoji sets understand.
#include <span>
#include <string>
#include <string_view>

namespace xz::pipeline {

struct Emotion {
  std::string name, emoji;
};

struct EmotionEntry {
  std::string_view name, emoji;
};

// The 21 mapped emotions, in the firmware's order (neutral, happy, laughing, …).
std::span<const EmotionEntry> emotion_table();

// The first mapped emoji in text order, else {"happy", "🙂"}.
Emotion detect_emotion(std::string_view text);

// "😶 neutral, 🙂 happy, …" for the system prompt.
std::string emotion_list_for_prompt();

}  // namespace xz::pipeline
