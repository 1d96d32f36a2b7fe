#pragma once
// What sherpa-onnx 1.13.8's offline TTS would end the whole process on (exit(), not an
// error) when a model directory is wrong: checked before the library sees the files, so
// a bad model is one clear start-up error instead. Pure functions of the files' bytes.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace xz::providers::sherpa_tts {

// tokens.txt as sherpa-onnx reads it (lexicon.cc ReadTokens): each line "<symbol> <id>"
// or "<id>" alone (the symbol is then a space), nothing after the id, not even a space.
// The first offending line, or nullopt when every line is well formed.
std::optional<std::string> tokens_problem(std::string_view text);

// How a VITS model (MeloTTS included) turns text into tokens, as its metadata decides.
enum class VitsFrontend { characters, lexicon, jieba_lexicon, melo_english, espeak };

struct VitsFiles {
  bool lexicon = false;   // a lexicon file is given
  bool data_dir = false;  // espeak-ng-data is given
  bool dict_dir = false;  // jieba's dict is given
};

// Checks the metadata sherpa-onnx's VITS loader reads (offline-tts-vits-model.cc) and that
// the files given suit its frontend (offline-tts-vits-impl.h). Returns the frontend.
// Throws std::runtime_error naming the key or the file missing.
VitsFrontend check_vits(const std::map<std::string, std::string>& meta, const VitsFiles& files);

// The model's metadata `key` read as sherpa-onnx reads it (atoi); nullopt when absent or "".
std::optional<long> metadata_integer(const std::map<std::string, std::string>& meta, const std::string& key);

}  // namespace xz::providers::sherpa_tts
