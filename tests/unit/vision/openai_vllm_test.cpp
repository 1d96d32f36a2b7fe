// OpenAiVllm against the fake OpenAI server: the request it sends, the answer it
// returns, its errors and its configuration.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/runtime.h"
#include "protocol/encoding.h"
#include "providers/vllm/openai_vllm.h"
#include "support/fake_openai.h"
#include "test_images.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::providers::EngineConfig;
using xz::providers::EngineConfigError;
using xz::providers::OpenAiVllm;
using xz::providers::ProviderContext;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;

namespace {

class VllmTest : public ::testing::Test {
 protected:
  VllmTest() : rt_(1, 2), ctx_{rt_.pool()} { rt_.start(); }
  ~VllmTest() override { rt_.stop(); }

  EngineConfig config() const {
    return {{"type", "openai"}, {"base_url", fake_.url()}, {"model_name", "glm-4v-flash"}, {"api_key", "sk-x"}};
  }
  // Runs explain() on the loop; returns the answer or "ERROR: <what>".
  std::string explain(OpenAiVllm& engine, std::string image, std::string mime, std::string question) {
    auto fut = boost::asio::co_spawn(rt_.loop(0), engine.explain(std::move(image), std::move(mime), std::move(question)),
                                     boost::asio::use_future);
    if (fut.wait_for(30s) != std::future_status::ready) return "ERROR: did not finish";
    try {
      return fut.get();
    } catch (const std::exception& e) {
      return std::string("ERROR: ") + e.what();
    }
  }

  FakeOpenAi fake_;
  xz::core::Runtime rt_;
  ProviderContext ctx_;
};

}  // namespace

TEST_F(VllmTest, SendsTextAndImagePartsAndReturnsTheAnswer) {
  OpenAiVllm engine(config(), ctx_);
  fake_.push_reply(FakeReply{.tokens = {"It is ", "a cat."}});
  const std::string jpeg = xz::test::tiny_jpeg();
  EXPECT_EQ(explain(engine, jpeg, "image/jpeg", "What animal is this?"), "It is a cat.");

  auto req = fake_.last_request();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v1/chat/completions");
  EXPECT_EQ(req.headers["authorization"], "Bearer sk-x");
  json expected = {
      {"model", "glm-4v-flash"},
      {"messages",
       {{{"role", "user"},
         {"content",
          {{{"type", "text"}, {"text", "What animal is this?"}},
           {{"type", "image_url"},
            {"image_url", {{"url", "data:image/jpeg;base64," + xz::protocol::base64_encode(jpeg)}}}}}}}}},
      {"stream", false},
      {"max_tokens", 500},
      {"temperature", 0.7}};
  EXPECT_EQ(req.json, expected) << req.body;
}

TEST_F(VllmTest, ConfiguredSamplingAndUrlKey) {
  auto cfg = config();
  cfg.erase("base_url");
  cfg["url"] = fake_.url() + "/chat/completions/";
  cfg["max_tokens"] = "120";  // YAML may deliver numbers as strings
  cfg["temperature"] = 0.2;
  cfg["top_p"] = 0.9;
  cfg["api_key"] = "";
  OpenAiVllm engine(cfg, ctx_);
  EXPECT_EQ(engine.endpoint(), fake_.url() + "/chat/completions");
  EXPECT_EQ(explain(engine, xz::test::tiny_png(), "image/png", "Hi"), "Hi");
  auto req = fake_.last_request();
  EXPECT_EQ(req.json["max_tokens"], 120);
  EXPECT_DOUBLE_EQ(req.json["temperature"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(req.json["top_p"].get<double>(), 0.9);
  EXPECT_EQ(req.headers.count("authorization"), 0u) << "no key, no header";
  EXPECT_TRUE(req.json["messages"][0]["content"][1]["image_url"]["url"].get<std::string>().starts_with(
      "data:image/png;base64,"));
}

TEST_F(VllmTest, MultiMegabyteImageArrivesIntact) {
  OpenAiVllm engine(config(), ctx_);
  std::string image = xz::test::tiny_jpeg();
  image.reserve(5 << 20);
  for (std::size_t i = image.size(); i < (5u << 20); ++i) image.push_back(static_cast<char>((i * 2654435761u) >> 13));
  fake_.push_reply(FakeReply{.tokens = {"noise"}});
  EXPECT_EQ(explain(engine, image, "image/jpeg", "What is this?"), "noise");
  auto url = fake_.last_request().json["messages"][0]["content"][1]["image_url"]["url"].get<std::string>();
  const std::string prefix = "data:image/jpeg;base64,";
  ASSERT_TRUE(url.starts_with(prefix));
  EXPECT_EQ(xz::protocol::base64_decode(url.substr(prefix.size())), image);
}

TEST_F(VllmTest, ThinkBlocksAreRemoved) {
  OpenAiVllm engine(config(), ctx_);
  fake_.push_reply(FakeReply{.tokens = {"<think>The user wants", " a label.</think>\n\n", "A red apple."}});
  EXPECT_EQ(explain(engine, xz::test::tiny_jpeg(), "image/jpeg", "What?"), "A red apple.");
}

TEST_F(VllmTest, HttpErrorsCarryTheApisMessage) {
  OpenAiVllm engine(config(), ctx_);
  fake_.push_reply(FakeReply{.http_status = 401, .error_body = R"({"error":{"message":"Incorrect API key provided"}})"});
  std::string r = explain(engine, xz::test::tiny_jpeg(), "image/jpeg", "What?");
  EXPECT_TRUE(r.starts_with("ERROR: ")) << r;
  EXPECT_NE(r.find("401"), std::string::npos) << r;
  EXPECT_NE(r.find("Incorrect API key provided"), std::string::npos) << r;
}

TEST_F(VllmTest, TimeoutIsAnError) {
  auto cfg = config();
  cfg["timeout"] = 0.5;
  OpenAiVllm engine(cfg, ctx_);
  fake_.push_reply(FakeReply{.hang = true});
  auto t0 = std::chrono::steady_clock::now();
  std::string r = explain(engine, xz::test::tiny_jpeg(), "image/jpeg", "What?");
  EXPECT_NE(r.find("timed out"), std::string::npos) << r;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(VllmTest, EmptyImageIsRefusedWithoutARequest) {
  OpenAiVllm engine(config(), ctx_);
  EXPECT_TRUE(explain(engine, "", "image/jpeg", "What?").starts_with("ERROR: "));
  EXPECT_EQ(fake_.request_count(), 0u);
}

TEST(OpenAiVllmConfig, BadEntriesNameTheKey) {
  boost::asio::thread_pool pool(1);
  ProviderContext ctx{pool};
  auto expect_error = [&](EngineConfig cfg, const std::string& key) {
    try {
      OpenAiVllm engine(cfg, ctx);
      ADD_FAILURE() << "accepted " << cfg.dump();
    } catch (const EngineConfigError& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with(key)) << e.what();
    }
  };
  EngineConfig ok = {{"base_url", "https://open.bigmodel.cn/api/paas/v4/"}, {"model_name", "glm-4v-flash"}};
  EXPECT_NO_THROW(OpenAiVllm(ok, ctx));

  auto cfg = ok;
  cfg.erase("model_name");
  expect_error(cfg, "model_name");
  cfg = ok;
  cfg.erase("base_url");
  expect_error(cfg, "base_url");
  cfg = ok;
  cfg["base_url"] = "ftp://x";
  expect_error(cfg, "base_url");
  cfg = ok;
  cfg["max_tokens"] = 0;
  expect_error(cfg, "max_tokens");
  cfg = ok;
  cfg["temperature"] = "hot";
  expect_error(cfg, "temperature");
  cfg = ok;
  cfg["top_p"] = 1.5;
  expect_error(cfg, "top_p");
  cfg = ok;
  cfg["timeout"] = -1;
  expect_error(cfg, "timeout");
  expect_error(EngineConfig::array(), "not a mapping");
}

TEST(OpenAiVllmAnswer, ReadsTheChoiceOrExplainsWhyNot) {
  using xz::providers::openai_vision_answer;
  EXPECT_EQ(openai_vision_answer(R"({"choices":[{"message":{"role":"assistant","content":"A dog."}}]})"), "A dog.");
  EXPECT_EQ(openai_vision_answer(
                R"({"choices":[{"message":{"content":[{"type":"text","text":"Two "},{"type":"text","text":"cats."}]}}]})"),
            "Two cats.");
  auto error_of = [](const std::string& body) {
    try {
      openai_vision_answer(body);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(R"({"error":{"message":"quota exceeded"}})").find("quota exceeded"), std::string::npos);
  EXPECT_NE(error_of("<html>bad gateway</html>").find("not JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"choices":[]})").find("no choices"), std::string::npos);
  EXPECT_NE(error_of(R"({"choices":[{"message":{"content":null}}]})"), "no error");
  EXPECT_NE(error_of(R"({"choices":[{"message":{"content":"<think>only thinking</think>"}}]})").find("empty"),
            std::string::npos);
}
