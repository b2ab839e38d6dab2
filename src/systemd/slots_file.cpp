#include "systemd/slots_file.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pooler::systemd {

Result<std::unique_ptr<SlotsFile>> SlotsFile::create(size_t slots) {
  const size_t bytes = (slots + 1) * takeover::StateSlots::kSlotSize;
  int fd = memfd_create("slots", MFD_CLOEXEC);
  if (fd < 0) return make_error(std::string("memfd_create: ") + strerror(errno));
  Socket owner(fd);
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    return make_error(std::string("ftruncate slots: ") + strerror(errno));
  }
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) return make_error(std::string("mmap slots: ") + strerror(errno));
  std::unique_ptr<SlotsFile> file(
      new SlotsFile(std::move(owner), static_cast<uint8_t*>(mem), bytes, slots));
  file->slots_.format();
  return file;
}

Result<std::unique_ptr<SlotsFile>> SlotsFile::attach(Socket fd) {
  struct stat st {};
  if (fstat(fd.fd(), &st) != 0) return make_error(std::string("fstat slots: ") + strerror(errno));
  const size_t bytes = static_cast<size_t>(st.st_size);
  if (bytes < 2 * takeover::StateSlots::kSlotSize) return make_error("slots memfd is too small");
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.fd(), 0);
  if (mem == MAP_FAILED) return make_error(std::string("mmap slots: ") + strerror(errno));
  const size_t slots = bytes / takeover::StateSlots::kSlotSize - 1;
  std::unique_ptr<SlotsFile> file(
      new SlotsFile(std::move(fd), static_cast<uint8_t*>(mem), bytes, slots));
  file->slots_.format();
  return file;
}

Result<std::vector<takeover::StateSlots::Entry>> SlotsFile::read_back() const {
  std::string error;
  auto entries = takeover::StateSlots::read(memory_, bytes_, &error);
  if (!entries) return make_error(error);
  return std::move(*entries);
}

SlotsFile::~SlotsFile() {
  if (memory_) munmap(memory_, bytes_);
}

Result<std::vector<takeover::StateSlots::Entry>> SlotsFile::read_inherited(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size <= 0) return make_error("slots memfd is empty");
  const size_t bytes = static_cast<size_t>(st.st_size);
  void* mem = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) return make_error(std::string("mmap slots: ") + strerror(errno));
  std::string error;
  auto entries = takeover::StateSlots::read(static_cast<const uint8_t*>(mem), bytes, &error);
  munmap(mem, bytes);
  if (!entries) return make_error(error);
  return std::move(*entries);
}

}  // namespace pooler::systemd
