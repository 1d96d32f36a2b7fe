// DashScope Paraformer real-time messages against the spec's examples (§5D).
#include <gtest/gtest.h>

#include "protocol/json_text.h"
#include "providers/asr/paraformer_wire.h"
#include "providers/tts/dashscope_wire.h"

namespace pf = xz::providers::paraformer;

TEST(ParaformerWire, RunTaskIsTheReferencesMessage) {
  pf::Params p;
  EXPECT_EQ(pf::run_task("7c", p),
            R"({"header": {"action": "run-task", "task_id": "7c", "streaming": "duplex"}, "payload": {"task_group": "audio", "task": "asr", "function": "recognition", "model": "paraformer-realtime-v2", "parameters": {"format": "pcm", "sample_rate": 16000, "disfluency_removal_enabled": false, "semantic_punctuation_enabled": false, "max_sentence_silence": 200, "multi_threshold_mode_enabled": false, "punctuation_prediction_enabled": true, "inverse_text_normalization_enabled": true, "vocabulary_id": null}, "input": {}}})");
  p.model = "paraformer-realtime-v1";
  p.language_hints = nlohmann::json::array({"zh", "en"});
  const auto j = xz::protocol::parse_json_text(pf::run_task("7c", p));
  EXPECT_FALSE(j["payload"]["parameters"].contains("vocabulary_id"));
  EXPECT_EQ(j["payload"]["parameters"]["language_hints"], nlohmann::json::array({"zh", "en"}));
  EXPECT_EQ(xz::providers::dashscope::finish_task("7c"),
            R"({"header": {"action": "finish-task", "task_id": "7c", "streaming": "duplex"}, "payload": {"input": {}}})");
}

TEST(ParaformerWire, FinalNeedsSentenceEndAndAnEndTime) {
  auto partial = xz::providers::dashscope::parse_message(
      R"({"header":{"task_id":"x","event":"result-generated","attributes":{}},"payload":{"output":{"sentence":{"begin_time":170,"end_time":null,"text":"好，我知道","heartbeat":false,"sentence_end":false,"words":[]}},"usage":null}})");
  auto s = pf::sentence_of(partial.payload);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->text, "好，我知道");
  EXPECT_FALSE(s->final);
  auto fin = pf::sentence_of(xz::protocol::parse_json_text(
      R"({"output":{"sentence":{"begin_time":170,"end_time":920,"text":"好，我知道了。","heartbeat":false,"sentence_end":true,"words":[]}},"usage":{"duration":3}})"));
  ASSERT_TRUE(fin);
  EXPECT_TRUE(fin->final);
  // The vendor's own example with end_time null: the reference treats it as partial.
  auto odd = pf::sentence_of(xz::protocol::parse_json_text(
      R"({"output":{"sentence":{"end_time":null,"text":"a","sentence_end":true}}})"));
  EXPECT_FALSE(odd->final);
  EXPECT_TRUE(pf::sentence_of(xz::protocol::parse_json_text(R"({"output":{"sentence":{"heartbeat":true}}})"))->heartbeat);
  EXPECT_FALSE(pf::sentence_of(xz::protocol::parse_json_text(R"({"output":{}})")));
  EXPECT_FALSE(pf::sentence_of(nullptr));
}
