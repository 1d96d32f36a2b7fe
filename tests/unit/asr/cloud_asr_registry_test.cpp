// The one-shot cloud engines as a user selects them: this server's own config.yaml entry
// (selected_module.ASR), with only the endpoint and the keys set, built by the registry
// and transcribing through its fake.
#include <gtest/gtest.h>

#include "core/config.h"
#include "core/default_config.h"
#include "core/runtime.h"
#include "providers/registry.h"
#include "support/asr_harness.h"
#include "support/fake_asr_vendors.h"
#include "support/speech.h"

using nlohmann::json;
using xz::test::FakeAsrKeys;
using xz::test::FakeAsrVendors;

namespace {

struct Selection {
  const char* entry;
  std::vector<std::pair<std::string, json>> (*keys)(const FakeAsrVendors&);
};

std::vector<std::pair<std::string, json>> qwen3(const FakeAsrVendors& f) {
  return {{"ASR.Qwen3ASRFlash.base_url", f.url("qwen3")}, {"ASR.Qwen3ASRFlash.api_key", FakeAsrKeys::qwen3}};
}
std::vector<std::pair<std::string, json>> fun_server(const FakeAsrVendors& f) {
  return {{"ASR.FunASRServer.endpoint", f.url("fun_server")}};
}
std::vector<std::pair<std::string, json>> tencent(const FakeAsrVendors& f) {
  return {{"ASR.TencentASR.endpoint", f.url("tencent")},
          {"ASR.TencentASR.secret_id", FakeAsrKeys::tencent_id},
          {"ASR.TencentASR.secret_key", FakeAsrKeys::tencent_key}};
}
std::vector<std::pair<std::string, json>> baidu(const FakeAsrVendors& f) {
  return {{"ASR.BaiduASR.endpoint", f.url("baidu")},
          {"ASR.BaiduASR.token_url", f.url("baidu_token")},
          {"ASR.BaiduASR.api_key", FakeAsrKeys::baidu_api_key},
          {"ASR.BaiduASR.secret_key", FakeAsrKeys::baidu_secret}};
}
std::vector<std::pair<std::string, json>> aliyun(const FakeAsrVendors& f) {
  return {{"ASR.AliyunASR.endpoint", f.url("aliyun")},
          {"ASR.AliyunASR.token_url", f.url("aliyun_token")},
          {"ASR.AliyunASR.appkey", FakeAsrKeys::aliyun_appkey},
          {"ASR.AliyunASR.access_key_id", FakeAsrKeys::aliyun_key_id},
          {"ASR.AliyunASR.access_key_secret", FakeAsrKeys::aliyun_key_secret}};
}
std::vector<std::pair<std::string, json>> doubao(const FakeAsrVendors& f) {
  return {{"ASR.DoubaoASR.endpoint", f.url("doubao")},
          {"ASR.DoubaoASR.appid", FakeAsrKeys::doubao_appid},
          {"ASR.DoubaoASR.access_token", FakeAsrKeys::doubao_token}};
}

class CloudAsrSelected : public ::testing::TestWithParam<Selection> {};

}  // namespace

TEST_P(CloudAsrSelected, TheConfigEntryTranscribesThroughItsFake) {
  FakeAsrVendors fake;
  fake.set_transcript("开灯");
  xz::core::Runtime rt(1, 1);
  rt.start();
  xz::providers::ProviderContext ctx{rt.pool()};
  xz::core::ConfigSource src;
  src.defaults_yaml = std::string(xz::core::default_config_yaml());
  src.default_override_path = "";
  src.overrides = GetParam().keys(fake);
  src.overrides.emplace_back("selected_module.ASR", GetParam().entry);
  auto cfg = xz::core::Config::load(src);
  auto asr = xz::providers::make_asr(cfg, ctx);
  ASSERT_NE(asr, nullptr);
  const auto speech = xz::test::flite_speech("turn on the light");
  EXPECT_EQ(xz::test::transcribe(rt, *asr, speech).text, "开灯");
  const auto calls = fake.calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().pcm, speech);
}

INSTANTIATE_TEST_SUITE_P(Engines, CloudAsrSelected,
                         ::testing::Values(Selection{"Qwen3ASRFlash", qwen3}, Selection{"FunASRServer", fun_server},
                                           Selection{"TencentASR", tencent}, Selection{"BaiduASR", baidu},
                                           Selection{"AliyunASR", aliyun}, Selection{"DoubaoASR", doubao}),
                         [](const auto& info) { return std::string(info.param.entry); });
