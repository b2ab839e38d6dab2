#pragma once
// Non-blocking name lookups for [databases] hosts, with PgBouncer's cache rules: an answer
// is kept for dns_max_ttl, a failure for dns_nxdomain_ttl. Lookups go through libevent's
// evdns (resolv.conf and /etc/hosts, or the file `resolv_conf` names), so a slow or dead
// DNS server delays only the clients of that database, never the event loop.
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event_loop.h"

struct evdns_base;
struct evutil_addrinfo;

namespace pooler::pool {

class HostResolver {
 public:
  using Clock = std::chrono::steady_clock;
  struct Lookup {
    enum class Status { kReady, kPending, kFailed } status = Status::kPending;
    sockaddr_storage address{};  // port 0: the caller sets it
    socklen_t length = 0;
    std::string error;
  };

  // `answered` runs on the event loop after a lookup that was pending has finished, so the
  // caller can retry whatever waited for it. It never runs inside lookup().
  HostResolver(EventLoop& loop, std::string resolv_conf, std::function<void()> answered);
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

  // An IP literal is ready at once and never cached. A name is answered from the cache
  // while fresh, else looked up (once, however many ask meanwhile).
  Lookup lookup(const std::string& host, Clock::duration max_ttl, Clock::duration failure_ttl);
  // The last address a lookup of `host` gave, however old; for cancel requests, which must
  // reach the server a connection was opened to. Empty length if none.
  Lookup last_known(const std::string& host) const;

  // The cache, for SHOW DNS_HOSTS: each name with an answer, seconds until it is looked up
  // again (0 once due), and its address ("" for a failed lookup).
  struct CachedHost {
    std::string host;
    int64_t ttl_seconds = 0;
    std::string address;
  };
  std::vector<CachedHost> cached_hosts() const;
  size_t names() const { return entries_.size(); }
  size_t in_flight() const { return tickets_.size(); }

 private:
  struct Entry {
    Lookup answer;
    Lookup last_good;
    Clock::time_point expires{};
    bool in_flight = false;
    Clock::duration max_ttl{}, failure_ttl{};
  };
  struct Ticket {
    HostResolver* owner;
    std::string host;
  };
  static void answered_cb(int result, evutil_addrinfo* addresses, void* arg);
  void finish(Ticket& ticket, int result, const evutil_addrinfo* addresses);
  bool ensure_base();

  EventLoop& loop_;
  std::string resolv_conf_;
  std::function<void()> answered_;
  struct BaseFree {
    void operator()(evdns_base* base) const noexcept;
  };
  std::unique_ptr<evdns_base, BaseFree> base_;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<Ticket*, std::unique_ptr<Ticket>> tickets_;
  bool in_lookup_ = false;
};

}  // namespace pooler::pool
