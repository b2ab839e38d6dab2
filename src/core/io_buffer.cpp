#include "core/io_buffer.h"

namespace pooler {

std::unique_ptr<uint8_t[]> BufferPool::acquire() {
  ++used_;
  if (!free_.empty()) {
    auto block = std::move(free_.back());
    free_.pop_back();
    return block;
  }
  return std::make_unique_for_overwrite<uint8_t[]>(block_size_);
}

void BufferPool::release(std::unique_ptr<uint8_t[]> block) {
  if (!block) return;
  --used_;
  if (free_.size() < max_free_) free_.push_back(std::move(block));
}

}  // namespace pooler
