#pragma once
// The reference's prompt_template files (agent-base-prompt.txt) are Jinja2 templates.
// This is the part of Jinja2 they and users' copies use, and nothing that can run code:
// {{ name }}, {% if [not] name %} ... {% elif [not] name %} ... {% else %} ... {% endif %},
// {# comments #}, and the "-" whitespace trims ({%- ... -%}). Rendering follows Jinja2's
// defaults: an unknown name renders as "" and is false, a list renders as Python's repr
// (['😶', '🙂']), a bool as True/False, and one trailing newline of the template is dropped.
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace xz::pipeline {

// A template that cannot be parsed; the message names the line ("line 12: ...").
class PromptTemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using TemplateValue = std::variant<std::string, bool, std::vector<std::string>>;
using TemplateValues = std::map<std::string, TemplateValue, std::less<>>;

class PromptTemplate {
 public:
  // Throws PromptTemplateError for unclosed tags, unbalanced if/endif, tags or
  // expressions outside the subset (filters, for loops, calls, ...).
  static PromptTemplate parse(std::string_view text);

  std::string render(const TemplateValues& values) const;
  // Every name the template reads, for warnings about names nothing fills.
  std::vector<std::string> names() const;

  struct Node;

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
};

// Python's repr of a str ('it''s' -> "it's"), as Jinja2 prints list items.
std::string python_str_repr(std::string_view s);

}  // namespace xz::pipeline
