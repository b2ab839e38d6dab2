#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace pooler {

// Recycles fixed-size I/O blocks so the forwarding path never calls malloc per message,
// and an idle connection holds no block at all.
class BufferPool {
 public:
  explicit BufferPool(size_t block_size, size_t max_free = 1024)
      : block_size_(block_size), max_free_(max_free) {}
  size_t block_size() const { return block_size_; }
  std::unique_ptr<uint8_t[]> acquire();
  void release(std::unique_ptr<uint8_t[]> block);
  size_t free_blocks() const { return free_.size(); }
  size_t used_blocks() const { return used_; }  // acquired and not yet released

 private:
  size_t block_size_;
  size_t max_free_;
  size_t used_ = 0;
  std::vector<std::unique_ptr<uint8_t[]>> free_;
};

// Bytes read from one socket: [begin, end) is unconsumed. The block comes from a
// BufferPool on first use and goes back when the buffer drains.
class IoBuffer {
 public:
  bool allocated() const { return block_ != nullptr; }
  void ensure(BufferPool& pool) {
    if (!block_) {
      block_ = pool.acquire();
      capacity_ = pool.block_size();
      begin_ = end_ = 0;
    }
  }
  void release_if_empty(BufferPool& pool) {
    if (block_ && begin_ == end_) {
      pool.release(std::move(block_));
      begin_ = end_ = capacity_ = 0;
    }
  }
  void release(BufferPool& pool) {
    if (block_) pool.release(std::move(block_));
    begin_ = end_ = capacity_ = 0;
  }

  const uint8_t* data() const { return block_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  uint8_t* write_ptr() { return block_.get() + end_; }
  size_t space() const { return capacity_ - end_; }
  size_t capacity() const { return capacity_; }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Moves unconsumed bytes to the front so a whole message can fit.
  void compact() {
    if (begin_ > 0) {
      std::memmove(block_.get(), block_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
  }
  size_t offset() const { return begin_; }
  // Replaces `remove` bytes at `at` (from data()) by `insert`, moving what follows. False,
  // and nothing changed, if the block has no room for the growth.
  bool splice(size_t at, size_t remove, const void* insert, size_t insert_size) {
    if (insert_size > remove && space() < insert_size - remove) {
      compact();
      if (space() < insert_size - remove) return false;
    }
    uint8_t* base = block_.get() + begin_;
    std::memmove(base + at + insert_size, base + at + remove, size() - at - remove);
    std::memcpy(base + at, insert, insert_size);
    end_ = static_cast<uint32_t>(end_ + insert_size - remove);
    return true;
  }

 private:
  std::unique_ptr<uint8_t[]> block_;
  uint32_t capacity_ = 0;
  uint32_t begin_ = 0;
  uint32_t end_ = 0;
};

}  // namespace pooler
