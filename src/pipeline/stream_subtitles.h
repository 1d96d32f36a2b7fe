#pragma once
// When each `sentence_start` of a streamed reply is due. A dual-stream engine gets the
// LLM's text as it streams, so which audio belongs to which of the segmenter's segments
// is not known from the synthesis calls, as it is on the sentence path. Two sources:
//   - the vendor's own sentence events (Huoshan, Aliyun): a vendor sentence that starts
//     at character k of the reply (its text, when it names it) shows every segment
//     up to the one holding character k; one without text shows the next segment;
//   - otherwise, and between vendor events, the segment's length in speech: a segment
//     is due once the reply's audio reaches the summed estimates of those before it
//     (about 0.22 s per CJK character, 0.065 s per other letter or digit).
// Characters are counted in the speech text (letters, digits, ideographs), the text the
// vendor also speaks. What is never reached (a failed reply, the vendor's last
// sentence) is shown by rest().
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xz::pipeline {

class StreamSubtitles {
 public:
  void reset();
  // A segment of the reply: `subtitle` is shown, `speech` is what the engine speaks of it.
  void add(std::string subtitle, std::string_view speech);
  // The vendor starts a sentence; `text` is its own, "" when it names none.
  void vendor_sentence(std::string_view text);
  // Audio is about to be queued after `seconds_before` of this reply's audio: the
  // subtitles due before it, in order.
  std::vector<std::string> due(double seconds_before);
  // Everything not shown yet.
  std::vector<std::string> rest();
  std::size_t shown() const { return next_; }

 private:
  struct Entry {
    std::string subtitle;
    std::size_t chars = 0;
    double seconds = 0;
  };
  std::vector<Entry> entries_;
  std::size_t next_ = 0;          // entries shown
  std::size_t shown_chars_ = 0;   // characters of the shown entries
  double shown_seconds_ = 0;      // estimated length of the shown entries
  std::size_t vendor_sentences_ = 0;  // vendor sentences without a text
  std::size_t vendor_chars_ = 0;      // characters of the vendor's named sentences so far
  bool vendor_named_ = false;         // a named vendor sentence started at vendor_start_
  std::size_t vendor_start_ = 0;
};

// Characters that count (letters, digits, ideographs) and their estimated speech time.
std::size_t speech_chars(std::string_view text);
double speech_seconds(std::string_view text);

}  // namespace xz::pipeline
