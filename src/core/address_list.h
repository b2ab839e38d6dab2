#pragma once
// What getaddrinfo() finds for a host and port, owned: the list is freed with the object,
// so no path through a caller can leak it or free it twice.
#include <netdb.h>

#include <memory>
#include <string>

#include "core/result.h"

namespace pooler {

class AddressList {
 public:
  // The local addresses to bind a listener to: "*" and "" mean every one. A host that is
  // an IP literal resolves without a lookup; a name blocks while the resolver runs (server
  // hosts go through the non-blocking HostResolver instead).
  static Result<AddressList> for_bind(const std::string& host, int port);

  class Iterator {
   public:
    explicit Iterator(const addrinfo* at) : at_(at) {}
    const addrinfo& operator*() const { return *at_; }
    const addrinfo* operator->() const { return at_; }
    Iterator& operator++() {
      at_ = at_->ai_next;
      return *this;
    }
    bool operator==(const Iterator&) const = default;

   private:
    const addrinfo* at_;
  };
  Iterator begin() const { return Iterator(head_.get()); }
  Iterator end() const { return Iterator(nullptr); }
  bool empty() const { return !head_; }

 private:
  struct Free {
    void operator()(addrinfo* list) const noexcept { freeaddrinfo(list); }
  };
  explicit AddressList(addrinfo* head) : head_(head) {}
  std::unique_ptr<addrinfo, Free> head_;
};

}  // namespace pooler
