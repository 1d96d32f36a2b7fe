// The device's memory in the system prompt: inside the template's <memory></memory> as
// the reference puts it, appended as such a block when the prompt has none.
#include <gtest/gtest.h>

#include "pipeline/system_prompt.h"

using xz::pipeline::with_memory;

TEST(SystemPrompt, MemoryGoesInsideTheTemplatesMemoryTags) {
  EXPECT_EQ(with_memory("<identity>x</identity>\n\n<memory>\n</memory>\ntail", "Likes tea."),
            "<identity>x</identity>\n\n<memory>\nLikes tea.\n</memory>\ntail");
  EXPECT_EQ(with_memory("a <memory>old</memory> b <memory></memory>", "new"), "a <memory>\nnew\n</memory> b <memory></memory>")
      << "the first block only";
}

TEST(SystemPrompt, MemoryIsAppendedWhenThePromptHasNoTags) {
  EXPECT_EQ(with_memory("You are Xiaozhi.", "Likes tea."), "You are Xiaozhi.\n\n<memory>\nLikes tea.\n</memory>");
  EXPECT_EQ(with_memory("only <memory> opened", "m"), "only <memory> opened\n\n<memory>\nm\n</memory>");
  EXPECT_EQ(with_memory("<memory>\n</memory>", ""), "<memory>\n</memory>") << "no memory, no change";
}
