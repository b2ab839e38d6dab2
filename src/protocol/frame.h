#pragma once
// Framing of regular (typed) protocol messages: 1 type byte, int32 length that counts
// itself and the body, then the body. Runs on every forwarded message: no allocation.
#include <cstddef>
#include <cstdint>

namespace pooler::protocol {

inline constexpr uint32_t kProtocolV3 = 196608;  // 3.0
inline constexpr uint32_t kSslRequestCode = 80877103;
inline constexpr uint32_t kGssEncRequestCode = 80877104;
inline constexpr uint32_t kCancelRequestCode = 80877102;
// Same limit as PostgreSQL's MAX_STARTUP_PACKET_LENGTH (applies to the packet minus its
// length word).
inline constexpr uint32_t kMaxStartupPacketLength = 10000;
inline constexpr size_t kFrameHeaderSize = 5;

struct Frame {
  enum class Status : uint8_t { kIncomplete, kComplete, kInvalid } status = Status::kIncomplete;
  char type = 0;
  uint32_t length = 0;                                // the length field (body + 4)
  size_t size() const { return 1 + size_t(length); }  // bytes of the whole message
  size_t body_size() const { return size_t(length) - 4; }
  const char* error = nullptr;  // static string when kInvalid; `length` holds the bad value
};

// Reads only the 5 header bytes. kIncomplete if fewer than 5 bytes; kComplete means the
// header is valid and the caller checks whether size() bytes are buffered (large bodies
// are streamed through). length < 4 or > max_length -> kInvalid.
Frame next_frame(const uint8_t* data, size_t len, uint32_t max_length) noexcept;

}  // namespace pooler::protocol
