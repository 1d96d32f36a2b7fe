// Edge's read-aloud protocol as bytes: the known-answer vectors of
// ../shared/spec/cloud-speech-protocols.md Appendix A.1 and A.6 and the messages of §4.3.
#include "providers/tts/edge_wire.h"

#include <gtest/gtest.h>

namespace edge = xz::providers::edge;
using edge::EdgeProtocolError;

namespace {

// A binary frame: big-endian header length, header text, audio.
std::string binary_frame(const std::string& head, const std::string& audio) {
  std::string f;
  f += static_cast<char>(head.size() >> 8);
  f += static_cast<char>(head.size() & 0xFF);
  return f + head + audio;
}

const std::string kAudioHead =
    "X-RequestId:0123456789abcdef0123456789abcdef\r\nContent-Type:audio/mpeg\r\n"
    "X-StreamId:FEDCBA9876543210FEDCBA9876543210\r\nPath:audio\r\n";
const std::string kEndHead =
    "X-RequestId:0123456789abcdef0123456789abcdef\r\nX-StreamId:FEDCBA9876543210FEDCBA9876543210\r\nPath:audio\r\n";

}  // namespace

TEST(EdgeWire, SecMsGecMatchesTheSpecVectors) {
  EXPECT_EQ(edge::sec_ms_gec(1700000000), "42301B335578FEFDAE2637DED1ABD614505D432559EC08032B82048483726AFF");
  EXPECT_EQ(edge::sec_ms_gec(1700000299.9), "AE4CF72E466874182A75878E20EADA83D29A1C12CAD9C3E0E014CCE0BFA55880");
  EXPECT_EQ(edge::sec_ms_gec(1700000400), "CA2F7F35ACEB51738EEE9E9FEF6A5E9E6165A29E7FDE395479BB9F57DABB7086");
  // One token per 5-minute window of Windows file time; 1700000000 is 200 s into its window.
  EXPECT_EQ(edge::sec_ms_gec(1699999800), edge::sec_ms_gec(1700000099.9));
  EXPECT_NE(edge::sec_ms_gec(1699999799.9), edge::sec_ms_gec(1699999800));
}

TEST(EdgeWire, ConnectUrlCarriesTokenIdAndGec) {
  EXPECT_EQ(edge::connect_url(edge::kEndpoint, "9f00", "AB12"),
            "wss://speech.platform.bing.com/consumer/speech/synthesize/readaloud/edge/v1"
            "?TrustedClientToken=6A5AA1D4EAFF4E9FB37E23D68491D6F4&ConnectionId=9f00&Sec-MS-GEC=AB12"
            "&Sec-MS-GEC-Version=1-143.0.3650.75");
  // A proxy's own query is kept.
  EXPECT_EQ(edge::connect_url("ws://proxy:8080/tts?key=k", "id", "G", "v"),
            "ws://proxy:8080/tts?key=k&TrustedClientToken=6A5AA1D4EAFF4E9FB37E23D68491D6F4&ConnectionId=id"
            "&Sec-MS-GEC=G&Sec-MS-GEC-Version=v");
  auto h = edge::connect_headers("00112233445566778899AABBCCDDEEFF");
  EXPECT_EQ(h["Origin"], "chrome-extension://jdiccldimpdaibmpdkjnbmckianbfold");
  EXPECT_EQ(h["Cookie"], "muid=00112233445566778899AABBCCDDEEFF;");
  EXPECT_NE(h["User-Agent"].find("Edg/143.0.0.0"), std::string::npos);
}

TEST(EdgeWire, MessagesAreByteExact) {
  const std::string ts = edge::js_date(1700000000);
  EXPECT_EQ(ts, "Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)");
  EXPECT_EQ(edge::speech_config_message(ts),
            "X-Timestamp:Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)\r\n"
            "Content-Type:application/json; charset=utf-8\r\nPath:speech.config\r\n\r\n"
            R"({"context":{"synthesis":{"audio":{"metadataoptions":{"sentenceBoundaryEnabled":"true",)"
            R"("wordBoundaryEnabled":"false"},"outputFormat":"audio-24khz-48kbitrate-mono-mp3"}}}})"
            "\r\n");
  edge::Prosody p;
  p.volume = "+50%";
  EXPECT_EQ(edge::ssml_message("0123456789abcdef0123456789abcdef", ts,
                               "Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)", p, "你好"),
            "X-RequestId:0123456789abcdef0123456789abcdef\r\nContent-Type:application/ssml+xml\r\n"
            "X-Timestamp:Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)Z\r\nPath:ssml\r\n\r\n"
            "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='en-US'><voice "
            "name='Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)'><prosody pitch='+0Hz' "
            "rate='+0%' volume='+50%'>你好</prosody></voice></speak>");
}

TEST(EdgeWire, VoiceNamesMapToTheLongForm) {
  EXPECT_EQ(edge::long_voice_name("zh-CN-XiaoxiaoNeural"),
            "Microsoft Server Speech Text to Speech Voice (zh-CN, XiaoxiaoNeural)");
  EXPECT_EQ(edge::long_voice_name("zh-CN-liaoning-XiaobeiNeural"),
            "Microsoft Server Speech Text to Speech Voice (zh-CN-liaoning, XiaobeiNeural)");
  EXPECT_EQ(edge::long_voice_name("en-US-AvaMultilingualNeural"),
            "Microsoft Server Speech Text to Speech Voice (en-US, AvaMultilingualNeural)");
  EXPECT_EQ(edge::long_voice_name("Microsoft Server Speech Text to Speech Voice (en-US, AriaNeural)"),
            "Microsoft Server Speech Text to Speech Voice (en-US, AriaNeural)");
  for (const char* bad : {"Xiaoxiao", "zh-CN-Xiaoxiao", "ZH-CN-XiaoxiaoNeural", "zh-cn-XiaoxiaoNeural", "zh-CN-Neural",
                          "", "Microsoft Server Speech Text to Speech Voice (en-US)"})
    EXPECT_FALSE(edge::long_voice_name(bad)) << bad;
}

TEST(EdgeWire, ProsodyValuesAreChecked) {
  for (const char* ok : {"+0%", "-50%", "+150%"}) EXPECT_TRUE(edge::valid_percent(ok)) << ok;
  for (const char* bad : {"0%", "+%", "+5", "+5.5%", "++5%", "+5Hz"}) EXPECT_FALSE(edge::valid_percent(bad)) << bad;
  for (const char* ok : {"+0Hz", "-12Hz"}) EXPECT_TRUE(edge::valid_hertz(ok)) << ok;
  for (const char* bad : {"0Hz", "+Hz", "+5%", "+5hz"}) EXPECT_FALSE(edge::valid_hertz(bad)) << bad;
}

TEST(EdgeWire, TextIsCleanedEscapedAndSplitAtSafePlaces) {
  auto one = edge::ssml_text_chunks("a<b & c>d\x01\x0b" "e\tf");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], "a&lt;b &amp; c&gt;d  e\tf");
  EXPECT_TRUE(edge::ssml_text_chunks(" \n ").empty());

  // Spaces are preferred over cutting words.
  auto words = edge::ssml_text_chunks("alpha beta gamma delta", 12);
  EXPECT_EQ(words, (std::vector<std::string>{"alpha beta", "gamma delta"}));

  // No piece ends inside an entity or a UTF-8 character, and none is over the limit.
  std::string text;
  for (int i = 0; i < 300; ++i) text += i % 7 == 0 ? "&" : "你";
  const auto pieces = edge::ssml_text_chunks(text, 20);
  std::string joined;
  for (const auto& p : pieces) {
    EXPECT_LE(p.size(), 20u);
    for (auto amp = p.find('&'); amp != std::string::npos; amp = p.find('&', amp + 1))
      EXPECT_EQ(p.substr(amp, 5), "&amp;") << "entity cut in " << p;
    EXPECT_NE(static_cast<unsigned char>(p.front()) & 0xC0, 0x80u) << "piece starts inside a character";
    joined += p;
  }
  std::string escaped;
  for (char c : text) escaped += c == '&' ? std::string("&amp;") : std::string(1, c);
  EXPECT_EQ(joined, escaped);
}

TEST(EdgeWire, TextFramesOfTheWorkedExample) {
  EXPECT_EQ(edge::parse_text_frame("X-RequestId:9f\r\nContent-Type:application/json; charset=utf-8\r\n"
                                   "Path:turn.start\r\n\r\n{\"context\":{\"serviceTag\":\"0123\"}}"),
            edge::TextPath::turn_start);
  EXPECT_EQ(edge::parse_text_frame("X-RequestId:9f\r\nPath:response\r\n\r\n{}"), edge::TextPath::response);
  EXPECT_EQ(edge::parse_text_frame("X-RequestId:9f\r\nPath:audio.metadata\r\n\r\n{\"Metadata\":[]}"),
            edge::TextPath::audio_metadata);
  EXPECT_EQ(edge::parse_text_frame("X-RequestId:9f\r\nContent-Type:application/json; charset=utf-8\r\n"
                                   "Path:turn.end\r\n\r\n{}"),
            edge::TextPath::turn_end);
  EXPECT_THROW(edge::parse_text_frame("X-RequestId:9f\r\nPath:turn.fancy\r\n\r\n{}"), EdgeProtocolError);
  EXPECT_THROW(edge::parse_text_frame("Path:turn.end\r\n{}"), EdgeProtocolError);
  EXPECT_THROW(edge::parse_text_frame("X-RequestId:9f\r\n\r\n{}"), EdgeProtocolError);
  EXPECT_THROW(edge::parse_text_frame("no colon here\r\nPath:turn.end\r\n\r\n{}"), EdgeProtocolError);
}

TEST(EdgeWire, AudioFramesOfAppendixA6) {
  ASSERT_EQ(kAudioHead.size(), 0x80u);
  ASSERT_EQ(kEndHead.size(), 0x67u);
  const std::string mp3 = "\xFF\xF3\x64\xC4mp3";
  auto a = edge::parse_audio_frame(binary_frame(kAudioHead, mp3));
  EXPECT_FALSE(a.end_of_stream);
  EXPECT_EQ(a.audio, mp3);
  EXPECT_EQ(binary_frame(kAudioHead, mp3).substr(0, 2), std::string("\x00\x80", 2));

  auto end = edge::parse_audio_frame(binary_frame(kEndHead, ""));
  EXPECT_TRUE(end.end_of_stream);
  EXPECT_TRUE(end.audio.empty());
}

TEST(EdgeWire, BrokenAudioFramesAreRefused) {
  EXPECT_THROW(edge::parse_audio_frame("\x00"), EdgeProtocolError);
  EXPECT_THROW(edge::parse_audio_frame(std::string("\x00\x90", 2) + kAudioHead), EdgeProtocolError);  // H too long
  EXPECT_THROW(edge::parse_audio_frame(binary_frame(kEndHead, "audio")), EdgeProtocolError);   // no type, audio
  EXPECT_THROW(edge::parse_audio_frame(binary_frame(kAudioHead, "")), EdgeProtocolError);      // type, no audio
  EXPECT_THROW(edge::parse_audio_frame(binary_frame("Content-Type:audio/mpeg\r\nPath:video\r\n", "x")),
               EdgeProtocolError);
  EXPECT_THROW(edge::parse_audio_frame(binary_frame("Content-Type:audio/ogg\r\nPath:audio\r\n", "x")),
               EdgeProtocolError);
}

TEST(EdgeWire, HttpDatesParse) {
  EXPECT_EQ(edge::parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"), 1700000000);
  EXPECT_EQ(edge::parse_http_date(" Thu, 01 Jan 1970 00:00:00 GMT "), 0);
  for (const char* bad : {"", "Tue, 14 Nov 2023 22:13:20", "Tue, 14 Foo 2023 22:13:20 GMT",
                          "Tue, 1x Nov 2023 22:13:20 GMT", "Tuesday, 14-Nov-23 22:13:20 GMT"})
    EXPECT_FALSE(edge::parse_http_date(bad)) << bad;
}
