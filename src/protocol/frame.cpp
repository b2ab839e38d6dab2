#include "protocol/frame.h"

#include "protocol/byte_order.h"

namespace pooler::protocol {

Frame next_frame(const uint8_t* data, size_t len, uint32_t max_length) noexcept {
  Frame f;
  if (data == nullptr || len < kFrameHeaderSize) {
    f.status = Frame::Status::kIncomplete;
    return f;
  }
  f.type = char(data[0]);
  f.length = load_be32(data + 1);
  if (f.length < 4) {
    f.status = Frame::Status::kInvalid;
    f.error = "invalid message length: less than 4";
  } else if (f.length > max_length) {
    f.status = Frame::Status::kInvalid;
    f.error = "invalid message length: exceeds the maximum message size";
  } else {
    f.status = Frame::Status::kComplete;
  }
  return f;
}

}  // namespace pooler::protocol
