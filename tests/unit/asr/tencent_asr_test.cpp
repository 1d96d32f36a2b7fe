#include "providers/asr/tencent_asr.h"

#include <gtest/gtest.h>

#include "core/runtime.h"
#include "protocol/encoding.h"
#include "providers/tts/tencent_tts.h"
#include "support/asr_harness.h"
#include "support/fake_asr_vendors.h"
#include "support/speech.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::providers::EngineConfigError;
using xz::providers::ProviderContext;
using xz::providers::TencentAsr;
using xz::test::FakeAsrFault;
using xz::test::FakeAsrKeys;
using xz::test::FakeAsrVendors;

namespace {

class TencentAsrTest : public xz::test::CloudAsrTest {
 protected:
  // The reference's entry with only the endpoint and the keys changed.
  json config() const {
    json cfg = xz::test::reference_asr_entry("TencentASR");
    cfg["endpoint"] = fake.url("tencent");
    cfg["secret_id"] = FakeAsrKeys::tencent_id;
    cfg["secret_key"] = FakeAsrKeys::tencent_key;
    return cfg;
  }
};

}  // namespace

// Tencent Cloud API 3.0's "Signature v3" worked example (CVM DescribeInstances,
// 2019-02-25), with the key its page prints: the signer this engine uses.
TEST(TencentAsrSignature, MatchesTencentsDocumentedExample) {
  const std::string payload = R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
  EXPECT_EQ(xz::providers::tc3_authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******",
                                             "cvm", "cvm.tencentcloudapi.com", "application/json; charset=utf-8",
                                             payload, 1551113065),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
            "SignedHeaders=content-type;host, "
            "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c");
}

TEST_F(TencentAsrTest, TranscribesFromTheReferencesEntryWithASignatureTheVendorAccepts) {
  fake.set_transcript("今天天气怎么样？");
  TencentAsr asr(config(), ctx);
  const auto speech = xz::test::flite_speech("what is the weather like today");
  auto r = xz::test::transcribe(rt, asr, speech);
  EXPECT_EQ(r.text, "今天天气怎么样？");

  auto call = fake.last_call("tencent");
  EXPECT_TRUE(call.auth_ok);
  EXPECT_EQ(call.headers["host"], "asr.tencentcloudapi.com");
  EXPECT_EQ(call.headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(call.headers["x-tc-region"], "ap-shanghai");
  EXPECT_EQ(call.headers["authorization"].rfind("TC3-HMAC-SHA256 Credential=AKIDfakeasrtencent/", 0), 0u);
  EXPECT_NE(call.headers["authorization"].find("/asr/tc3_request"), std::string::npos);
  EXPECT_EQ(call.json["EngSerViceType"], "16k_zh");
  EXPECT_EQ(call.json["SubServiceType"], 2);
  EXPECT_EQ(call.json["DataLen"], speech.size() * 2);
  EXPECT_EQ(call.pcm, speech) << "the audio the vendor got differs from what was pushed";
}

TEST_F(TencentAsrTest, AWrongSecretIsTheVendorsSignatureError) {
  auto cfg = config();
  cfg["secret_key"] = "not-the-secret";
  TencentAsr asr(cfg, ctx);
  EXPECT_EQ(error_of(asr),
            "tencent: AuthFailure.SignatureFailure: The provided credentials could not be validated. Please check "
            "your signature is correct.");
  EXPECT_FALSE(fake.last_call("tencent").auth_ok);
}

TEST_F(TencentAsrTest, VendorErrorsServerErrorsAndStallsNameTheEngine) {
  auto cfg = config();
  cfg["timeout"] = 0.5;
  TencentAsr asr(cfg, ctx);
  fake.fail_next(FakeAsrFault::vendor_error);
  EXPECT_EQ(error_of(asr), "tencent: FailedOperation.ErrorRecognize: 识别失败");
  fake.fail_next(FakeAsrFault::http_500);
  EXPECT_EQ(error_of(asr), "tencent: HTTP 500: upstream exploded");
  fake.fail_next(FakeAsrFault::stall, 5s);
  const auto start = std::chrono::steady_clock::now();
  const std::string e = error_of(asr);
  EXPECT_EQ(e.rfind("tencent: ", 0), 0u) << e;
  EXPECT_NE(e.find("timed out"), std::string::npos) << e;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(xz::test::transcribe(rt, asr, xz::test::flite_speech("hello")).text, "今天天气怎么样");
}

TEST_F(TencentAsrTest, ConfigErrorsNameTheKey) {
  auto cfg = config();
  cfg.erase("secret_key");
  try {
    TencentAsr asr(cfg, ctx);
    FAIL() << "accepted an entry without secret_key";
  } catch (const EngineConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "secret_key: missing");
  }
  cfg = config();
  cfg["endpoint"] = "ws://127.0.0.1/";
  EXPECT_THROW(TencentAsr(cfg, ctx), EngineConfigError);
}
