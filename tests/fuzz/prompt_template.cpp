// prompt_template files (pipeline/prompt_template): any text parses into a template or
// a PromptTemplateError, never a crash or another exception; nesting is bounded, and
// with no values a template renders no more than its own text.
#include <string>

#include "fuzz/fuzz_check.h"
#include "pipeline/prompt_template.h"

using namespace xz::pipeline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = xz::fuzz::as_text(data, size);
  try {
    const PromptTemplate t = PromptTemplate::parse(text);
    FUZZ_CHECK(t.render({}).size() <= size);
    const TemplateValues values{{"base_prompt", std::string("BASE")},
                                {"emojiList", std::vector<std::string>{"a'b", "c\"d"}},
                                {"emoji_enabled", true}};
    (void)t.render(values);
    for (const auto& n : t.names()) FUZZ_CHECK(!n.empty());
  } catch (const PromptTemplateError&) {
  }
  return 0;
}
