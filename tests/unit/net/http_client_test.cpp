#include "net/http_client.h"

#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/async.h"
#include "core/runtime.h"
#include "net/sse_parser.h"
#include "support/fake_openai.h"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using nlohmann::json;
using xz::core::Clock;
using xz::core::Runtime;
using xz::core::Task;
using xz::net::HttpClient;
using xz::net::HttpClientOptions;
using xz::net::HttpClientRequest;
using xz::net::HttpClientResponse;
using xz::test::FakeOpenAi;
using xz::test::FakeReply;

namespace {

template <class T>
T run_on(asio::io_context& loop, Task<T> task) {
  return asio::co_spawn(loop, std::move(task), asio::use_future).get();
}

// Runs the request and returns the error message ("" when it succeeded).
std::string error_of(asio::io_context& loop, Task<HttpClientResponse> task) {
  return run_on(loop, [](Task<HttpClientResponse> t) -> Task<std::string> {
    try {
      co_await std::move(t);
    } catch (const std::exception& e) {
      co_return e.what();
    }
    co_return "";
  }(std::move(task)));
}

HttpClientRequest chat_request(const FakeOpenAi& fake, bool stream, const std::string& user_text) {
  HttpClientRequest r;
  r.url = fake.url() + "/chat/completions";
  r.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-test"}};
  r.body = json{{"model", "gpt-test"}, {"stream", stream}, {"messages", {{{"role", "user"}, {"content", user_text}}}}}.dump();
  return r;
}

HttpClientRequest get_request(const std::string& url) {
  HttpClientRequest r;
  r.method = "GET";
  r.url = url;
  return r;
}

// The content deltas of an OpenAI SSE body.
std::vector<std::string> sse_contents(const std::string& body) {
  xz::net::SseParser p;
  std::vector<std::string> out;
  for (const auto& ev : p.feed(body)) {
    if (ev.data == "[DONE]") break;
    auto j = json::parse(ev.data);
    const auto& delta = j["choices"][0]["delta"];
    if (delta.contains("content") && delta["content"].is_string() && !delta["content"].get<std::string>().empty()) {
      out.push_back(delta["content"]);
    }
  }
  return out;
}

struct Collected {
  HttpClientResponse response;
  std::string body;
  std::vector<Clock::time_point> arrivals;
};

Task<Collected> collect(HttpClient& client, HttpClientRequest req) {
  Collected c;
  xz::net::HttpBodyHandler on_body = [&](std::string_view piece) -> Task<bool> {
    c.body.append(piece);
    c.arrivals.push_back(Clock::now());
    co_return true;
  };
  c.response = co_await client.stream(std::move(req), std::move(on_body));
  co_return c;
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override { rt.start(); }
  asio::io_context& loop() { return rt.loop(0); }

  Runtime rt{2, 1};  // declared first: the client must go before the loops
};

}  // namespace

TEST_F(HttpClientTest, WholeBodyRequestWithHeaders) {
  FakeOpenAi fake;
  HttpClient client;
  auto models = run_on(loop(), client.request(get_request(fake.url() + "/models")));
  EXPECT_EQ(models.status, 200);
  EXPECT_EQ(json::parse(models.body)["data"][0]["id"], "fake-model");
  EXPECT_NE(models.header("content-type").find("application/json"), std::string::npos);

  auto chat = run_on(loop(), client.request(chat_request(fake, false, "hello there")));
  ASSERT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(json::parse(chat.body)["choices"][0]["message"]["content"], "hello there");
  auto seen = fake.last_request();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/v1/chat/completions");
  EXPECT_EQ(seen.headers["authorization"], "Bearer sk-test");
  EXPECT_EQ(seen.headers["user-agent"], "xiaozhi-server");
  EXPECT_EQ(seen.headers["host"], "127.0.0.1:" + std::to_string(fake.port()));
  EXPECT_EQ(seen.json["model"], "gpt-test");
}

TEST_F(HttpClientTest, StreamDeliversTheBodyWhileTheServerIsStillSending) {
  FakeOpenAi fake;
  fake.push_reply({.tokens = {"one", " two", " three", " four", " five"}, .token_interval = 80ms});
  HttpClient client;
  auto c = run_on(loop(), collect(client, chat_request(fake, true, "count")));
  EXPECT_EQ(c.response.status, 200);
  EXPECT_NE(c.response.header("Content-Type").find("text/event-stream"), std::string::npos);
  EXPECT_EQ(c.response.header("transfer-encoding"), "chunked");
  EXPECT_TRUE(c.response.body.empty());
  EXPECT_EQ(sse_contents(c.body), (std::vector<std::string>{"one", " two", " three", " four", " five"}));
  auto sent = fake.token_send_times();
  ASSERT_EQ(sent.size(), 5u);
  ASSERT_GE(c.arrivals.size(), 5u) << "the body arrived in fewer pieces than tokens were sent";
  // The first piece was in our hands long before the server wrote its last token.
  EXPECT_LT(c.arrivals.front(), sent.back() - 200ms);
}

TEST_F(HttpClientTest, KeepAliveReusesOneConnection) {
  FakeOpenAi fake;
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    auto r = run_on(loop(), client.request(chat_request(fake, false, "again " + std::to_string(i))));
    EXPECT_EQ(r.status, 200);
  }
  auto c = run_on(loop(), collect(client, chat_request(fake, true, "and streamed")));
  EXPECT_EQ(sse_contents(c.body).size(), 2u);
  EXPECT_EQ(fake.connections_accepted(), 1u);
  EXPECT_EQ(client.connections_opened(), 1u);
  EXPECT_EQ(client.idle_connections(), 1u);
  for (const auto& r : fake.requests()) EXPECT_EQ(r.connection, 1);
}

TEST_F(HttpClientTest, ConnectionsArePooledPerEventLoop) {
  FakeOpenAi fake;
  HttpClient client;
  for (int round = 0; round < 2; ++round) {
    for (std::size_t l = 0; l < 2; ++l) {
      auto r = run_on(rt.loop(l), client.request(get_request(fake.url() + "/models")));
      EXPECT_EQ(r.status, 200);
    }
  }
  // One connection per loop, each reused on its own loop.
  EXPECT_EQ(client.connections_opened(), 2u);
  EXPECT_EQ(fake.connections_accepted(), 2u);
  EXPECT_EQ(client.idle_connections(), 2u);
}

TEST_F(HttpClientTest, AnIdleConnectionTheServerClosedIsReplaced) {
  // A bare server that answers one request per connection with keep-alive, then closes.
  asio::io_context server_io;
  asio::ip::tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  std::promise<void> first_closed;
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      asio::ip::tcp::socket s(server_io);
      acceptor.accept(s);
      asio::streambuf buf;
      asio::read_until(s, buf, "\r\n\r\n");
      std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
      asio::write(s, asio::buffer(answer));
      s.close();
      if (i == 0) first_closed.set_value();
    }
  });
  HttpClient client;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  auto a = run_on(loop(), client.request(get_request(url)));
  EXPECT_EQ(a.body, "ok");
  first_closed.get_future().wait();
  auto b = run_on(loop(), client.request(get_request(url)));
  EXPECT_EQ(b.body, "ok");
  EXPECT_EQ(client.connections_opened(), 2u);
  server.join();
}

TEST_F(HttpClientTest, TotalTimeoutEndsAHangingRequest) {
  FakeOpenAi fake;
  fake.push_reply({.hang = true});
  HttpClient client;
  auto req = chat_request(fake, true, "hello");
  req.total_timeout = 300ms;
  auto start = Clock::now();
  std::string err = error_of(loop(), client.request(req));
  auto took = Clock::now() - start;
  EXPECT_NE(err.find("timed out after 300 ms"), std::string::npos) << err;
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s)) << "the client kept the timed-out connection open";
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, ConnectionRefusedIsAReadableError) {
  std::uint16_t port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  HttpClient client;
  std::string err = error_of(loop(), client.request(get_request("http://127.0.0.1:" + std::to_string(port) + "/")));
  EXPECT_NE(err.find("connect to 127.0.0.1:" + std::to_string(port) + " failed"), std::string::npos) << err;
  EXPECT_NE(err.find("refused"), std::string::npos) << err;
}

TEST_F(HttpClientTest, BadUrlsAreRejected) {
  HttpClient client;
  EXPECT_NE(error_of(loop(), client.request(get_request("ftp://example.com/x"))).find("unsupported URL scheme"),
            std::string::npos);
  EXPECT_NE(error_of(loop(), client.request(get_request("not a url"))).find("invalid URL"), std::string::npos);
}

TEST_F(HttpClientTest, ResponseBodyLimit) {
  FakeOpenAi fake;
  HttpClient client;
  auto req = chat_request(fake, false, std::string(500, 'x'));
  req.max_response_bytes = 100;
  std::string err = error_of(loop(), client.request(req));
  EXPECT_NE(err.find("larger than 100 bytes"), std::string::npos) << err;

  // The same for a chunked body that is streamed.
  fake.set_speech(std::vector<std::int16_t>(4000, 7));
  HttpClientRequest speech;
  speech.url = fake.url() + "/audio/speech";
  speech.body = json{{"model", "tts-1"}, {"input", "hi"}, {"voice", "alloy"}, {"response_format", "pcm"}}.dump();
  speech.max_response_bytes = 5000;
  std::size_t delivered = 0;
  err = error_of(loop(), client.stream(speech, [&](std::string_view piece) -> Task<bool> {
    delivered += piece.size();
    co_return true;
  }));
  EXPECT_NE(err.find("larger than 5000 bytes"), std::string::npos) << err;
  EXPECT_LE(delivered, 5000u);
}

TEST_F(HttpClientTest, ErrorStatusIsReturnedWithItsBodyNotStreamed) {
  FakeOpenAi fake;
  fake.fail_next(503, R"({"error":{"message":"overloaded"}})");
  HttpClient client;
  int calls = 0;
  auto r = run_on(loop(), client.stream(chat_request(fake, true, "hi"), [&](std::string_view) -> Task<bool> {
    ++calls;
    co_return true;
  }));
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(calls, 0);
  EXPECT_NE(r.body.find("overloaded"), std::string::npos);
  // The connection stays usable.
  auto again = run_on(loop(), client.request(get_request(fake.url() + "/models")));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(HttpClientTest, HandlerCanStopReadingAndTheConnectionIsDropped) {
  FakeOpenAi fake;
  fake.set_speech(std::vector<std::int16_t>(48000, 1));  // 2 s at 24 kHz
  fake.set_speech_chunking(4800, 30ms);
  HttpClient client;
  HttpClientRequest speech;
  speech.url = fake.url() + "/audio/speech";
  speech.body = json{{"model", "tts-1"}, {"input", "hi"}, {"voice", "alloy"}, {"response_format", "pcm"}}.dump();
  int pieces = 0;
  auto start = Clock::now();
  auto r = run_on(loop(), client.stream(speech, [&](std::string_view) -> Task<bool> {
    ++pieces;
    co_return false;
  }));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(pieces, 1);
  EXPECT_LT(Clock::now() - start, 500ms) << "the whole 20-chunk body was read instead of stopping";
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s));
}

TEST_F(HttpClientTest, CancellationStopsTheStreamAtOnce) {
  FakeOpenAi fake;
  std::vector<std::string> tokens(20, " tok");
  fake.push_reply({.tokens = tokens, .token_interval = 100ms});
  HttpClient client;
  struct Times {
    Clock::time_point cancel_requested, returned;
    bool stream_finished = false;
  };
  auto times = run_on(loop(), [&]() -> Task<Times> {
    using namespace asio::experimental::awaitable_operators;
    Times t;
    xz::core::Event first(co_await asio::this_coro::executor);
    std::string body;
    auto streaming = client.stream(chat_request(fake, true, "go"), [&](std::string_view piece) -> Task<bool> {
      body.append(piece);
      if (!sse_contents(body).empty() && !first.is_set()) {
        t.cancel_requested = Clock::now();
        first.set();  // the other branch wins; the stream gets cancelled
      }
      co_return true;
    });
    auto r = co_await (std::move(streaming) || first.wait());
    t.returned = Clock::now();
    t.stream_finished = r.index() == 0;
    co_return t;
  }());
  EXPECT_FALSE(times.stream_finished);
  auto latency = times.returned - times.cancel_requested;
  EXPECT_LT(latency, 20ms) << std::chrono::duration_cast<std::chrono::microseconds>(latency).count() << " us";
  EXPECT_TRUE(fake.wait_for_client_disconnects(1, 2s)) << "the server did not see the client leave";
  EXPECT_LT(fake.token_send_times().size(), 20u);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(HttpClientTest, HttpsWithTheServersCertificateTrusted) {
  FakeOpenAi fake({.tls = true});
  ASSERT_EQ(fake.url().rfind("https://", 0), 0u);
  HttpClient client(HttpClientOptions{.ca_pem = fake.ca_pem()});
  fake.push_reply({.tokens = {"secure", " hello"}, .token_interval = 20ms});
  auto c = run_on(loop(), collect(client, chat_request(fake, true, "hi")));
  EXPECT_EQ(c.response.status, 200);
  EXPECT_EQ(sse_contents(c.body), (std::vector<std::string>{"secure", " hello"}));
  auto again = run_on(loop(), client.request(get_request(fake.url() + "/models")));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(client.connections_opened(), 1u) << "the TLS connection was not kept alive";
  EXPECT_EQ(fake.connections_accepted(), 1u);

  // By host name: resolver, SNI and the DNS name in the certificate.
  auto by_name = run_on(loop(), client.request(get_request("https://localhost:" + std::to_string(fake.port()) + "/v1/models")));
  EXPECT_EQ(by_name.status, 200);
  EXPECT_EQ(fake.last_request().headers["host"], "localhost:" + std::to_string(fake.port()));
}

TEST_F(HttpClientTest, HttpsRejectsAnUntrustedCertificate) {
  FakeOpenAi fake({.tls = true});
  HttpClient strict;
  std::string err = error_of(loop(), strict.request(get_request(fake.url() + "/models")));
  EXPECT_NE(err.find("TLS handshake"), std::string::npos) << err;
  EXPECT_NE(err.find("certificate verify failed"), std::string::npos) << err;
  EXPECT_EQ(fake.request_count(), 0u);

  HttpClient lax(HttpClientOptions{.verify_peer = false});
  EXPECT_EQ(run_on(loop(), lax.request(get_request(fake.url() + "/models"))).status, 200);
}
