#include "net/sse_parser.h"

#include <stdexcept>

#include <gtest/gtest.h>

using xz::net::SseEvent;
using xz::net::SseParser;

namespace {

std::vector<SseEvent> feed_all(SseParser& p, std::string_view text) { return p.feed(text); }

// The same stream fed one byte at a time.
std::vector<SseEvent> feed_bytewise(std::string_view text) {
  SseParser p;
  std::vector<SseEvent> out;
  for (char c : text) {
    auto evs = p.feed(std::string_view(&c, 1));
    out.insert(out.end(), evs.begin(), evs.end());
  }
  return out;
}

void expect_same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].event, b[i].event) << i;
    EXPECT_EQ(a[i].data, b[i].data) << i;
    EXPECT_EQ(a[i].id, b[i].id) << i;
    EXPECT_EQ(a[i].retry, b[i].retry) << i;
  }
}

}  // namespace

TEST(SseParser, OpenAiStyleChunksAndDone) {
  SseParser p;
  auto evs = feed_all(p, "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n");
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].data, "{\"a\":1}");
  EXPECT_EQ(evs[0].event, "message");
  EXPECT_EQ(evs[1].data, "{\"a\":2}");
  EXPECT_EQ(evs[2].data, "[DONE]");
  EXPECT_FALSE(p.has_partial_event());
}

TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  SseParser p;
  auto evs = feed_all(p, "data: first\ndata:second\ndata:  third\n\n");
  ASSERT_EQ(evs.size(), 1u);
  // Only one space after the colon is removed.
  EXPECT_EQ(evs[0].data, "first\nsecond\n third");
}

TEST(SseParser, EventIdRetryAndComments) {
  SseParser p;
  auto evs = feed_all(p, ": keep-alive\n\nevent: delta\nid: 7\nretry: 1500\ndata: x\n\ndata: y\n\n");
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].event, "delta");
  EXPECT_EQ(evs[0].id, "7");
  EXPECT_EQ(evs[0].retry, 1500);
  EXPECT_EQ(evs[0].data, "x");
  // The event type resets per event; the id persists.
  EXPECT_EQ(evs[1].event, "message");
  EXPECT_EQ(evs[1].id, "7");
  EXPECT_FALSE(evs[1].retry.has_value());
}

TEST(SseParser, EventWithoutDataIsNotDispatched) {
  SseParser p;
  auto evs = feed_all(p, "event: ping\n\n: comment only\n\ndata\n\n");
  // "data" without a colon is a data field with an empty value: one event, empty data.
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, "");
}

TEST(SseParser, CrLfAndBareCrLineEndings) {
  SseParser p;
  auto evs = feed_all(p, "data: a\r\ndata: b\r\n\r\ndata: c\rdata: d\r\r");
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].data, "a\nb");
  EXPECT_EQ(evs[1].data, "c\nd");
}

TEST(SseParser, CrAtTheEndOfOnePieceAndLfAtTheStartOfTheNext) {
  SseParser p;
  auto a = p.feed("data: a\r");
  EXPECT_TRUE(a.empty());
  auto b = p.feed("\n\r");
  ASSERT_EQ(b.size(), 1u) << "\\r\\n must count as one line end, the next \\r as the blank line";
  EXPECT_EQ(b[0].data, "a");
  auto c = p.feed("\ndata: b\n\n");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].data, "b");
}

TEST(SseParser, ByteByByteGivesTheSameEventsAsOnePiece) {
  const std::string stream =
      "\xEF\xBB\xBF: hi\r\nevent: e1\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"\xE4\xBD\xA0\"}}]}\r\n\r\n"
      "data: two\ndata: lines\n\nid: 42\ndata: three\r\rdata: [DONE]\n\n";
  SseParser whole;
  auto expected = whole.feed(stream);
  ASSERT_EQ(expected.size(), 4u);
  EXPECT_EQ(expected[0].event, "e1");
  EXPECT_EQ(expected[3].id, "42");
  expect_same(feed_bytewise(stream), expected);
  // And every split into two pieces.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser p;
    auto evs = p.feed(std::string_view(stream).substr(0, cut));
    auto rest = p.feed(std::string_view(stream).substr(cut));
    evs.insert(evs.end(), rest.begin(), rest.end());
    expect_same(evs, expected);
  }
}

TEST(SseParser, ByteOrderMarkOnlyAtTheStart) {
  SseParser p;
  auto evs = p.feed("\xEF\xBB\xBF" "data: a\n\n\xEF\xBB\xBF" "data: b\n\n");
  ASSERT_EQ(evs.size(), 1u);  // the second BOM makes an unknown field name: ignored
  EXPECT_EQ(evs[0].data, "a");
}

TEST(SseParser, PartialEventIsHeldUntilItsBlankLine) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: {\"par").empty());
  EXPECT_TRUE(p.has_partial_event());
  EXPECT_TRUE(p.feed("tial\":true}\n").empty());
  EXPECT_TRUE(p.has_partial_event());
  auto evs = p.feed("\n");
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, "{\"partial\":true}");
  EXPECT_FALSE(p.has_partial_event());
}

TEST(SseParser, OversizeEventIsAnError) {
  SseParser p(64);
  EXPECT_NO_THROW(p.feed("data: " + std::string(40, 'x') + "\n\n"));
  EXPECT_THROW(p.feed("data: " + std::string(100, 'x')), std::runtime_error);
  SseParser q(64);
  // Many small lines of one event add up too.
  EXPECT_THROW(
      {
        for (int i = 0; i < 20; ++i) q.feed("data: 0123456789\n");
      },
      std::runtime_error);
}
