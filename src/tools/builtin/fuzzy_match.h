#pragma once
// Fuzzy title matching for spoken requests ("play two tigers" -> "Two_Tigers.mp3"):
// Python difflib's SequenceMatcher ratio over normalised Unicode text.
#include <string>
#include <string_view>

namespace xz::tools::builtin {

// difflib.SequenceMatcher(None, a, b).ratio(): 2 * matched / (len(a) + len(b)), where
// matched sums the recursively found longest common blocks; 1.0 for two empty strings.
double sequence_ratio(std::u32string_view a, std::u32string_view b);

// Lower-cased ASCII, punctuation and '_' as spaces, runs of spaces collapsed, trimmed;
// invalid UTF-8 bytes are dropped.
std::u32string normalise_title(std::string_view utf8);

// How well `query` names `title`: the ratio of the normalised forms, plus 1 when the
// whole query (2+ characters) appears in the title. Above 0.4 counts as a match.
double title_match_score(std::string_view query, std::string_view title);
inline constexpr double kTitleMatchThreshold = 0.4;

}  // namespace xz::tools::builtin
