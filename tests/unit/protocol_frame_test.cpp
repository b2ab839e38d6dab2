#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "protocol/frame.h"

namespace pooler::protocol {
namespace {

constexpr uint32_t kMax = 1 << 20;

std::vector<uint8_t> header(char type, uint32_t length) {
  return {uint8_t(type), uint8_t(length >> 24), uint8_t(length >> 16), uint8_t(length >> 8),
          uint8_t(length)};
}

TEST(NextFrame, EmptyInputIsIncomplete) {
  EXPECT_EQ(next_frame(nullptr, 0, kMax).status, Frame::Status::kIncomplete);
  uint8_t b = 'Q';
  EXPECT_EQ(next_frame(&b, 0, kMax).status, Frame::Status::kIncomplete);
}

TEST(NextFrame, EveryPartialHeaderIsIncomplete) {
  auto h = header('Z', 5);
  for (size_t n = 0; n < h.size(); ++n) {
    EXPECT_EQ(next_frame(h.data(), n, kMax).status, Frame::Status::kIncomplete) << n;
  }
}

TEST(NextFrame, ReadyForQueryIsComplete) {
  const uint8_t msg[] = {'Z', 0, 0, 0, 5, 'I'};
  Frame f = next_frame(msg, sizeof msg, kMax);
  EXPECT_EQ(f.status, Frame::Status::kComplete);
  EXPECT_EQ(f.type, 'Z');
  EXPECT_EQ(f.length, 5u);
  EXPECT_EQ(f.size(), 6u);
  EXPECT_EQ(f.body_size(), 1u);
  EXPECT_EQ(f.error, nullptr);
}

TEST(NextFrame, HeaderAloneIsEnoughEvenIfBodyIsNotBuffered) {
  auto h = header('D', 1000);
  Frame f = next_frame(h.data(), h.size(), kMax);
  EXPECT_EQ(f.status, Frame::Status::kComplete);
  EXPECT_EQ(f.size(), 1001u);
}

TEST(NextFrame, EmptyBodyLengthFourIsValid) {
  auto h = header('S', 4);
  Frame f = next_frame(h.data(), h.size(), kMax);
  EXPECT_EQ(f.status, Frame::Status::kComplete);
  EXPECT_EQ(f.size(), 5u);
}

TEST(NextFrame, LengthBelowFourIsInvalid) {
  for (uint32_t len : {0u, 1u, 2u, 3u}) {
    auto h = header('Q', len);
    Frame f = next_frame(h.data(), h.size(), kMax);
    EXPECT_EQ(f.status, Frame::Status::kInvalid) << len;
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.length, len);
  }
}

TEST(NextFrame, LengthAboveMaximumIsInvalid) {
  for (uint32_t len : {kMax + 1, 0x7fffffffu, 0xffffffffu}) {
    auto h = header('d', len);
    Frame f = next_frame(h.data(), h.size(), kMax);
    EXPECT_EQ(f.status, Frame::Status::kInvalid) << len;
    EXPECT_NE(f.error, nullptr);
  }
  auto h = header('d', kMax);
  EXPECT_EQ(next_frame(h.data(), h.size(), kMax).status, Frame::Status::kComplete);
}

TEST(NextFrame, WalksABufferOfSeveralMessages) {
  const uint8_t buf[] = {'1', 0, 0, 0, 4, '2', 0, 0, 0, 4, 'Z', 0, 0, 0, 5, 'I', 'C', 0};
  std::vector<char> types;
  size_t pos = 0;
  for (;;) {
    Frame f = next_frame(buf + pos, sizeof buf - pos, kMax);
    if (f.status != Frame::Status::kComplete || f.size() > sizeof buf - pos) break;
    types.push_back(f.type);
    pos += f.size();
  }
  EXPECT_EQ(types, (std::vector<char>{'1', '2', 'Z'}));
  EXPECT_EQ(pos, 16u);  // the trailing partial header is left for the next read
}

}  // namespace
}  // namespace pooler::protocol
