#pragma once
// What TTS says and what the device screen shows, made from LLM text: markdown
// cleaned, emoji removed, configured word replacements applied (speech only).
// Also the small UTF-8 helpers the text stages share. All functions are pure.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/encoding.h"

namespace xz::pipeline {

// ---------------------------------------------------------------- UTF-8 helpers
struct CodePoint {
  char32_t value = 0;       // U+FFFD for an invalid byte
  std::size_t length = 1;   // bytes used (1 for an invalid byte)
  bool complete = true;     // false: a valid sequence cut off by the end of the text
};
// Decodes the code point starting at text[pos] (pos < text.size()).
CodePoint decode_utf8(std::string_view text, std::size_t pos);
using protocol::append_utf8;

// Han ideographs, kana, hangul, bopomofo.
bool is_cjk(char32_t cp);
// Emoji and pictographs (also the components that only make sense inside an emoji:
// variation selectors, skin tones, keycap, tags; not the ZWJ, see remove_emoji).
bool is_emoji(char32_t cp);
bool is_space(char32_t cp);
// ASCII, general, CJK and full-width punctuation and symbols.
bool is_punctuation(char32_t cp);

// ---------------------------------------------------------------- cleaning
// Markdown -> plain text: fenced code blocks dropped, inline code unwrapped, heading,
// emphasis and strike markers removed, images dropped, links -> their text, block
// quote and bullet markers removed, table rows -> "a, b, c." ("a，b，c。" for CJK),
// $$…$$ math dropped, HTML tags stripped. Lines are kept; blank lines are dropped.
std::string clean_markdown(std::string_view text);

// clean_markdown for text that arrives line by line (a streamed reply): the state that
// crosses lines (an open code fence, a table) is kept between calls. Differences from
// clean_markdown over the whole text: a table header row without a leading '|' is read
// as text (its separator line comes after it), and $$…$$ math is dropped only within
// one line.
class MarkdownLines {
 public:
  // One complete line (no '\n'): what is spoken of it, emoji removed, spaces collapsed,
  // "" for nothing.
  std::string clean_line(std::string_view line);
  // The same for the start of a line not complete yet, without changing the state.
  std::string preview(std::string_view partial_line) const;
  bool in_code() const { return fence_run_ != 0; }
  bool in_table() const { return in_table_; }

 private:
  std::size_t fence_run_ = 0;  // the open fence's backtick run; 0 = none
  bool in_table_ = false;
};

// Removes emoji, pictographs, skin tones, variation selectors, keycaps, flags and
// ZWJ sequences; keeps CJK, letters and punctuation. A space left double by a removed
// emoji is collapsed.
std::string remove_emoji(std::string_view text);

// The reference's strip for user text shown by `stt`: leading/trailing whitespace,
// emoji and `，,。.！!“”":：-－、[]【】` (not `？?`).
std::string strip_edge_punctuation(std::string_view text);

// True when Han/kana/hangul characters outnumber Latin-script words.
bool is_mostly_cjk(std::string_view text);

// The reference's `correct_words`: "original|replacement" entries, applied to the TTS
// input only, longest original first at each position.
class ReplacementWords {
 public:
  ReplacementWords() = default;
  // Throws std::invalid_argument naming the entry when it has no '|' or an empty
  // original. A later entry for the same original replaces an earlier one.
  explicit ReplacementWords(std::span<const std::string> entries);

  std::string apply(std::string_view text) const;
  // The same over text that arrives in pieces: applies to the start of *pending what no
  // later piece can change, removes it from *pending and returns it replaced; the rest
  // (the start of a possible match) waits. at_end: everything is applied.
  std::string apply_streamed(std::string& pending, bool at_end) const;
  bool empty() const { return rules_.empty(); }
  std::size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    std::string from, to;
  };
  std::vector<Rule> rules_;                                // longest `from` first
  std::array<std::vector<std::uint32_t>, 256> by_first_;   // rule indexes by first byte
};

// Subtitle (`sentence_start` text): markdown cleaned, emoji and newlines removed,
// whitespace collapsed and trimmed.
std::string for_subtitle(std::string_view text);
// TTS input: the subtitle text with the replacements applied.
std::string for_speech(std::string_view text);
std::string for_speech(std::string_view text, const ReplacementWords& words);

}  // namespace xz::pipeline
