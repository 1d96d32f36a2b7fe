#include "providers/asr/paraformer_wire.h"

#include "providers/tts/python_dumps.h"

namespace xz::providers::paraformer {

using ojson = nlohmann::ordered_json;

std::string run_task(const std::string& task_id, const Params& p) {
  ojson params = ojson::object();
  params["format"] = p.format;
  params["sample_rate"] = p.sample_rate;
  params["disfluency_removal_enabled"] = p.disfluency_removal_enabled;
  params["semantic_punctuation_enabled"] = p.semantic_punctuation_enabled;
  params["max_sentence_silence"] = p.max_sentence_silence;
  params["multi_threshold_mode_enabled"] = p.multi_threshold_mode_enabled;
  params["punctuation_prediction_enabled"] = p.punctuation_prediction_enabled;
  params["inverse_text_normalization_enabled"] = p.inverse_text_normalization_enabled;
  if (p.model.ends_with("v2")) params["vocabulary_id"] = p.vocabulary_id ? ojson(*p.vocabulary_id) : ojson(nullptr);
  if (!p.language_hints.is_null()) params["language_hints"] = ojson::parse(p.language_hints.dump());
  ojson payload = ojson::object();
  payload["task_group"] = "audio";
  payload["task"] = "asr";
  payload["function"] = "recognition";
  payload["model"] = p.model;
  payload["parameters"] = std::move(params);
  payload["input"] = ojson::object();
  ojson header = ojson::object();
  header["action"] = "run-task";
  header["task_id"] = task_id;
  header["streaming"] = "duplex";
  ojson m = ojson::object();
  m["header"] = std::move(header);
  m["payload"] = std::move(payload);
  return python_dumps(m);
}

std::optional<Sentence> sentence_of(const nlohmann::json& payload) {
  if (!payload.is_object()) return std::nullopt;
  auto out = payload.find("output");
  if (out == payload.end() || !out->is_object()) return std::nullopt;
  auto s = out->find("sentence");
  if (s == out->end() || !s->is_object()) return std::nullopt;
  Sentence r;
  if (auto t = s->find("text"); t != s->end() && t->is_string()) r.text = t->get<std::string>();
  auto flag = [&](const char* k) {
    auto it = s->find(k);
    return it != s->end() && it->is_boolean() && it->get<bool>();
  };
  auto end = s->find("end_time");
  r.final = flag("sentence_end") && end != s->end() && !end->is_null();
  r.heartbeat = flag("heartbeat");
  return r;
}

nlohmann::json result_payload(std::string_view text, bool final, long long begin_ms, long long end_ms) {
  return {{"output",
           {{"sentence",
             {{"begin_time", begin_ms},
              {"end_time", final ? nlohmann::json(end_ms) : nlohmann::json(nullptr)},
              {"text", std::string(text)},
              {"heartbeat", false},
              {"sentence_end", final},
              {"words", nlohmann::json::array()}}}}},
          {"usage", final ? nlohmann::json{{"duration", 3}} : nlohmann::json(nullptr)}};
}

}  // namespace xz::providers::paraformer
