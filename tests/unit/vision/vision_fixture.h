#pragma once
// A real HTTP server on an ephemeral port with the vision (and /health) routes, a real
// OpenAiVllm engine pointed at a FakeOpenAi, and the firmware's chunked camera upload.
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "core/runtime.h"
#include "http/health.h"
#include "http/vision.h"
#include "net/http_server.h"
#include "protocol/vision_token.h"
#include "providers/vllm/openai_vllm.h"
#include "support/child_process.h"
#include "support/fake_openai.h"

namespace xz::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline const char* kVisionDevice = "aa:bb:cc:dd:ee:ff";
inline const char* kVisionClient = "5c1a1c2e-8a8f-4d57-9e8b-2f9f0c0f3a11";
inline const char* kBoundary = "----ESP32_CAMERA_BOUNDARY";

// Deriving the key costs ~0.1 s: one codec for the whole test binary.
inline const protocol::VisionTokenCodec& vision_codec() {
  static const protocol::VisionTokenCodec codec("test-vision-auth-key");
  return codec;
}

// The body Esp32Camera::Explain() streams (device-protocol.md §5.7).
inline std::string camera_body(const std::string& question, const std::string& image,
                               const std::string& image_type = "image/jpeg") {
  return fmt::format(
      "--{0}\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n{1}\r\n"
      "--{0}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"camera.jpg\"\r\n"
      "Content-Type: {2}\r\n\r\n{3}\r\n--{0}--\r\n",
      kBoundary, question, image_type, image);
}

inline Headers camera_headers(const std::string& token, const std::string& device_id = kVisionDevice,
                              const std::string& client_id = kVisionClient) {
  Headers h = {{"Device-Id", device_id}, {"Client-Id", client_id}};
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  h.emplace_back("Content-Type", std::string("multipart/form-data; boundary=") + kBoundary);
  return h;
}

// POSTs `body` with Transfer-Encoding: chunked in `chunk`-byte pieces, as the
// firmware's HTTP client does, and reads the answer (the connection is then closed).
inline HttpResult chunked_post(unsigned short port, const std::string& target, const Headers& headers,
                               const std::string& body, std::size_t chunk = 1024) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  timeval tv{30, 0};  // a server that never answers fails the test instead of hanging it
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  std::string head = fmt::format("POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n", target, port);
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(head));
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    std::string_view piece = std::string_view(body).substr(at, chunk);
    std::string framed = fmt::format("{:x}\r\n", piece.size());
    framed.append(piece);
    framed += "\r\n";
    asio::write(s, asio::buffer(framed));
  }
  asio::write(s, asio::buffer(std::string("0\r\n\r\n")));

  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  http::read(s, buf, parser);
  auto res = parser.release();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return out;
}

struct VisionServerOptions {
  bool with_vllm = true;
  bool allow_test_client = false;
  std::size_t max_concurrent = 16;
};

class VisionServer {
 public:
  explicit VisionServer(VisionServerOptions o = {}) : rt_(1, 2), ctx_{rt_.pool()} {
    rt_.start();
    if (o.with_vllm) {
      providers::EngineConfig cfg = {{"type", "openai"}, {"base_url", fake_.url()}, {"model_name", "vision-test"},
                                     {"api_key", "sk-vision"}, {"timeout", 20}};
      engine_ = std::make_unique<providers::OpenAiVllm>(cfg, ctx_);
    }
    settings_.explain_url = "http://10.0.0.5:8003/mcp/vision/explain";
    settings_.allow_test_client = o.allow_test_client;
    settings_.max_concurrent = o.max_concurrent;

    auto router = std::make_shared<net::HttpRouter>();
    http::add_vision_routes(*router, http::VisionContext{settings_, vision_codec(), engine_.get(), rt_.pool()});
    http::add_health_routes(*router, http::HealthSource{std::chrono::steady_clock::now(), {}, {}});
    net::HttpServerOptions so;
    so.address = "127.0.0.1";
    so.port = 0;
    so.max_body_bytes = 16 * 1024 * 1024;  // so the endpoint's own 5 MB limit is what answers
    server_ = std::make_unique<net::HttpServer>(rt_, so, router);
    server_->start();
  }
  ~VisionServer() {
    server_->stop_accepting();
    rt_.stop();
  }
  VisionServer(const VisionServer&) = delete;
  VisionServer& operator=(const VisionServer&) = delete;

  unsigned short port() const { return server_->port(); }
  FakeOpenAi& fake() { return fake_; }
  const http::VisionSettings& settings() const { return settings_; }

  HttpResult upload(const Headers& headers, const std::string& body, std::size_t chunk = 1024) {
    return chunked_post(port(), "/mcp/vision/explain", headers, body, chunk);
  }

 private:
  FakeOpenAi fake_;
  core::Runtime rt_;
  providers::ProviderContext ctx_;
  http::VisionSettings settings_;
  std::unique_ptr<providers::OpenAiVllm> engine_;
  std::unique_ptr<net::HttpServer> server_;
};

inline std::string valid_token(const std::string& device_id = kVisionDevice) {
  return http::make_vision_token(vision_codec(), device_id, std::chrono::hours(1));
}

}  // namespace xz::test
