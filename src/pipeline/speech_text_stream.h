#pragma once
// A reply's text as a dual-stream TTS engine gets it: the LLM's deltas, cleaned as
// for_speech cleans a whole segment (markdown, code blocks, emoji, spaces, the
// configured replacement words, also across delta boundaries), released as soon as
// what follows can no longer change them: complete lines at once, and the start of a
// line up to its last word boundary outside any unclosed markup (`**bold`, `[link`,
// `` `code ``, `<tag`, `$math`). A line that may be a code fence, a table row or a
// bare list/heading marker waits for its end. Lines join as for_subtitle joins them.
#include <string>
#include <string_view>

#include "pipeline/speech_text.h"

namespace xz::pipeline {

class SpeechTextStream {
 public:
  // `words` (may be null) must outlive the stream.
  explicit SpeechTextStream(const ReplacementWords* words = nullptr) : words_(words) {}

  // A new reply (and its replacement words).
  void reset(const ReplacementWords* words);
  // Text as the LLM wrote it, any split (even inside a UTF-8 sequence): what can be
  // spoken now, possibly "".
  std::string push(std::string_view delta);
  // The end of the reply's text: the rest.
  std::string finish();

 private:
  std::string release_line_part(std::string cleaned, bool space_after);
  std::string emit(std::string text, bool at_end);
  std::size_t stable_prefix(std::string_view line) const;
  static std::size_t last_boundary(std::string_view line, std::size_t limit);
  static std::size_t first_unclosed(std::string_view s);

  const ReplacementWords* words_ = nullptr;
  MarkdownLines markdown_;
  std::string line_;         // the current, incomplete line (raw)
  std::string line_sent_;    // what of it was released (cleaned, before replacements)
  bool line_started_ = false;  // something of the current line was released
  bool space_sent_ = false;    // ... ending with a space cleaning does not keep
  char32_t last_char_ = 0;   // the last character released (for joining lines)
  std::string pending_;      // cleaned text waiting for the replacement words
};

}  // namespace xz::pipeline
