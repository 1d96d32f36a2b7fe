#include "support/tiny_paraformer.h"

#include <filesystem>
#include <map>

#include "support/onnx_writer.h"

namespace xz::test {

namespace {

using namespace onnx;

constexpr int kVocab = 5;  // <blank> <s> </s> 你 好
constexpr int kFeat = 80 * 7;

std::string repeated(const char* v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::string(v);
  return s;
}

}  // namespace

std::string write_tiny_paraformer(const std::string& dir) {
  Proto g;
  // [N,1,1] zeros shaped by the batch, plus the fixed answer: 你 好 </s>.
  g.message(1, node("Cast", {"speech_lengths"}, "lengths_f", {{"to", kFloat}}));
  g.message(1, node("Unsqueeze", {"lengths_f", "axes12"}, "lengths_3d"));
  g.message(1, node("Mul", {"lengths_3d", "zero"}, "zeros"));
  g.message(1, node("Add", {"zeros", "answer"}, "logits"));
  g.message(1, node("Identity", {"speech_lengths"}, "token_num"));
  g.bytes(2, "tiny_paraformer");
  g.message(5, tensor<std::int64_t>("axes12", kInt64, {2}, {1, 2}));
  g.message(5, tensor<float>("zero", kFloat, {}, {0.0f}));
  std::vector<float> answer(3 * kVocab, -100.0f);
  answer[0 * kVocab + 3] = 100.0f;  // 你
  answer[1 * kVocab + 4] = 100.0f;  // 好
  answer[2 * kVocab + 2] = 100.0f;  // </s>
  g.message(5, tensor<float>("answer", kFloat, {1, 3, kVocab}, answer));
  g.message(11, value_info("speech", kFloat, {"N", "T", std::to_string(kFeat)}));
  g.message(11, value_info("speech_lengths", kInt32, {"N"}));
  g.message(12, value_info("logits", kFloat, {"N", "3", std::to_string(kVocab)}));
  g.message(12, value_info("token_num", kInt32, {"N"}));

  // What sherpa-onnx 1.13.8 reads for Paraformer (offline-paraformer-model.cc).
  const std::map<std::string, std::string> meta = {
      {"vocab_size", std::to_string(kVocab)}, {"lfr_window_size", "7"}, {"lfr_window_shift", "6"},
      {"neg_mean", repeated("0", kFeat)},      {"inv_stddev", repeated("1", kFeat)},
  };
  std::filesystem::create_directories(dir);
  write_file(dir + "/model.int8.onnx", model(g, meta));
  write_file(dir + "/tokens.txt", "<blank> 0\n<s> 1\n</s> 2\n你 3\n好 4\n");
  return dir;
}

}  // namespace xz::test
