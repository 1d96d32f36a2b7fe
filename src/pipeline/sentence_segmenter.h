#pragma once
// Cuts streamed LLM text into segments for TTS, as early as it safely can.
//
// The first segment may end at a comma-class mark (，、～ , ~) for low latency; later
// ones end at sentence marks (。？！；： . ? ! ; :) and line breaks. Each complete
// sentence is its own segment. Full-width marks cut at once. ASCII marks cut only
// when followed by whitespace, a CJK character or the end of the input, so numbers,
// times and URLs ("3.14", "1,000", "10:30", "https://x.org/a.b?c=d") are never cut;
// a delta that ends right after such a mark is held until the next delta (or finish())
// decides. Abbreviations ("e.g.", "Mr.", "Dr.", initials) and list numbers ("1.") do
// not end a sentence. Fenced code blocks are skipped: they are never spoken, and
// cleaning segment by segment could not remove a block spanning several segments.
// A segment is never longer than max_chars code points: a longer run is cut at its
// last space or full-width comma before the cap, else hard at the cap on a character
// boundary. Segments are trimmed; ones without a letter, digit or ideograph are dropped.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xz::pipeline {

class SentenceSegmenter {
 public:
  struct Options {
    std::size_t max_chars = 120;      // code points per segment (at least 1)
    std::size_t min_first_chars = 2;  // letters/ideographs the first segment needs before it may end
  };

  SentenceSegmenter();
  explicit SentenceSegmenter(Options opts);

  // Adds a delta (any byte split, even inside a UTF-8 sequence); returns the segments
  // it completed, in order.
  std::vector<std::string> push(std::string_view delta);
  // Ends the stream: returns what is left, if speakable, and resets for a new stream.
  std::optional<std::string> finish();
  // Drops everything; the next segment is a "first" segment again.
  void reset();

 private:
  struct Cut {
    std::size_t end;    // bytes of the buffer the segment consumes
    bool speakable;     // holds a letter, digit or ideograph
  };

  void drain(bool at_end, std::vector<std::string>& out);
  bool skip_code_block(bool at_end);
  void skip_whitespace();
  // 1 = a fence opened, 0 = no fence, -1 = cannot tell yet.
  int open_code_block(bool at_end);
  bool skip_orphan_marks(bool at_end, bool& need_more);
  std::optional<Cut> find_cut(bool at_end) const;
  std::size_t absorb_closers(std::size_t pos, std::size_t budget) const;
  bool is_abbreviation_or_list_number(std::size_t dot) const;
  std::size_t safe_hard_cut(std::size_t pos) const;
  void emit(const Cut& cut, std::vector<std::string>& out);

  Options opts_;
  std::string buf_;
  bool first_done_ = false;    // the first segment was emitted
  bool line_start_ = true;     // buf_ starts at the beginning of a line
  bool in_code_ = false;       // inside a fenced code block
  char fence_char_ = '`';
  std::size_t fence_run_ = 3;
  bool code_line_start_ = false;  // inside a code block, buf_ starts a line
};

}  // namespace xz::pipeline
