// Seeded random damage to valid inputs: every parser must answer with a value or a
// readable error, never crash, hang or throw. Run under ASan/UBSan to catch overreads.
#include <random>

#include <gtest/gtest.h>

#include "protocol/audio_framing.h"
#include "protocol/device_messages.h"
#include "protocol/encoding.h"
#include "protocol/mcp_jsonrpc.h"
#include "protocol/multipart.h"
#include "protocol/udp_packet.h"
#include "protocol/device_token.h"

using namespace xz::protocol;

namespace {

// Flips, inserts, deletes and truncates a few bytes.
std::string damage(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  const int edits = 1 + int(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = s.empty() ? 0 : rng() % s.size();
    switch (op(rng)) {
      case 0: if (!s.empty()) s[at] = char(byte(rng)); break;
      case 1: s.insert(s.begin() + std::ptrdiff_t(at), char(byte(rng))); break;
      case 2: if (!s.empty()) s.erase(at, 1); break;
      case 3: s.resize(at); break;
    }
  }
  return s;
}

constexpr int kRounds = 3000;

}  // namespace

TEST(Robustness, DeviceMessages) {
  const std::string seeds[] = {
      R"({"type":"hello","version":1,"features":{"aec":true,"mcp":true},"transport":"websocket","audio_params":{"format":"opus","sample_rate":16000,"channels":1,"frame_duration":60}})",
      R"({"session_id":"s1","type":"listen","state":"detect","text":"hello","mode":"auto"})",
      R"({"session_id":"s1","type":"mcp","payload":{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"}]}}})",
      R"({"type":"iot","update":true,"states":[{"name":"Screen","state":{"brightness":75}}]})"};
  std::mt19937 rng(1234);
  int errors = 0;
  for (int i = 0; i < kRounds; ++i) {
    const auto text = damage(seeds[i % 4], rng);
    const auto r = parse_device_message(text);
    if (const auto* e = std::get_if<MessageError>(&r)) {
      ASSERT_FALSE(e->reason.empty()) << text;
      ++errors;
    }
  }
  EXPECT_GT(errors, kRounds / 4);  // the damage really produced bad messages
}

TEST(Robustness, AudioFramesAndUdpDatagrams) {
  std::mt19937 rng(99);
  const std::string key(16, 'k');
  for (Framing f : {Framing::v1, Framing::v2, Framing::v3, Framing::mqtt_gateway}) {
    const auto good = encode_audio_frame(f, std::string(40, 'o'), 5, 6);
    for (int i = 0; i < kRounds; ++i) {
      const auto frame = damage(good, rng);
      std::string error;
      const auto p = decode_audio_frame(f, frame, &error);
      if (p) {
        ASSERT_GE(p->opus.data(), frame.data());
        ASSERT_LE(p->opus.data() + p->opus.size(), frame.data() + frame.size());
      } else {
        ASSERT_FALSE(error.empty());
      }
    }
  }
  const auto datagram = encrypt_udp_packet(key, UdpHeader{}, std::string(40, 'o'));
  for (int i = 0; i < kRounds; ++i) {
    std::string error;
    const auto d = damage(datagram, rng);
    const auto p = decrypt_udp_packet(key, d, &error);
    if (p) {
      ASSERT_EQ(p->opus.size() + 16, d.size());
    } else {
      ASSERT_FALSE(error.empty());
    }
  }
}

TEST(Robustness, MultipartBodies) {
  const std::string body =
      "--B\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\nwhat?\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
      "\xFF\xD8\xFF....\r\n--B--\r\n";
  std::mt19937 rng(7);
  for (int i = 0; i < kRounds; ++i) {
    std::string error;
    const auto parts = parse_multipart(damage(body, rng), "B", &error);
    if (!parts) {
      ASSERT_FALSE(error.empty());
    } else {
      ASSERT_LE(parts->size(), 16u);
    }
    (void)multipart_boundary(damage("multipart/form-data; boundary=\"B\"", rng));
  }
}

TEST(Robustness, TokensAndEncodings) {
  std::mt19937 rng(42);
  const auto token = make_device_token("k", "c", "d", 1000);
  int accepted = 0;
  for (int i = 0; i < kRounds; ++i) {
    const auto t = damage(token, rng);
    if (verify_device_token("k", t, "c", "d", 1000, 10) == TokenCheck::ok) {
      ++accepted;
      ASSERT_EQ(t, token);  // only the untouched token may pass
    }
    (void)base64_decode(damage("Zm9vYmFy", rng));
    (void)base64url_decode(damage("-_8", rng));
    (void)hex_decode(damage("00ff", rng));
  }
  EXPECT_LT(accepted, kRounds);
}

TEST(Robustness, McpPayloads) {
  std::mt19937 rng(5);
  const std::string seed =
      R"({"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"ok"}],"isError":false,"tools":[{"name":"x","annotations":{"audience":["user"]}}],"nextCursor":"y"}})";
  for (int i = 0; i < kRounds; ++i) {
    const auto j = nlohmann::json::parse(damage(seed, rng), nullptr, false);
    if (j.is_discarded()) continue;
    std::string error;
    const auto r = parse_mcp_reply(j, &error);
    if (!r) {
      ASSERT_FALSE(error.empty());
      continue;
    }
    std::string cursor;
    (void)parse_tools_list(r->result, &cursor);
    const auto outcome = parse_tool_call_result(*r);
    if (!outcome.ok) {
      ASSERT_FALSE(outcome.text.empty());
    }
  }
}
