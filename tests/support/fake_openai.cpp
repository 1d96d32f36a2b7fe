#include "support/fake_openai.h"
#include "support/peer_close.h"
#include "support/self_signed.h"


#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "audio/resampler.h"
#include "support/encoded_audio.h"
#include "support/speech.h"

namespace xz::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
template <class T = void>
using Task = asio::awaitable<T>;

namespace {

// ------------------------------------------------------------------ small helpers

bool ends_with(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits into word tokens whose concatenation is the text ("a b" -> "a", " b").
std::vector<std::string> word_tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ' ' && !cur.empty() && cur.back() != ' ') {
      out.push_back(std::move(cur));
      cur.clear();
    }
    cur.push_back(c);
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string message_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.value("type", "") == "text") out += part.value("text", "");
    }
  }
  return out;
}

FakeReply echo_reply(const json& request) {
  std::string text;
  if (request.contains("messages") && request["messages"].is_array()) {
    for (const auto& m : request["messages"]) {
      if (m.value("role", "") == "user" && m.contains("content")) text = message_text(m["content"]);
    }
  }
  if (text.empty()) text = "Hello from the fake.";
  FakeReply r;
  r.tokens = word_tokens(text);
  return r;
}

std::string error_json(int status, const std::string& message) {
  return json{{"error", {{"message", message}, {"type", status == 401 ? "invalid_request_error" : "server_error"},
                         {"param", nullptr}, {"code", status == 401 ? json("invalid_api_key") : json(nullptr)}}}}
      .dump();
}

struct Multipart {
  std::map<std::string, std::string> fields;
  std::string file, file_name, file_type;
};

std::string header_param(std::string_view header, std::string_view name) {
  std::string key = std::string(name) + "=";
  auto at = header.find(key);
  if (at == std::string_view::npos) return {};
  auto v = header.substr(at + key.size());
  if (v.starts_with('"')) {
    v.remove_prefix(1);
    return std::string(v.substr(0, v.find('"')));
  }
  return std::string(v.substr(0, v.find_first_of("; ")));
}

Multipart parse_multipart(const std::string& content_type, const std::string& body) {
  Multipart out;
  std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty()) throw std::runtime_error("multipart without a boundary");
  std::string delim = "--" + boundary;
  std::size_t pos = body.find(delim);
  if (pos == std::string::npos) throw std::runtime_error("multipart boundary not found");
  for (;;) {
    pos += delim.size();
    if (body.compare(pos, 2, "--") == 0) break;  // closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) throw std::runtime_error("multipart: bad delimiter line");
    pos += 2;
    auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) throw std::runtime_error("multipart: part without headers end");
    std::string headers = body.substr(pos, head_end - pos);
    auto next = body.find("\r\n" + delim, head_end + 4);
    if (next == std::string::npos) throw std::runtime_error("multipart: unterminated part");
    std::string content = body.substr(head_end + 4, next - head_end - 4);
    std::string disposition, type;
    std::size_t line_start = 0;
    while (line_start <= headers.size()) {
      auto line_end = headers.find("\r\n", line_start);
      std::string line = headers.substr(line_start, line_end - line_start);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "content-disposition") disposition = value;
        if (name == "content-type") type = value;
      }
      if (line_end == std::string::npos) break;
      line_start = line_end + 2;
    }
    std::string field = header_param(disposition, "name");
    if (disposition.find("filename=") != std::string::npos) {
      out.file = std::move(content);
      out.file_name = header_param(disposition, "filename");
      out.file_type = type;
      out.fields[field + ".filename"] = out.file_name;
    } else {
      out.fields[field] = std::move(content);
    }
    pos = next + 2;
  }
  return out;
}

// 16 kHz -> 24 kHz by linear interpolation: good enough for a fake voice.
std::vector<std::int16_t> upsample_16k_to_24k(const std::vector<std::int16_t>& in) {
  std::vector<std::int16_t> out;
  if (in.empty()) return out;
  std::size_t n = in.size() * 3 / 2;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    double src = static_cast<double>(i) * 2.0 / 3.0;
    auto a = static_cast<std::size_t>(src);
    std::size_t b = std::min(a + 1, in.size() - 1);
    double f = src - static_cast<double>(a);
    out.push_back(static_cast<std::int16_t>(in[a] * (1.0 - f) + in[b] * f));
  }
  return out;
}

void put_le(std::string& out, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_le(const std::string& s, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

}  // namespace

std::string make_wav(const std::vector<std::int16_t>& pcm, int sample_rate) {
  std::string out;
  auto data_bytes = static_cast<std::uint32_t>(pcm.size() * 2);
  out += "RIFF";
  put_le(out, 36 + data_bytes, 4);
  out += "WAVEfmt ";
  put_le(out, 16, 4);
  put_le(out, 1, 2);  // PCM
  put_le(out, 1, 2);  // mono
  put_le(out, static_cast<std::uint32_t>(sample_rate), 4);
  put_le(out, static_cast<std::uint32_t>(sample_rate) * 2, 4);
  put_le(out, 2, 2);
  put_le(out, 16, 2);
  out += "data";
  put_le(out, data_bytes, 4);
  for (auto s : pcm) put_le(out, static_cast<std::uint16_t>(s), 2);
  return out;
}

ParsedWav parse_wav(const std::string& bytes) {
  if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 4, "WAVE") != 0) {
    throw std::runtime_error("not a RIFF/WAVE file");
  }
  ParsedWav w;
  std::size_t at = 12;
  while (at + 8 <= bytes.size()) {
    std::string id = bytes.substr(at, 4);
    std::uint32_t size = get_le(bytes, at + 4, 4);
    at += 8;
    if (id == "fmt ") {
      if (size < 16 || at + 16 > bytes.size()) throw std::runtime_error("short fmt chunk");
      w.channels = static_cast<int>(get_le(bytes, at + 2, 2));
      w.sample_rate = static_cast<int>(get_le(bytes, at + 4, 4));
      w.bits = static_cast<int>(get_le(bytes, at + 14, 2));
    } else if (id == "data") {
      std::size_t n = std::min<std::size_t>(size, bytes.size() - at);
      for (std::size_t i = 0; i + 1 < n; i += 2) {
        w.samples.push_back(static_cast<std::int16_t>(get_le(bytes, at + i, 2)));
      }
      return w;
    }
    at += size + (size & 1);
  }
  throw std::runtime_error("WAV without a data chunk");
}

// ------------------------------------------------------------------ the server

struct FakeOpenAi::Impl {
  explicit Impl(FakeOpenAiOptions o) : opts(o) {}

  FakeOpenAiOptions opts;
  xz::test::SelfSigned cert;
  std::optional<ssl::context> tls_ctx;
  std::uint16_t port = 0;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<FakeReply> replies;
  std::function<FakeReply(const json&)> default_reply = echo_reply;
  std::string transcript = "hello";
  std::optional<std::vector<std::int16_t>> speech;
  std::size_t speech_chunk_bytes = 4800;
  std::chrono::milliseconds speech_interval{0};
  std::optional<std::string> speech_raw;
  FakeSpeechFault speech_fault = FakeSpeechFault::none;
  std::size_t speech_cut_after = 0;
  std::vector<Clock::time_point> speech_chunk_times;
  std::optional<std::pair<int, std::string>> next_failure;
  std::vector<FakeRequest> requests;
  std::vector<Clock::time_point> token_times;
  std::size_t disconnects = 0;
  std::atomic<std::size_t> accepted{0};
  std::atomic<std::size_t> open{0};
  std::atomic<int> next_completion_id{0};

  // Declared last among the I/O members; torn down explicitly in ~FakeOpenAi.
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread thread;

  void note_disconnect() {
    {
      std::lock_guard lk(mu);
      ++disconnects;
    }
    cv.notify_all();
  }
  void add_request(FakeRequest r) {
    {
      std::lock_guard lk(mu);
      requests.push_back(std::move(r));
    }
    cv.notify_all();
  }
};

namespace {

using Impl = FakeOpenAi::Impl;
using Request = http::request<http::string_body>;

struct OpenGuard {
  explicit OpenGuard(Impl* s) : self(s) { self->open.fetch_add(1); }
  ~OpenGuard() { self->open.fetch_sub(1); }
  Impl* self;
};

tcp::socket& socket_of(beast::tcp_stream& s) { return s.socket(); }
tcp::socket& socket_of(beast::ssl_stream<beast::tcp_stream>& s) { return beast::get_lowest_layer(s).socket(); }

template <class Stream>
Task<void> wait_for_close(Stream& stream) {
  co_await wait_for_peer_close(socket_of(stream));
}

template <class Stream>
Task<bool> write_simple(Stream& stream, int status, const char* content_type, std::string body, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "fake-openai");
  res.set(http::field::content_type, content_type);
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  auto [ec, n] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

template <class Stream>
Task<bool> write_chunk(Stream& stream, std::string_view data) {
  auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(data.data(), data.size())),
                                            asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

template <class Stream>
Task<bool> write_chunked_head(Stream& stream, const char* content_type) {
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::server, "fake-openai");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-cache");
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  auto [ec, n] = co_await http::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

template <class Stream>
Task<bool> write_last_chunk(Stream& stream) {
  auto [ec, n] = co_await asio::async_write(stream, http::make_chunk_last(), asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

Task<void> sleep(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

json chunk_json(const std::string& id, const std::string& model, json delta, json finish_reason) {
  return json{{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", std::time(nullptr)},
              {"model", model},
              {"system_fingerprint", "fp_fake"},
              {"choices", json::array({json{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                                            {"finish_reason", std::move(finish_reason)}}})}};
}

constexpr std::string_view kDone = "data: [DONE]\n\n";
constexpr const char* kJson = "application/json";
constexpr const char* kEventStream = "text/event-stream; charset=utf-8";

std::string sse(const json& j) { return "data: " + j.dump() + "\n\n"; }

// The SSE events of one streamed reply, after the headers. False when the client left.
template <class Stream>
Task<bool> send_chat_events(Impl* self, Stream& stream, const FakeReply& r, const std::string& id,
                            const std::string& model, bool& dropped) {
  // String literals stay out of co_await expressions: g++ 12 miscompiles them there.
  std::string role = sse(chunk_json(id, model, {{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr));
  if (!co_await write_chunk(stream, role)) co_return false;
  co_await sleep(r.first_token_delay);
  std::size_t half = (r.tokens.size() + 1) / 2;
  for (std::size_t i = 0; i < r.tokens.size(); ++i) {
    if (i > 0) co_await sleep(r.token_interval);
    if (r.drop_mid_stream && i == half) {
      dropped = true;
      co_return true;
    }
    std::string ev = sse(chunk_json(id, model, {{"content", r.tokens[i]}}, nullptr));
    if (!co_await write_chunk(stream, ev)) co_return false;
    std::lock_guard lk(self->mu);
    self->token_times.push_back(Clock::now());
  }
  if (r.drop_mid_stream && r.tokens.size() <= half && r.tool_calls.empty()) {
    dropped = true;
    co_return true;
  }
  for (std::size_t i = 0; i < r.tool_calls.size(); ++i) {
    const auto& tc = r.tool_calls[i];
    std::string call_id = tc.id.empty() ? "call_" + std::to_string(i + 1) : tc.id;
    json first = {{"tool_calls", json::array({json{{"index", i}, {"id", call_id}, {"type", "function"},
                                                     {"function", {{"name", tc.name}, {"arguments", ""}}}}})}};
    if (!co_await write_chunk(stream, sse(chunk_json(id, model, first, nullptr)))) co_return false;
    for (std::size_t at = 0; at < tc.arguments.size();) {
      // Pieces of about 5 bytes that never split a UTF-8 character: OpenAI sends text, and
      // a JSON string of a partial character cannot be written at all.
      std::size_t end = std::min(at + 5, tc.arguments.size());
      while (end < tc.arguments.size() && (static_cast<unsigned char>(tc.arguments[end]) & 0xC0) == 0x80) ++end;
      co_await sleep(r.token_interval);
      json frag = {{"tool_calls", json::array({json{{"index", i}, {"function", {{"arguments", tc.arguments.substr(at, end - at)}}}}})}};
      if (!co_await write_chunk(stream, sse(chunk_json(id, model, frag, nullptr)))) co_return false;
      at = end;
    }
  }
  if (!r.omit_done) {
    json finish = r.tool_calls.empty() ? "stop" : "tool_calls";
    if (!co_await write_chunk(stream, sse(chunk_json(id, model, json::object(), finish)))) co_return false;
    if (!co_await write_chunk(stream, kDone)) co_return false;
  }
  co_return co_await write_last_chunk(stream);
}

// Runs `send` until it ends or the client goes away. Returns true when the response
// was complete (the connection may be kept).
template <class Stream>
Task<bool> send_watching(Impl* self, Stream& stream, Task<bool> send) {
  using namespace asio::experimental::awaitable_operators;
  auto r = co_await (std::move(send) || wait_for_close(stream));
  if (r.index() == 1 || !std::get<0>(r)) {
    self->note_disconnect();
    co_return false;
  }
  co_return true;
}

template <class Stream>
Task<bool> serve_chat(Impl* self, Stream& stream, const FakeRequest& rec) {
  const json& body = rec.json;
  if (!body.is_object() || !body.contains("messages")) {
    std::string err = error_json(400, "'messages' is required");
    co_return co_await write_simple(stream, 400, kJson, std::move(err), true);
  }
  FakeReply r;
  {
    std::unique_lock lk(self->mu);
    if (!self->replies.empty()) {
      r = std::move(self->replies.front());
      self->replies.pop_front();
    } else {
      auto fn = self->default_reply;
      lk.unlock();
      r = fn(body);
    }
  }
  if (r.hang) {
    co_await wait_for_close(stream);
    self->note_disconnect();
    co_return false;
  }
  if (r.http_status != 200) {
    std::string err = r.error_body.empty() ? error_json(r.http_status, "fake error " + std::to_string(r.http_status))
                                           : r.error_body;
    co_return co_await write_simple(stream, r.http_status, kJson, err, true);
  }
  std::string id = "chatcmpl-fake-" + std::to_string(++self->next_completion_id);
  std::string model = body.value("model", "fake-model");
  if (!body.value("stream", false)) {
    co_await sleep(r.first_token_delay);
    std::string content;
    for (const auto& t : r.tokens) content += t;
    json message = {{"role", "assistant"}, {"content", r.tool_calls.empty() || !content.empty() ? json(content) : json(nullptr)}};
    if (!r.tool_calls.empty()) {
      json calls = json::array();
      for (std::size_t i = 0; i < r.tool_calls.size(); ++i) {
        const auto& tc = r.tool_calls[i];
        calls.push_back({{"id", tc.id.empty() ? "call_" + std::to_string(i + 1) : tc.id}, {"type", "function"},
                         {"function", {{"name", tc.name}, {"arguments", tc.arguments}}}});
      }
      message["tool_calls"] = calls;
    }
    json answer = {{"id", id}, {"object", "chat.completion"}, {"created", std::time(nullptr)}, {"model", model},
                   {"choices", json::array({json{{"index", 0}, {"message", message}, {"logprobs", nullptr},
                                                 {"finish_reason", r.tool_calls.empty() ? "stop" : "tool_calls"}}})},
                   {"usage", {{"prompt_tokens", 10}, {"completion_tokens", r.tokens.size()},
                              {"total_tokens", 10 + r.tokens.size()}}}};
    co_return co_await write_simple(stream, 200, kJson, answer.dump(), true);
  }
  {
    std::lock_guard lk(self->mu);
    self->token_times.clear();
  }
  if (!co_await write_chunked_head(stream, kEventStream)) {
    self->note_disconnect();
    co_return false;
  }
  bool dropped = false;
  bool complete = co_await send_watching(self, stream, send_chat_events(self, stream, r, id, model, dropped));
  if (complete && dropped) {
    error_code ec;
    socket_of(stream).close(ec);
    co_return false;
  }
  co_return complete;
}

// Sends `bytes` as chunks of chunk_bytes with `interval` between them; faults: the
// connection closed, or nothing more sent, once `cut_after` chunks went out.
template <class Stream>
Task<bool> send_bytes_chunked(Impl* self, Stream& stream, std::string bytes, std::size_t chunk_bytes,
                              std::chrono::milliseconds interval, FakeSpeechFault fault, std::size_t cut_after,
                              bool& dropped) {
  std::size_t sent = 0;
  for (std::size_t at = 0; at < bytes.size(); at += chunk_bytes) {
    if (fault != FakeSpeechFault::none && sent == cut_after) {
      if (fault == FakeSpeechFault::drop) {
        dropped = true;
        co_return true;
      }
      co_await wait_for_close(stream);  // stall: the client's timeout has to end it
      co_return false;
    }
    if (at > 0) co_await sleep(interval);
    const auto start = Clock::now();  // before the write: a measurement from it errs long, never short
    if (!co_await write_chunk(stream, std::string_view(bytes).substr(at, chunk_bytes))) co_return false;
    ++sent;
    std::lock_guard lk(self->mu);
    self->speech_chunk_times.push_back(start);
  }
  co_return co_await write_last_chunk(stream);
}

// The answer in `format`, as the API would encode it.
std::string encode_speech(const std::string& format, const std::vector<std::int16_t>& pcm) {
  if (format == "wav") return make_wav(pcm, 24000);
  if (format == "mp3") return xz::test::encode_mp3(pcm, 24000, 1, 48, /*info_tag=*/false);
  if (format == "opus") return xz::test::make_ogg_opus(xz::audio::resample_once(pcm, 24000, 48000));
  if (format == "aac") return xz::test::encode_adts_aac(pcm, 24000);
  if (format == "flac") return xz::test::encode_flac(pcm, 24000);
  std::string bytes;
  bytes.reserve(pcm.size() * 2);
  for (auto s : pcm) put_le(bytes, static_cast<std::uint16_t>(s), 2);
  return bytes;
}

template <class Stream>
Task<bool> serve_speech(Impl* self, Stream& stream, const FakeRequest& rec) {
  const json& body = rec.json;
  if (!body.is_object() || !body.contains("input") || !body["input"].is_string()) {
    std::string err = error_json(400, "'input' is required");
    co_return co_await write_simple(stream, 400, kJson, std::move(err), true);
  }
  static const std::map<std::string, const char*> kTypes = {{"pcm", "audio/pcm"},   {"wav", "audio/wav"},
                                                            {"mp3", "audio/mpeg"},  {"opus", "audio/ogg"},
                                                            {"aac", "audio/aac"},   {"flac", "audio/flac"}};
  std::string format = body.value("response_format", "mp3");
  auto type = kTypes.find(format);
  if (type == kTypes.end()) {
    std::string err = error_json(400, "Invalid response_format: " + format);
    co_return co_await write_simple(stream, 400, kJson, std::move(err), true);
  }
  std::optional<std::vector<std::int16_t>> configured;
  std::optional<std::string> raw;
  std::size_t chunk_bytes, cut_after;
  std::chrono::milliseconds interval;
  FakeSpeechFault fault;
  {
    std::lock_guard lk(self->mu);
    configured = self->speech;
    raw = self->speech_raw;
    chunk_bytes = std::max<std::size_t>(1, self->speech_chunk_bytes);
    interval = self->speech_interval;
    fault = self->speech_fault;
    cut_after = self->speech_cut_after;
    self->speech_chunk_times.clear();
  }
  std::string bytes;
  if (raw) {
    bytes = std::move(*raw);
  } else {
    std::vector<std::int16_t> pcm = configured ? std::move(*configured)
                                               : upsample_16k_to_24k(flite_speech(body["input"].get<std::string>()));
    bytes = encode_speech(format, pcm);
  }
  if (!co_await write_chunked_head(stream, type->second)) {
    self->note_disconnect();
    co_return false;
  }
  bool dropped = false;
  bool complete = co_await send_watching(
      self, stream, send_bytes_chunked(self, stream, std::move(bytes), chunk_bytes, interval, fault, cut_after, dropped));
  if (complete && dropped) {
    error_code ec;
    socket_of(stream).close(ec);
    co_return false;
  }
  co_return complete;
}

template <class Stream>
Task<bool> serve_transcription(Impl* self, Stream& stream, FakeRequest& rec) {
  std::string text;
  {
    std::lock_guard lk(self->mu);
    text = self->transcript;
  }
  if (rec.file.empty()) {
    std::string err = error_json(400, "'file' is required");
    co_return co_await write_simple(stream, 400, kJson, std::move(err), true);
  }
  std::string answer = json{{"text", text}}.dump();
  co_return co_await write_simple(stream, 200, kJson, std::move(answer), true);
}

FakeRequest record(const Request& req, int connection) {
  FakeRequest rec;
  rec.method = std::string(req.method_string());
  rec.target = std::string(req.target());
  rec.path = rec.target.substr(0, rec.target.find('?'));
  for (const auto& f : req) rec.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  rec.body = req.body();
  rec.json = json::parse(rec.body, nullptr, false);
  if (rec.json.is_discarded()) rec.json = nullptr;
  rec.connection = connection;
  auto ct = rec.headers.find("content-type");
  if (ct != rec.headers.end() && ct->second.starts_with("multipart/form-data")) {
    try {
      auto mp = parse_multipart(ct->second, rec.body);
      rec.form = std::move(mp.fields);
      rec.file = std::move(mp.file);
      rec.file_name = std::move(mp.file_name);
      rec.file_type = std::move(mp.file_type);
    } catch (const std::exception& e) {
      rec.form["_error"] = e.what();
    }
  }
  return rec;
}

template <class Stream>
Task<bool> respond(Impl* self, Stream& stream, const Request& req, int connection) {
  FakeRequest rec = record(req, connection);
  self->add_request(rec);
  std::optional<std::pair<int, std::string>> failure;
  {
    std::lock_guard lk(self->mu);
    failure.swap(self->next_failure);
  }
  if (failure) {
    std::string body = failure->second.empty() ? error_json(failure->first, "fake failure") : failure->second;
    co_return co_await write_simple(stream, failure->first, kJson, body, true);
  }
  if (rec.method == "POST" && ends_with(rec.path, "/chat/completions")) co_return co_await serve_chat(self, stream, rec);
  if (rec.method == "POST" && ends_with(rec.path, "/audio/speech")) co_return co_await serve_speech(self, stream, rec);
  if (rec.method == "POST" && ends_with(rec.path, "/audio/transcriptions")) {
    if (rec.form.contains("_error")) {
      std::string err = error_json(400, rec.form["_error"]);
      co_return co_await write_simple(stream, 400, kJson, std::move(err), true);
    }
    co_return co_await serve_transcription(self, stream, rec);
  }
  if (rec.method == "GET" && ends_with(rec.path, "/models")) {
    json models = {{"object", "list"}, {"data", json::array({json{{"id", "fake-model"}, {"object", "model"}}})}};
    co_return co_await write_simple(stream, 200, kJson, models.dump(), true);
  }
  std::string err = error_json(404, "no route " + rec.path);
  co_return co_await write_simple(stream, 404, kJson, std::move(err), true);
}

template <class Stream>
Task<void> serve_requests(Impl* self, Stream& stream, int connection) {
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buf, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    Request req = parser.release();
    bool keep = co_await respond(self, stream, req, connection);
    if (!keep || !req.keep_alive()) co_return;
  }
}

Task<void> serve_connection(Impl* self, tcp::socket socket, int connection) {
  OpenGuard guard(self);
  if (self->tls_ctx) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *self->tls_ctx);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    co_await serve_requests(self, stream, connection);
    error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  } else {
    beast::tcp_stream stream(std::move(socket));
    co_await serve_requests(self, stream, connection);
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
}

Task<void> accept_loop(Impl* self) {
  for (;;) {
    auto [ec, socket] = co_await self->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    int connection = static_cast<int>(self->accepted.fetch_add(1) + 1);
    asio::co_spawn(*self->io, serve_connection(self, std::move(socket), connection), asio::detached);
  }
}

}  // namespace

FakeOpenAi::FakeOpenAi(FakeOpenAiOptions opts) : impl_(std::make_unique<Impl>(opts)) {
  auto& s = *impl_;
  if (opts.tls) {
    s.cert = xz::test::make_self_signed();
    s.tls_ctx.emplace(ssl::context::tls_server);
    s.tls_ctx->use_certificate_chain(asio::buffer(s.cert.cert_pem));
    s.tls_ctx->use_private_key(asio::buffer(s.cert.key_pem), ssl::context::pem);
  }
  s.io = std::make_unique<asio::io_context>(1);
  s.acceptor = std::make_unique<tcp::acceptor>(*s.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  s.port = s.acceptor->local_endpoint().port();
  asio::co_spawn(*s.io, accept_loop(&s), asio::detached);
  s.thread = std::thread([io = s.io.get()] { io->run(); });
}

FakeOpenAi::~FakeOpenAi() {
  auto& s = *impl_;
  s.io->stop();
  s.thread.join();
  s.acceptor.reset();
  s.io.reset();  // destroys the suspended connection coroutines while the state still exists
}

std::string FakeOpenAi::url() const {
  return std::string(impl_->opts.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port) + "/v1";
}
std::uint16_t FakeOpenAi::port() const { return impl_->port; }
const std::string& FakeOpenAi::ca_pem() const { return impl_->cert.cert_pem; }

void FakeOpenAi::push_reply(FakeReply reply) {
  std::lock_guard lk(impl_->mu);
  impl_->replies.push_back(std::move(reply));
}
void FakeOpenAi::set_default_reply(std::function<FakeReply(const nlohmann::json&)> fn) {
  std::lock_guard lk(impl_->mu);
  impl_->default_reply = fn ? std::move(fn) : echo_reply;
}
void FakeOpenAi::set_transcript(std::string text) {
  std::lock_guard lk(impl_->mu);
  impl_->transcript = std::move(text);
}
void FakeOpenAi::set_speech(std::vector<std::int16_t> pcm24k) {
  std::lock_guard lk(impl_->mu);
  impl_->speech = std::move(pcm24k);
}
void FakeOpenAi::set_speech_chunking(std::size_t chunk_bytes, std::chrono::milliseconds interval) {
  std::lock_guard lk(impl_->mu);
  impl_->speech_chunk_bytes = chunk_bytes;
  impl_->speech_interval = interval;
}

void FakeOpenAi::set_speech_body(std::optional<std::string> bytes) {
  std::lock_guard lk(impl_->mu);
  impl_->speech_raw = std::move(bytes);
}

void FakeOpenAi::set_speech_fault(FakeSpeechFault fault, std::size_t after_chunks) {
  std::lock_guard lk(impl_->mu);
  impl_->speech_fault = fault;
  impl_->speech_cut_after = after_chunks;
}

std::vector<std::chrono::steady_clock::time_point> FakeOpenAi::speech_chunk_times() const {
  std::lock_guard lk(impl_->mu);
  return impl_->speech_chunk_times;
}
void FakeOpenAi::fail_next(int status, std::string body) {
  std::lock_guard lk(impl_->mu);
  impl_->next_failure.emplace(status, std::move(body));
}

std::vector<FakeRequest> FakeOpenAi::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests;
}
std::size_t FakeOpenAi::request_count() const {
  std::lock_guard lk(impl_->mu);
  return impl_->requests.size();
}
FakeRequest FakeOpenAi::last_request() const {
  std::lock_guard lk(impl_->mu);
  if (impl_->requests.empty()) throw std::logic_error("the fake OpenAI server has received no request");
  return impl_->requests.back();
}
bool FakeOpenAi::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->requests.size() >= n; });
}
std::size_t FakeOpenAi::connections_accepted() const { return impl_->accepted.load(); }
std::size_t FakeOpenAi::open_connections() const { return impl_->open.load(); }
std::size_t FakeOpenAi::client_disconnects() const {
  std::lock_guard lk(impl_->mu);
  return impl_->disconnects;
}
bool FakeOpenAi::wait_for_client_disconnects(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, timeout, [&] { return impl_->disconnects >= n; });
}
std::vector<std::chrono::steady_clock::time_point> FakeOpenAi::token_send_times() const {
  std::lock_guard lk(impl_->mu);
  return impl_->token_times;
}

}  // namespace xz::test
