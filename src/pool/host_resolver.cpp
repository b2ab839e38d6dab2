#include "pool/host_resolver.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/util.h>

#include <algorithm>
#include <cstring>

#include "core/socket.h"

namespace pooler::pool {

namespace {
// Even with a TTL of 0, every client that waited for an answer gets to use it.
constexpr HostResolver::Clock::duration kMinimumTtl = std::chrono::seconds(1);

bool parse_ip_literal(const std::string& host, HostResolver::Lookup& out) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    out.length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.address);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    out.length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}
}  // namespace

void HostResolver::BaseFree::operator()(evdns_base* base) const noexcept {
  // Pending requests are dropped without their callbacks; their tickets die with us.
  evdns_base_free(base, 0);
}

HostResolver::HostResolver(EventLoop& loop, std::string resolv_conf, std::function<void()> answered)
    : loop_(loop), resolv_conf_(std::move(resolv_conf)), answered_(std::move(answered)) {}

HostResolver::~HostResolver() = default;

bool HostResolver::ensure_base() {
  if (base_) return true;
  // Made at the first name to look up, so setups with IP addresses never read resolv.conf.
  evdns_base* base = evdns_base_new(loop_.base(), EVDNS_BASE_DISABLE_WHEN_INACTIVE);
  if (!base) return false;
  base_.reset(base);
  const std::string path = resolv_conf_.empty() ? "/etc/resolv.conf" : resolv_conf_;
  // A missing or empty file leaves evdns with a nameserver on 127.0.0.1, as libc would.
  evdns_base_resolv_conf_parse(base, DNS_OPTIONS_ALL, path.c_str());
  return true;
}

HostResolver::Lookup HostResolver::lookup(const std::string& host, Clock::duration max_ttl,
                                          Clock::duration failure_ttl) {
  Lookup literal;
  if (parse_ip_literal(host, literal)) {
    literal.status = Lookup::Status::kReady;
    return literal;
  }
  Entry& e = entries_[host];
  if (e.in_flight) return Lookup{};
  if (e.expires > Clock::now()) return e.answer;
  if (!ensure_base()) {
    Lookup failed;
    failed.status = Lookup::Status::kFailed;
    failed.error = "could not start the DNS resolver";
    return failed;
  }
  e.in_flight = true;
  e.max_ttl = max_ttl;
  e.failure_ttl = failure_ttl;
  auto owned = std::make_unique<Ticket>(Ticket{this, host});
  Ticket* ticket = owned.get();
  tickets_.emplace(ticket, std::move(owned));
  evutil_addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  in_lookup_ = true;
  // May answer at once (from /etc/hosts, or with an error), before it returns.
  evdns_getaddrinfo(base_.get(), host.c_str(), nullptr, &hints, &answered_cb, ticket);
  in_lookup_ = false;
  return e.in_flight ? Lookup{} : e.answer;
}

HostResolver::Lookup HostResolver::last_known(const std::string& host) const {
  Lookup literal;
  if (parse_ip_literal(host, literal)) {
    literal.status = Lookup::Status::kReady;
    return literal;
  }
  auto it = entries_.find(host);
  return it == entries_.end() ? Lookup{} : it->second.last_good;
}

std::vector<HostResolver::CachedHost> HostResolver::cached_hosts() const {
  std::vector<CachedHost> out;
  const auto now = Clock::now();
  for (const auto& [host, e] : entries_) {
    if (e.expires == Clock::time_point{}) continue;  // never answered yet
    CachedHost c;
    c.host = host;
    c.ttl_seconds = e.expires > now
                        ? std::chrono::duration_cast<std::chrono::seconds>(e.expires - now).count()
                        : 0;
    if (e.answer.status == Lookup::Status::kReady) {
      c.address = address_from_sockaddr(reinterpret_cast<const sockaddr*>(&e.answer.address),
                                        e.answer.length)
                      .host;
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const CachedHost& a, const CachedHost& b) { return a.host < b.host; });
  return out;
}

void HostResolver::answered_cb(int result, evutil_addrinfo* addresses, void* arg) {
  auto* ticket = static_cast<Ticket*>(arg);
  HostResolver* self = ticket->owner;
  self->finish(*ticket, result, addresses);
  if (addresses) evutil_freeaddrinfo(addresses);
  const bool notify = !self->in_lookup_;
  self->tickets_.erase(ticket);
  if (notify && self->answered_) self->answered_();
}

void HostResolver::finish(Ticket& ticket, int result, const evutil_addrinfo* addresses) {
  Entry& e = entries_[ticket.host];
  e.in_flight = false;
  Lookup answer;
  if (result == 0 && addresses && addresses->ai_addrlen <= sizeof answer.address) {
    answer.status = Lookup::Status::kReady;
    memcpy(&answer.address, addresses->ai_addr, addresses->ai_addrlen);
    answer.length = static_cast<socklen_t>(addresses->ai_addrlen);
    e.last_good = answer;
    e.expires = Clock::now() + std::max(e.max_ttl, kMinimumTtl);
  } else {
    answer.status = Lookup::Status::kFailed;
    answer.error = "could not resolve " + ticket.host + ": " +
                   (result == 0 ? std::string("no address") : evutil_gai_strerror(result));
    e.expires = Clock::now() + std::max(e.failure_ttl, kMinimumTtl);
  }
  e.answer = answer;
}

}  // namespace pooler::pool
