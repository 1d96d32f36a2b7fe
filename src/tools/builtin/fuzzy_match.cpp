#include "tools/builtin/fuzzy_match.h"

#include <array>
#include <tuple>
#include <vector>

namespace xz::tools::builtin {

namespace {

struct Block {
  std::size_t i, j, size;
};

// difflib's find_longest_match without junk: the longest common block of a[alo:ahi]
// and b[blo:bhi], the earliest one on ties.
Block longest_match(std::u32string_view a, std::u32string_view b, std::size_t alo, std::size_t ahi, std::size_t blo,
                    std::size_t bhi) {
  Block best{alo, blo, 0};
  std::vector<std::size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (std::size_t i = alo; i < ahi; ++i) {
    for (std::size_t j = blo; j < bhi; ++j) {
      cur[j + 1] = a[i] == b[j] ? prev[j] + 1 : 0;
      if (cur[j + 1] > best.size) best = {i + 1 - cur[j + 1], j + 1 - cur[j + 1], cur[j + 1]};
    }
    std::swap(prev, cur);
    std::fill(cur.begin(), cur.end(), 0);
  }
  return best;
}

bool is_separator(char32_t c) {
  if (c < 0x80) return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  // General and CJK punctuation, full-width forms' punctuation, the middle dot.
  return (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
         (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65) || c == 0xB7;
}

}  // namespace

double sequence_ratio(std::u32string_view a, std::u32string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  std::size_t matched = 0;
  std::vector<std::array<std::size_t, 4>> todo{{0, a.size(), 0, b.size()}};
  while (!todo.empty()) {
    auto [alo, ahi, blo, bhi] = todo.back();
    todo.pop_back();
    const Block m = longest_match(a, b, alo, ahi, blo, bhi);
    if (m.size == 0) continue;
    matched += m.size;
    if (alo < m.i && blo < m.j) todo.push_back({alo, m.i, blo, m.j});
    if (m.i + m.size < ahi && m.j + m.size < bhi) todo.push_back({m.i + m.size, ahi, m.j + m.size, bhi});
  }
  return 2.0 * static_cast<double>(matched) / static_cast<double>(a.size() + b.size());
}

std::u32string normalise_title(std::string_view s) {
  std::u32string out;
  bool space = true;  // drops leading separators
  for (std::size_t i = 0; i < s.size();) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    std::size_t len = c0 < 0x80 ? 1 : (c0 >> 5) == 0x6 ? 2 : (c0 >> 4) == 0xE ? 3 : (c0 >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      ++i;  // not UTF-8: skip the byte
      continue;
    }
    char32_t cp = len == 1 ? c0 : c0 & (0x7F >> len);
    bool ok = true;
    for (std::size_t k = 1; k < len; ++k) {
      const auto ck = static_cast<unsigned char>(s[i + k]);
      if ((ck & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (ck & 0x3F);
    }
    i += ok ? len : 1;
    if (!ok) continue;
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    if (is_separator(cp)) {
      if (!space) out.push_back(U' ');
      space = true;
    } else {
      out.push_back(cp);
      space = false;
    }
  }
  if (!out.empty() && out.back() == U' ') out.pop_back();
  return out;
}

double title_match_score(std::string_view query, std::string_view title) {
  const std::u32string q = normalise_title(query), t = normalise_title(title);
  double score = sequence_ratio(q, t);
  if (q.size() >= 2 && t.find(q) != std::u32string::npos) score += 1.0;
  return score;
}

}  // namespace xz::tools::builtin
