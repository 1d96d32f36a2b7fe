// POST/GET /mcp/vision/explain on a real server, driven with the firmware's chunked
// multipart upload; the vision model is the real OpenAiVllm talking to FakeOpenAi.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/encoding.h"
#include "test_images.h"
#include "vision_fixture.h"

using namespace std::chrono_literals;
using nlohmann::json;
using xz::test::camera_body;
using xz::test::camera_headers;
using xz::test::FakeReply;
using xz::test::HttpResult;
using xz::test::kVisionDevice;
using xz::test::tiny_jpeg;
using xz::test::tiny_png;
using xz::test::valid_token;
using xz::test::VisionServer;
using xz::test::VisionServerOptions;

namespace {

void expect_cors(const HttpResult& r) {
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(r.header("Access-Control-Allow-Headers"), "client-id, content-type, device-id, authorization");
}

json error_of(const HttpResult& r) {
  auto j = json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.body;
  if (!j.is_object()) return json::object();
  EXPECT_EQ(j.value("success", true), false) << r.body;
  EXPECT_TRUE(j.contains("message") && j["message"].is_string() && !j["message"].get<std::string>().empty()) << r.body;
  return j;
}

}  // namespace

TEST(VisionEndpoint, FirmwareUploadGetsTheModelsAnswer) {
  VisionServer srv;
  srv.fake().push_reply(FakeReply{.tokens = {"A small ", "grey square."}});
  const std::string jpeg = tiny_jpeg();
  const std::string question = "What is in front of you?";

  auto r = srv.upload(camera_headers(valid_token()), camera_body(question, jpeg), 64);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  expect_cors(r);
  auto j = json::parse(r.body);
  EXPECT_EQ(j, json({{"success", true}, {"action", "RESPONSE"}, {"response", "A small grey square."}}));

  ASSERT_EQ(srv.fake().request_count(), 1u);
  auto req = srv.fake().last_request();
  EXPECT_TRUE(req.path.ends_with("/chat/completions")) << req.path;
  EXPECT_EQ(req.headers["authorization"], "Bearer sk-vision");
  EXPECT_EQ(req.json["model"], "vision-test");
  EXPECT_EQ(req.json["stream"], false);
  const json& content = req.json["messages"][0]["content"];
  ASSERT_EQ(content.size(), 2u) << req.body;
  EXPECT_EQ(content[0], json({{"type", "text"}, {"text", question}}));
  EXPECT_EQ(content[1]["type"], "image_url");
  EXPECT_EQ(content[1]["image_url"]["url"], "data:image/jpeg;base64," + xz::protocol::base64_encode(jpeg));
}

TEST(VisionEndpoint, PngIsAcceptedAndSentWithItsOwnType) {
  VisionServer srv;
  const std::string png = tiny_png();
  // The firmware always labels the part image/jpeg: the magic bytes decide.
  auto r = srv.upload(camera_headers(valid_token()), camera_body("Describe it", png, "image/jpeg"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto url = srv.fake().last_request().json["messages"][0]["content"][1]["image_url"]["url"].get<std::string>();
  EXPECT_EQ(url, "data:image/png;base64," + xz::protocol::base64_encode(png));
  EXPECT_EQ(json::parse(r.body)["response"], "Describe it") << "the fake echoes the question";
}

TEST(VisionEndpoint, TokensThatDoNotFitAreRefusedWith401) {
  VisionServer srv;
  const std::string body = camera_body("What is this?", tiny_jpeg());
  const xz::protocol::VisionTokenCodec other_key("some-other-key");
  const auto now = std::chrono::system_clock::now();

  struct Case {
    const char* what;
    xz::test::Headers headers;
  };
  std::vector<Case> cases = {
      {"no Authorization header", camera_headers("")},
      {"not a token", camera_headers("not-a-token")},
      {"signed with another key", camera_headers(xz::http::make_vision_token(other_key, kVisionDevice, 1h))},
      {"expired", camera_headers(xz::http::make_vision_token(xz::test::vision_codec(), kVisionDevice, 1h, now - 2h))},
      {"issued to another device", camera_headers(valid_token("11:22:33:44:55:66"))},
      {"Device-Id header missing",
       {{"Authorization", "Bearer " + valid_token()},
        {"Content-Type", std::string("multipart/form-data; boundary=") + xz::test::kBoundary}}},
      {"test client while the bypass is off", camera_headers("", kVisionDevice, "web_test_client")},
  };
  for (const auto& c : cases) {
    auto r = srv.upload(c.headers, body);
    EXPECT_EQ(r.status, 401) << c.what << ": " << r.body;
    error_of(r);
    expect_cors(r);
  }
  EXPECT_EQ(srv.fake().request_count(), 0u) << "nothing reaches the model without a valid token";
}

TEST(VisionEndpoint, TestClientBypassWorksOnlyWhenEnabled) {
  VisionServer srv(VisionServerOptions{.allow_test_client = true});
  auto r = srv.upload(camera_headers("", "", "web_test_client"), camera_body("Who is there?", tiny_jpeg()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["response"], "Who is there?");
  // Any other client still needs a token.
  auto refused = srv.upload(camera_headers(""), camera_body("Who is there?", tiny_jpeg()));
  EXPECT_EQ(refused.status, 401) << refused.body;
}

TEST(VisionEndpoint, SixMegabyteUploadIs413) {
  VisionServer srv;
  std::string big = tiny_jpeg();
  big.resize(6 * 1024 * 1024, '\x55');
  auto r = srv.upload(camera_headers(valid_token()), camera_body("Too big?", big), 64 * 1024);
  EXPECT_EQ(r.status, 413) << r.body;
  error_of(r);
  EXPECT_EQ(srv.fake().request_count(), 0u);
}

TEST(VisionEndpoint, ImageJustUnderTheLimitIsAccepted) {
  VisionServer srv;
  std::string image = tiny_jpeg();
  image.resize(5 * 1024 * 1024 - 16, '\x55');  // JPEG magic, then filler: sniffing only reads the magic
  srv.fake().push_reply(FakeReply{.tokens = {"big"}});
  auto r = srv.upload(camera_headers(valid_token()), camera_body("Big?", image), 64 * 1024);
  ASSERT_EQ(r.status, 200) << r.body;
  auto url = srv.fake().last_request().json["messages"][0]["content"][1]["image_url"]["url"].get<std::string>();
  EXPECT_EQ(url.size(), std::string("data:image/jpeg;base64,").size() + 4 * ((image.size() + 2) / 3));
}

TEST(VisionEndpoint, TextFileAndMalformedBodiesAre400) {
  VisionServer srv;
  struct Case {
    const char* what;
    xz::test::Headers headers;
    std::string body;
  };
  auto headers = camera_headers(valid_token());
  auto json_headers = headers;
  json_headers.back() = {"Content-Type", "application/json"};
  std::vector<Case> cases = {
      {"a text file", headers, camera_body("Read this", "just some plain text, not an image\n", "text/plain")},
      {"only the question", headers,
       "------ESP32_CAMERA_BOUNDARY\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\nhi\r\n"
       "------ESP32_CAMERA_BOUNDARY--\r\n"},
      {"empty image", headers, camera_body("Anything?", "")},
      {"no closing boundary", headers, camera_body("Q", tiny_jpeg()).substr(0, 120)},
      {"not multipart", json_headers, R"({"question":"hi"})"},
  };
  for (const auto& c : cases) {
    auto r = srv.upload(c.headers, c.body);
    EXPECT_EQ(r.status, 400) << c.what << ": " << r.body;
    error_of(r);
  }
  EXPECT_EQ(srv.fake().request_count(), 0u);
}

TEST(VisionEndpoint, ModelFailureIs502WithTheApisMessage) {
  VisionServer srv;
  srv.fake().push_reply(FakeReply{.http_status = 500, .error_body = R"({"error":{"message":"model overloaded"}})"});
  auto r = srv.upload(camera_headers(valid_token()), camera_body("What is this?", tiny_jpeg()));
  EXPECT_EQ(r.status, 502) << r.body;
  auto j = error_of(r);
  EXPECT_NE(j.value("message", "").find("model overloaded"), std::string::npos) << r.body;
  EXPECT_NE(j.value("message", "").find("500"), std::string::npos) << r.body;
}

TEST(VisionEndpoint, NoModelConfiguredIs503) {
  VisionServer srv(VisionServerOptions{.with_vllm = false});
  auto r = srv.upload(camera_headers(valid_token()), camera_body("What is this?", tiny_jpeg()));
  EXPECT_EQ(r.status, 503) << r.body;
  error_of(r);
}

TEST(VisionEndpoint, GetShowsTheUrlAndOptionsAnswersCors) {
  VisionServer srv;
  auto r = xz::test::http_request(srv.port(), "GET", "/mcp/vision/explain");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.header("Content-Type").starts_with("text/plain")) << r.header("Content-Type");
  EXPECT_NE(r.body.find(srv.settings().explain_url), std::string::npos) << r.body;
  expect_cors(r);

  auto o = xz::test::http_request(srv.port(), "OPTIONS", "/mcp/vision/explain");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.header("Access-Control-Allow-Methods"), "GET, POST, OPTIONS");
  expect_cors(o);
}

TEST(VisionEndpoint, SlowModelDoesNotBlockOtherRequestsOnTheSameLoop) {
  VisionServer srv;  // one event loop: every connection below shares it
  constexpr int kUploads = 10;
  constexpr auto kModelDelay = 1500ms;
  srv.fake().set_default_reply([](const json&) { return FakeReply{.tokens = {"slow answer"}, .first_token_delay = kModelDelay}; });

  const std::string body = camera_body("What is this?", tiny_jpeg());
  const auto headers = camera_headers(valid_token());
  std::atomic<int> finished{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<HttpResult>> uploads;
  for (int i = 0; i < kUploads; ++i) {
    uploads.push_back(std::async(std::launch::async, [&] {
      auto r = srv.upload(headers, body);
      ++finished;
      return r;
    }));
  }
  // Every upload has reached the model, which now takes 1.5 s to answer each.
  ASSERT_TRUE(srv.fake().wait_for_requests(kUploads, 10s));

  const auto t0 = std::chrono::steady_clock::now();
  auto health = xz::test::http_request(srv.port(), "GET", "/health");
  const auto health_time = std::chrono::steady_clock::now() - t0;
  const int finished_before_health = finished.load();
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(finished_before_health, 0) << "the uploads were still waiting for the model";
  EXPECT_LT(health_time, 100ms) << "took " << std::chrono::duration<double, std::milli>(health_time).count() << " ms";

  for (auto& f : uploads) {
    auto r = f.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("response", ""), "slow answer");
  }
  const auto total = std::chrono::steady_clock::now() - start;
  EXPECT_LT(total, 3 * kModelDelay) << "the ten model calls ran concurrently, not one after another";
}

TEST(VisionEndpoint, RequestsBeyondTheConcurrencyLimitAre503) {
  VisionServer srv(VisionServerOptions{.max_concurrent = 2});
  srv.fake().set_default_reply([](const json&) { return FakeReply{.tokens = {"ok"}, .first_token_delay = 1000ms}; });
  const std::string body = camera_body("What is this?", tiny_jpeg());
  const auto headers = camera_headers(valid_token());
  auto a = std::async(std::launch::async, [&] { return srv.upload(headers, body); });
  auto b = std::async(std::launch::async, [&] { return srv.upload(headers, body); });
  ASSERT_TRUE(srv.fake().wait_for_requests(2, 10s));
  auto third = srv.upload(headers, body);
  EXPECT_EQ(third.status, 503) << third.body;
  EXPECT_EQ(a.get().status, 200);
  EXPECT_EQ(b.get().status, 200);
  // The slots are free again.
  srv.fake().set_default_reply([](const json&) { return FakeReply{.tokens = {"again"}}; });
  auto later = srv.upload(headers, body);
  EXPECT_EQ(later.status, 200) << later.body;
}
