#include "pipeline/prompt_template.h"

#include <cctype>
#include <set>

#include <fmt/format.h>

namespace xz::pipeline {

struct PromptTemplate::Node {
  enum class Kind { text, name, branch };
  struct Branch {
    std::string name;  // "" = else
    bool negated = false;
    std::vector<Node> body;
  };
  Kind kind = Kind::text;
  std::string text;             // text, or the name of {{ name }}
  std::vector<Branch> branches;  // if / elif ... / else
};

namespace {

using Node = PromptTemplate::Node;

// Ifs nested deeper than this are refused (a recursive renderer must stay shallow).
constexpr int kMaxDepth = 32;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

struct Tag {
  enum class Kind { text, expr, stmt, comment };
  Kind kind = Kind::text;
  std::string_view body;  // inside the delimiters, trim markers removed
  int line = 1;
};

// Splits the source into text and tags, applying the "-" whitespace trims.
std::vector<Tag> tokenize(std::string_view src) {
  std::vector<Tag> out;
  int line = 1;
  std::size_t i = 0;
  bool trim_next_text = false;
  auto line_at = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k)
      if (src[k] == '\n') ++line;
  };
  while (i <= src.size()) {
    std::size_t open = src.find('{', i);
    while (open != std::string_view::npos && open + 1 < src.size() && src[open + 1] != '{' && src[open + 1] != '%' &&
           src[open + 1] != '#')
      open = src.find('{', open + 1);
    if (open != std::string_view::npos && open + 1 >= src.size()) open = std::string_view::npos;
    std::string_view text = src.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i);
    const int text_line = line;
    line_at(i, open == std::string_view::npos ? src.size() : open);
    if (trim_next_text) {
      while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
      trim_next_text = false;
    }
    if (open == std::string_view::npos) {
      if (!text.empty()) out.push_back({Tag::Kind::text, text, text_line});
      break;
    }
    const char kind = src[open + 1];
    const std::string_view closer = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    std::size_t body_from = open + 2;
    const bool trim_before = body_from < src.size() && src[body_from] == '-';
    if (trim_before) {
      ++body_from;
      while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    }
    if (!text.empty()) out.push_back({Tag::Kind::text, text, text_line});
    const std::size_t close = src.find(closer, body_from);
    if (close == std::string_view::npos)
      throw PromptTemplateError(fmt::format("line {}: '{}{}' is never closed with '{}'", line, '{', kind, closer));
    std::string_view body = src.substr(body_from, close - body_from);
    if (!body.empty() && body.back() == '-') {
      body.remove_suffix(1);
      trim_next_text = true;
    }
    const Tag::Kind k = kind == '{' ? Tag::Kind::expr : kind == '%' ? Tag::Kind::stmt : Tag::Kind::comment;
    out.push_back({k, trim(body), line});
    line_at(open, close + 2);
    i = close + 2;
  }
  return out;
}

// "name" or "not name".
std::pair<std::string, bool> condition(std::string_view cond, int line) {
  cond = trim(cond);
  bool negated = false;
  if (cond.starts_with("not") && cond.size() > 3 && is_space(cond[3])) {
    negated = true;
    cond = trim(cond.substr(3));
  }
  if (!is_identifier(cond))
    throw PromptTemplateError(fmt::format(
        "line {}: only 'if name' and 'if not name' are supported, not 'if {}'", line, cond));
  return {std::string(cond), negated};
}

class Parser {
 public:
  explicit Parser(std::vector<Tag> tags) : tags_(std::move(tags)) {}

  std::vector<Node> parse_all() {
    std::vector<Node> nodes = parse_block(0);
    if (pos_ < tags_.size()) {
      const Tag& t = tags_[pos_];
      throw PromptTemplateError(fmt::format("line {}: '{{% {} %}}' without a matching '{{% if %}}'", t.line, t.body));
    }
    return nodes;
  }

 private:
  static std::string_view keyword(std::string_view stmt) {
    std::size_t end = 0;
    while (end < stmt.size() && !is_space(stmt[end])) ++end;
    return stmt.substr(0, end);
  }

  // Nodes until the end, or until an elif/else/endif (left for the caller).
  std::vector<Node> parse_block(int depth) {
    std::vector<Node> nodes;
    while (pos_ < tags_.size()) {
      const Tag& t = tags_[pos_];
      switch (t.kind) {
        case Tag::Kind::text:
          nodes.push_back({Node::Kind::text, std::string(t.body), {}});
          ++pos_;
          break;
        case Tag::Kind::comment:
          ++pos_;
          break;
        case Tag::Kind::expr:
          if (!is_identifier(t.body))
            throw PromptTemplateError(fmt::format(
                "line {}: only plain names are supported inside {{{{ }}}} (no filters, calls or "
                "arithmetic), not '{}'",
                t.line, t.body));
          nodes.push_back({Node::Kind::name, std::string(t.body), {}});
          ++pos_;
          break;
        case Tag::Kind::stmt: {
          const std::string_view kw = keyword(t.body);
          if (kw == "elif" || kw == "else" || kw == "endif") return nodes;
          if (kw != "if")
            throw PromptTemplateError(
                fmt::format("line {}: '{{% {} %}}' is not supported (only if, elif, else, endif)", t.line, kw));
          if (depth >= kMaxDepth)
            throw PromptTemplateError(fmt::format("line {}: ifs nested more than {} deep", t.line, kMaxDepth));
          nodes.push_back(parse_if(depth));
          break;
        }
      }
    }
    return nodes;
  }

  Node parse_if(int depth) {
    const int if_line = tags_[pos_].line;
    Node node;
    node.kind = Node::Kind::branch;
    auto [name, negated] = condition(tags_[pos_].body.substr(2), if_line);
    ++pos_;
    node.branches.push_back({std::move(name), negated, parse_block(depth + 1)});
    bool seen_else = false;
    for (;;) {
      if (pos_ >= tags_.size())
        throw PromptTemplateError(fmt::format("line {}: '{{% if %}}' without '{{% endif %}}'", if_line));
      const Tag& t = tags_[pos_];
      const std::string_view kw = keyword(t.body);
      ++pos_;
      if (kw == "endif") {
        if (trim(t.body) != "endif")
          throw PromptTemplateError(fmt::format("line {}: '{{% {} %}}': endif takes nothing", t.line, t.body));
        return node;
      }
      if (seen_else)
        throw PromptTemplateError(fmt::format("line {}: '{{% {} %}}' after '{{% else %}}'", t.line, kw));
      if (kw == "else") {
        if (trim(t.body) != "else")
          throw PromptTemplateError(fmt::format("line {}: '{{% {} %}}': else takes nothing", t.line, t.body));
        seen_else = true;
        node.branches.push_back({"", false, parse_block(depth + 1)});
      } else {  // elif
        auto [n, neg] = condition(t.body.substr(4), t.line);
        if (n.empty()) throw PromptTemplateError(fmt::format("line {}: elif needs a name", t.line));
        node.branches.push_back({std::move(n), neg, parse_block(depth + 1)});
      }
    }
  }

  std::vector<Tag> tags_;
  std::size_t pos_ = 0;
};

bool truthy(const TemplateValues& values, const std::string& name) {
  auto it = values.find(name);
  if (it == values.end()) return false;
  return std::visit(
      [](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>)
          return v;
        else
          return !v.empty();
      },
      it->second);
}

void render_nodes(const std::vector<Node>& nodes, const TemplateValues& values, std::string& out) {
  for (const auto& n : nodes) {
    switch (n.kind) {
      case Node::Kind::text:
        out += n.text;
        break;
      case Node::Kind::name: {
        auto it = values.find(n.text);
        if (it == values.end()) break;
        std::visit(
            [&](const auto& v) {
              using T = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<T, bool>) {
                out += v ? "True" : "False";
              } else if constexpr (std::is_same_v<T, std::string>) {
                out += v;
              } else {
                out += '[';
                for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + python_str_repr(v[i]);
                out += ']';
              }
            },
            it->second);
        break;
      }
      case Node::Kind::branch:
        for (const auto& b : n.branches) {
          if (b.name.empty() || truthy(values, b.name) != b.negated) {
            render_nodes(b.body, values, out);
            break;
          }
        }
        break;
    }
  }
}

void collect_names(const std::vector<Node>& nodes, std::set<std::string>& names) {
  for (const auto& n : nodes) {
    if (n.kind == Node::Kind::name) names.insert(n.text);
    for (const auto& b : n.branches) {
      if (!b.name.empty()) names.insert(b.name);
      collect_names(b.body, names);
    }
  }
}

}  // namespace

std::string python_str_repr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  out += quote;
  return out;
}

PromptTemplate PromptTemplate::parse(std::string_view text) {
  // Jinja2's keep_trailing_newline=False.
  if (text.ends_with("\r\n"))
    text.remove_suffix(2);
  else if (text.ends_with('\n'))
    text.remove_suffix(1);
  PromptTemplate t;
  t.nodes_ = std::make_shared<const std::vector<Node>>(Parser(tokenize(text)).parse_all());
  return t;
}

std::string PromptTemplate::render(const TemplateValues& values) const {
  std::string out;
  if (nodes_) render_nodes(*nodes_, values, out);
  return out;
}

std::vector<std::string> PromptTemplate::names() const {
  std::set<std::string> names;
  if (nodes_) collect_names(*nodes_, names);
  return {names.begin(), names.end()};
}

}  // namespace xz::pipeline
