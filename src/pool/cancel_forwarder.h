#pragma once
#include <cstdint>

#include "pool/connection.h"

namespace pooler::pool {

// A short-lived connection to PostgreSQL that delivers one CancelRequest with the
// server's own BackendKeyData, then waits for the server to close it.
class CancelForwarder final : public Connection {
 public:
  CancelForwarder(Pooler& pooler, Socket socket, uint32_t pid, uint32_t key, bool in_progress);
  bool done() const { return done_; }

 protected:
  void on_readable() override;
  Connection* forward_source() override;

 private:
  void send_request();
  uint32_t pid_, key_;
  bool sent_ = false;
  bool done_ = false;
};

}  // namespace pooler::pool
