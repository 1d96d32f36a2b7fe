#pragma once
// SenseVoice's tags: the model prefixes what it hears with <|language|><|EMOTION|><|Event|>
// <|withitn|> (sherpa-onnx hands them back as separate fields; a FunASR server leaves
// them in the text). The text that reaches the LLM carries none of them.
#include <string>
#include <string_view>
#include <vector>

namespace xz::providers {

struct TaggedText {
  std::string text;               // every <|...|> removed, surrounding white space trimmed
  std::vector<std::string> tags;  // their insides, in order: {"zh", "HAPPY", "Speech", "withitn"}
};

// Splits `text` into its tags and the rest. Text between a "<|" and the next "|>" is a
// tag when it is 1 to 32 bytes without '<', '|' or '>' (a tag that forms once an inner
// one is removed goes too); anything else stays text.
TaggedText split_sense_voice_tags(std::string_view text);

// "zh" for "<|zh|>"; a string that is not exactly one tag comes back trimmed.
std::string tag_name(std::string_view tag);

// The reference's emoji for a SenseVoice emotion (HAPPY -> 🙂, SAD -> 😔, ANGRY -> 😡,
// NEUTRAL and EMO_UNKNOWN -> 😶, FEARFUL -> 😰, DISGUSTED -> 🤢, SURPRISED -> 😲);
// another name comes back as it is.
std::string_view sense_voice_emotion_emoji(std::string_view emotion);

}  // namespace xz::providers
