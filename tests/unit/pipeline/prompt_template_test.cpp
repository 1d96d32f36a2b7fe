// The Jinja2 subset of prompt_template files: what the reference's agent-base-prompt.txt
// and users' copies use, rendered as Jinja2 renders it, and clear errors for the rest.
#include <gtest/gtest.h>

#include "core/default_config.h"
#include "pipeline/prompt_template.h"

using namespace xz::pipeline;

namespace {

std::string render(std::string_view text, const TemplateValues& v = {}) { return PromptTemplate::parse(text).render(v); }

std::string parse_error(std::string_view text) {
  try {
    PromptTemplate::parse(text);
  } catch (const PromptTemplateError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(PromptTemplate, NamesAreSubstitutedWithOrWithoutSpaces) {
  TemplateValues v{{"base_prompt", std::string("You are Xiaozhi.")}, {"language", std::string("中文")}};
  EXPECT_EQ(render("<identity>\n{{base_prompt}}\n</identity> in {{ language }}.", v),
            "<identity>\nYou are Xiaozhi.\n</identity> in 中文.");
}

TEST(PromptTemplate, SubstitutedTextIsNotRenderedAgain) {
  // The configured prompt may hold {{current_time}}: it reaches the output as it is.
  TemplateValues v{{"base_prompt", std::string("Now: {{current_time}} {% if x %}")}};
  EXPECT_EQ(render("[{{base_prompt}}]", v), "[Now: {{current_time}} {% if x %}]");
}

TEST(PromptTemplate, UnknownNamesRenderEmptyAndAreFalse) {
  EXPECT_EQ(render("a{{ nothing }}b{% if nothing %}X{% else %}Y{% endif %}"), "abY");
}

TEST(PromptTemplate, ListsRenderAsPythonReprAndBoolsAsPython) {
  TemplateValues v{{"emojiList", std::vector<std::string>{"😶", "🙂", "it's", "say \"hi\"", "both ' \""}},
                   {"flag", true},
                   {"off", false}};
  EXPECT_EQ(render("{{ emojiList }}", v), R"(['😶', '🙂', "it's", 'say "hi"', 'both \' "'])");
  EXPECT_EQ(render("{{flag}} {{off}}", v), "True False");
  EXPECT_EQ(python_str_repr("a\\b\nc\x01"), R"('a\\b\nc\x01')");
}

TEST(PromptTemplate, IfElifElseTakeTheFirstTrueBranch) {
  const std::string t = "{% if a %}A{% elif b %}B{% elif not c %}not C{% else %}none{% endif %}";
  EXPECT_EQ(render(t, {{"a", std::string("x")}, {"b", true}}), "A");
  EXPECT_EQ(render(t, {{"a", std::string()}, {"b", true}}), "B");
  EXPECT_EQ(render(t, {{"b", false}, {"c", std::vector<std::string>{}}}), "not C");
  EXPECT_EQ(render(t, {{"c", std::vector<std::string>{"1"}}}), "none");
  EXPECT_EQ(render("{% if a %}{% if b %}AB{% else %}A{% endif %}{% endif %}.", {{"a", true}}), "A.");
}

TEST(PromptTemplate, WhitespaceTrimsAndCommentsAsJinja) {
  TemplateValues v{{"city", std::string("深圳市")}};
  const std::string t = "- Date: today\n{%- if city %}\n- City: {{ city }}\n{%- endif %}\n</context>{# gone #}";
  EXPECT_EQ(render(t, v), "- Date: today\n- City: 深圳市\n</context>");
  EXPECT_EQ(render(t), "- Date: today\n</context>");
  EXPECT_EQ(render("a  {{- city -}}  b", v), "a深圳市b");
  // keep_trailing_newline=False: one final newline of the file is dropped.
  EXPECT_EQ(render("x\n"), "x");
  EXPECT_EQ(render("x\n\n"), "x\n");
  // A lone brace is text.
  EXPECT_EQ(render("{ \"k\": 1 } {x}"), "{ \"k\": 1 } {x}");
}

TEST(PromptTemplate, ErrorsNameTheLineAndWhatIsUnsupported) {
  EXPECT_EQ(parse_error("ok\n\n{{ name"), "line 3: '{{' is never closed with '}}'");
  EXPECT_EQ(parse_error("a\n{% if x %}\nb"), "line 2: '{% if %}' without '{% endif %}'");
  EXPECT_EQ(parse_error("{% endif %}"), "line 1: '{% endif %}' without a matching '{% if %}'");
  EXPECT_NE(parse_error("{% for x in y %}{% endfor %}").find("'{% for %}' is not supported"), std::string::npos);
  EXPECT_NE(parse_error("{{ name | upper }}").find("only plain names"), std::string::npos);
  EXPECT_NE(parse_error("{{ cycler.__init__.__globals__ }}").find("only plain names"), std::string::npos);
  EXPECT_NE(parse_error("{% if a == 'b' %}x{% endif %}").find("only 'if name'"), std::string::npos);
  EXPECT_NE(parse_error("{% if a %}x{% else %}y{% else %}z{% endif %}").find("after '{% else %}'"), std::string::npos);
  EXPECT_NE(parse_error("{# never closed").find("never closed"), std::string::npos);
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{% if a %}";
  for (int i = 0; i < 40; ++i) deep += "{% endif %}";
  EXPECT_NE(parse_error(deep).find("nested more than 32 deep"), std::string::npos);
}

TEST(PromptTemplate, NamesListsEveryNameRead) {
  auto t = PromptTemplate::parse("{{a}}{% if b %}{{c}}{% elif not d %}{% endif %}");
  EXPECT_EQ(t.names(), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(PromptTemplate, TheShippedTemplateParsesAndPlacesEveryFact) {
  auto t = PromptTemplate::parse(xz::core::default_prompt_template());
  TemplateValues v{{"base_prompt", std::string("BASE")},          {"current_time", std::string("09:05")},
                   {"today_date", std::string("2024-02-10")},      {"today_weekday", std::string("星期六")},
                   {"lunar_date", std::string("甲辰年正月初一")},  {"local_address", std::string("深圳市")},
                   {"weather_info", std::string("WEATHER")},       {"emojiList", std::vector<std::string>{"😶"}},
                   {"device_id", std::string("aa:bb")},            {"language", std::string("中文")},
                   {"emoji_enabled", true},                        {"dynamic_context", std::string("- **k：** v")}};
  const std::string out = t.render(v);
  for (const char* part : {"<identity>\nBASE\n</identity>", "09:05", "2024-02-10 (星期六)", "甲辰年正月初一",
                           "深圳市", "WEATHER", "['😶']", "aa:bb", "中文", "- **k：** v", "<memory>\n</memory>"})
    EXPECT_NE(out.find(part), std::string::npos) << part << "\n" << out;
  v["emoji_enabled"] = false;
  v["local_address"] = std::string();
  const std::string plain = t.render(v);
  EXPECT_EQ(plain.find("['😶']"), std::string::npos);
  EXPECT_EQ(plain.find("User's city"), std::string::npos) << "no address, no line for it";
  EXPECT_EQ(plain.find("{%"), std::string::npos);
  EXPECT_EQ(plain.find("{{"), std::string::npos);
}
