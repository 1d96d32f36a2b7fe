#include "tools/builtin/html_tree.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "tools/builtin/html_text.h"

namespace xz::tools::builtin {

namespace {

constexpr std::array<std::string_view, 14> kVoid = {"area", "base", "br",   "col",   "embed",  "hr",    "img",
                                                    "input", "link", "meta", "param", "source", "track", "wbr"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':';
}

std::string trimmed(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

class Builder {
 public:
  Builder(const HtmlLimits& limits) : limits_(limits), root_(std::make_unique<HtmlNode>()) {
    root_->tag = "#document";
    stack_.push_back(root_.get());
  }

  void text(std::string_view raw) {
    std::string t = html_inline_text(raw, 64 * 1024);
    if (t.empty() || !room()) return;
    auto node = std::make_unique<HtmlNode>();
    node->text = std::move(t);
    stack_.back()->children.push_back(std::move(node));
  }

  void open(std::string tag, std::vector<std::pair<std::string, std::string>> attrs, bool self_closing) {
    if (!room()) return;
    auto node = std::make_unique<HtmlNode>();
    node->tag = std::move(tag);
    for (const auto& [k, v] : attrs)
      if (k == "class") {
        std::size_t i = 0;
        while (i < v.size()) {
          while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
          std::size_t j = i;
          while (j < v.size() && !std::isspace(static_cast<unsigned char>(v[j]))) ++j;
          if (j > i) node->classes.emplace_back(v.substr(i, j - i));
          i = j;
        }
      }
    node->attributes = std::move(attrs);
    HtmlNode* raw = node.get();
    stack_.back()->children.push_back(std::move(node));
    const bool is_void = std::find(kVoid.begin(), kVoid.end(), raw->tag) != kVoid.end();
    if (!is_void && !self_closing && stack_.size() < limits_.max_depth) stack_.push_back(raw);
  }

  void close(std::string_view tag) {
    // Pop to the innermost open element of that name; a stray end tag is ignored.
    for (std::size_t i = stack_.size(); i-- > 1;)
      if (stack_[i]->tag == tag) {
        stack_.resize(i);
        return;
      }
  }

  std::unique_ptr<HtmlNode> take() { return std::move(root_); }

 private:
  bool room() { return ++nodes_ <= limits_.max_nodes; }

  const HtmlLimits& limits_;
  std::unique_ptr<HtmlNode> root_;
  std::vector<HtmlNode*> stack_;
  std::size_t nodes_ = 0;
};

struct SimpleSelector {
  std::string tag;
  std::vector<std::string> classes;
};

bool matches(const HtmlNode& n, const SimpleSelector& s) {
  if (n.tag.empty() || n.tag == "#document") return false;
  if (!s.tag.empty() && n.tag != s.tag) return false;
  for (const auto& c : s.classes)
    if (!n.has_class(c)) return false;
  return true;
}

// Pre-order, so matches come in document order. With descendant combinators only,
// matching each part at the first ancestor that fits is never worse than a later one, so
// one walk suffices (no backtracking, linear in the tree).
void collect(const HtmlNode& n, const std::vector<SimpleSelector>& sel, std::size_t part,
             std::vector<const HtmlNode*>& out) {
  for (const auto& child : n.children) {
    if (!matches(*child, sel[part])) {
      collect(*child, sel, part, out);
    } else if (part + 1 == sel.size()) {
      out.push_back(child.get());
      collect(*child, sel, part, out);
    } else {
      collect(*child, sel, part + 1, out);
    }
  }
}

void gather_text(const HtmlNode& n, std::vector<std::string>& pieces) {
  if (n.tag.empty()) {
    std::string t = trimmed(n.text);
    if (!t.empty()) pieces.push_back(std::move(t));
    return;
  }
  for (const auto& c : n.children) gather_text(*c, pieces);
}

}  // namespace

std::string HtmlNode::attribute(std::string_view name) const {
  for (const auto& [k, v] : attributes)
    if (k == name) return v;
  return {};
}

bool HtmlNode::has_class(std::string_view c) const { return std::find(classes.begin(), classes.end(), c) != classes.end(); }

std::unique_ptr<HtmlNode> parse_html(std::string_view html, const HtmlLimits& limits) {
  if (html.size() > limits.max_bytes) html = html.substr(0, limits.max_bytes);
  Builder b(limits);
  std::size_t i = 0;
  while (i < html.size()) {
    const std::size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) {
      b.text(html.substr(i));
      break;
    }
    if (lt > i) b.text(html.substr(i, lt - i));
    i = lt;
    if (html.compare(i, 4, "<!--") == 0) {
      const auto end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    if (i + 1 < html.size() && (html[i + 1] == '!' || html[i + 1] == '?')) {  // doctype, processing instruction
      const auto end = html.find('>', i);
      i = end == std::string_view::npos ? html.size() : end + 1;
      continue;
    }
    const bool closing = i + 1 < html.size() && html[i + 1] == '/';
    std::size_t p = i + (closing ? 2 : 1);
    const std::size_t name_start = p;
    while (p < html.size() && name_char(html[p])) ++p;
    if (p == name_start) {  // "<" that starts no tag is text
      b.text(html.substr(i, 1));
      ++i;
      continue;
    }
    const std::string tag = lower(html.substr(name_start, p - name_start));
    // Attributes up to '>' (quotes may hold '>').
    std::vector<std::pair<std::string, std::string>> attrs;
    bool self_closing = false;
    while (p < html.size() && html[p] != '>') {
      const char c = html[p];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++p;
        continue;
      }
      if (c == '/') {
        self_closing = true;
        ++p;
        continue;
      }
      const std::size_t a = p;
      while (p < html.size() && html[p] != '=' && html[p] != '>' && html[p] != '/' &&
             !std::isspace(static_cast<unsigned char>(html[p])))
        ++p;
      std::string name = lower(html.substr(a, p - a));
      std::string value;
      while (p < html.size() && std::isspace(static_cast<unsigned char>(html[p]))) ++p;
      if (p < html.size() && html[p] == '=') {
        ++p;
        while (p < html.size() && std::isspace(static_cast<unsigned char>(html[p]))) ++p;
        if (p < html.size() && (html[p] == '"' || html[p] == '\'')) {
          const char q = html[p++];
          const auto end = html.find(q, p);
          const std::size_t stop = end == std::string_view::npos ? html.size() : end;
          value = html_inline_text(html.substr(p, stop - p), 8192);
          p = stop == html.size() ? stop : stop + 1;
        } else {
          const std::size_t v = p;
          while (p < html.size() && html[p] != '>' && !std::isspace(static_cast<unsigned char>(html[p]))) ++p;
          value = html_inline_text(html.substr(v, p - v), 8192);
        }
      }
      if (!name.empty() && attrs.size() < 64) attrs.emplace_back(std::move(name), std::move(value));
      self_closing = false;
    }
    i = p < html.size() ? p + 1 : html.size();
    if (closing) {
      b.close(tag);
      continue;
    }
    b.open(tag, std::move(attrs), self_closing);
    if (tag == "script" || tag == "style" || tag == "textarea" || tag == "title") {
      // Raw text up to its end tag; kept only for the last two.
      std::size_t end = i;
      const std::string close_tag = "</" + tag;
      for (;; ++end) {
        end = html.find("</", end);
        if (end == std::string_view::npos || lower(html.substr(end, close_tag.size())) == close_tag) break;
      }
      if (end == std::string_view::npos) end = html.size();
      if (tag == "textarea" || tag == "title") b.text(html.substr(i, end - i));
      b.close(tag);
      const auto gt = html.find('>', end);
      i = end == html.size() || gt == std::string_view::npos ? html.size() : gt + 1;
    }
  }
  return b.take();
}

std::vector<const HtmlNode*> html_select(const HtmlNode& root, std::string_view selector) {
  std::vector<SimpleSelector> parts;
  std::size_t i = 0;
  while (i < selector.size()) {
    while (i < selector.size() && selector[i] == ' ') ++i;
    std::size_t j = selector.find(' ', i);
    if (j == std::string_view::npos) j = selector.size();
    if (j > i) {
      const std::string_view part = selector.substr(i, j - i);
      SimpleSelector s;
      std::size_t k = part.find('.');
      s.tag = lower(part.substr(0, k));
      while (k != std::string_view::npos) {
        const std::size_t next = part.find('.', k + 1);
        const auto c = part.substr(k + 1, next == std::string_view::npos ? std::string_view::npos : next - k - 1);
        if (!c.empty()) s.classes.emplace_back(c);
        k = next;
      }
      parts.push_back(std::move(s));
    }
    i = j;
  }
  std::vector<const HtmlNode*> out;
  if (!parts.empty()) collect(root, parts, 0, out);
  return out;
}

const HtmlNode* html_select_one(const HtmlNode& root, std::string_view selector) {
  auto all = html_select(root, selector);
  return all.empty() ? nullptr : all.front();
}

std::string html_text_of(const HtmlNode& node, std::string_view separator) {
  std::vector<std::string> pieces;
  gather_text(node, pieces);
  std::string out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i) out += separator;
    out += pieces[i];
  }
  return out;
}

}  // namespace xz::tools::builtin
