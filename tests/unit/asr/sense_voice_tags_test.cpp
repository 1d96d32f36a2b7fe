#include <gtest/gtest.h>

#include "providers/asr/sense_voice_tags.h"

using xz::providers::sense_voice_emotion_emoji;
using xz::providers::split_sense_voice_tags;
using xz::providers::tag_name;

TEST(SenseVoiceTags, TagsLeaveTheTextAndComeBackInOrder) {
  // A FunASR 2pass server's SenseVoice answer (../shared/spec/cloud-speech-protocols.md 1.9).
  auto r = split_sense_voice_tags("<|zh|><|NEUTRAL|><|Speech|><|woitn|>今天天气怎么样");
  EXPECT_EQ(r.text, "今天天气怎么样");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"zh", "NEUTRAL", "Speech", "woitn"}));
}

TEST(SenseVoiceTags, TextWithoutTagsIsKeptTrimmed) {
  auto r = split_sense_voice_tags("  what is the weather  ");
  EXPECT_EQ(r.text, "what is the weather");
  EXPECT_TRUE(r.tags.empty());
}

TEST(SenseVoiceTags, NoTagSurvivesEvenOneMadeByRemovingAnother) {
  auto r = split_sense_voice_tags("a<|<|x|>b|>c <|en|> d");
  EXPECT_EQ(r.text, "ac  d");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"x", "b", "en"}));
}

TEST(SenseVoiceTags, WhatIsNotATagStaysText) {
  EXPECT_EQ(split_sense_voice_tags("<||> a<|b").text, "<||> a<|b");
  EXPECT_EQ(split_sense_voice_tags("x <|" + std::string(33, 'a') + "|>").text, "x <|" + std::string(33, 'a') + "|>");
  EXPECT_EQ(split_sense_voice_tags("<|" + std::string(32, 'a') + "|>").text, "");
}

TEST(SenseVoiceTags, TagNameTakesTheBracketsOff) {
  EXPECT_EQ(tag_name("<|HAPPY|>"), "HAPPY");
  EXPECT_EQ(tag_name(" <|zh|> "), "zh");
  EXPECT_EQ(tag_name("zh"), "zh");
  EXPECT_EQ(tag_name("<|zh|><|en|>"), "<|zh|><|en|>");
  EXPECT_EQ(tag_name(""), "");
}

TEST(SenseVoiceTags, EmotionsMapToTheReferencesEmoji) {
  EXPECT_EQ(sense_voice_emotion_emoji("HAPPY"), "🙂");
  EXPECT_EQ(sense_voice_emotion_emoji("SAD"), "😔");
  EXPECT_EQ(sense_voice_emotion_emoji("NEUTRAL"), "😶");
  EXPECT_EQ(sense_voice_emotion_emoji("EMO_UNKNOWN"), "😶");
  EXPECT_EQ(sense_voice_emotion_emoji("CALM"), "CALM");
}
