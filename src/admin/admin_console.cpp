#include "admin/admin_console.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>

#include "admin/result_set.h"
#include "config/setting_table.h"
#include "core/version.h"
#include "pool/pooler.h"
#include "protocol/message_builder.h"
#include "protocol/sqlstate.h"
#include "takeover/connection_state.h"
#include "takeover/show_fds.h"

namespace pooler::admin {

using pool::ClientConnection;
using pool::Clock;
using pool::Pool;
using pool::ServerConnection;
using T = ResultSet::Type;
namespace sqlstate = protocol::sqlstate;

namespace {
std::string pointer_text(const void* p) {
  char buf[32];
  snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// Steady-clock instants shown as wall-clock times, as PgBouncer does.
std::string wall_time(Clock::time_point t) {
  if (t == Clock::time_point{}) return "";
  auto wall = std::chrono::system_clock::now() -
              std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - t);
  time_t secs = std::chrono::system_clock::to_time_t(wall);
  tm tmv{};
  gmtime_r(&secs, &tmv);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tmv);
  return buf;
}

int64_t micros_since(Clock::time_point t, Clock::time_point now) {
  if (t == Clock::time_point{}) return 0;
  return std::chrono::duration_cast<std::chrono::microseconds>(now - t).count();
}
}  // namespace

void AdminConsole::send_welcome(ClientConnection& client) {
  std::string out;
  protocol::append_auth_ok(out);
  protocol::append_parameter_status(out, "server_version",
                                    std::string("15.0 (pooler ") + version() + ")");
  protocol::append_parameter_status(out, "client_encoding", "UTF8");
  protocol::append_parameter_status(out, "server_encoding", "UTF8");
  protocol::append_parameter_status(out, "DateStyle", "ISO, MDY");
  protocol::append_parameter_status(out, "standard_conforming_strings", "on");
  protocol::append_parameter_status(out, "integer_datetimes", "on");
  protocol::append_parameter_status(out, "TimeZone", "UTC");
  protocol::append_parameter_status(out, "application_name", "");
  protocol::append_backend_key_data(out, 0, 0);
  protocol::append_ready_for_query(out, 'I');
  client.send_local(out);
}

void AdminConsole::reply_ok(ClientConnection& client, std::string_view tag) {
  std::string out;
  protocol::append_command_complete(out, tag);
  protocol::append_ready_for_query(out, 'I');
  client.send_local(out);
}

void AdminConsole::reply_error(ClientConnection& client, std::string_view message,
                               const char* code) {
  std::string out;
  protocol::append_error_response(out, "ERROR", code, message);
  protocol::append_ready_for_query(out, 'I');
  client.send_local(out);
}

void AdminConsole::forget_client(ClientConnection* client) {
  std::erase_if(waiters_, [&](const Waiter& w) { return w.client == client; });
}

void AdminConsole::handle_query(ClientConnection& client, std::string_view sql) {
  run_command(client, sql);
  // The silence that counts for a takeover peer starts after our answer (SHOW FDS can take
  // a while to send), not when its command came.
  pooler_.heard_from_takeover_peer(client);
}

void AdminConsole::run_command(ClientConnection& client, std::string_view sql) {
  auto parsed = parse_admin_command(sql);
  if (!parsed) {
    reply_error(client, parsed.error().message, sqlstate::kSyntaxError);
    return;
  }
  const AdminCommand& cmd = parsed.value();
  auto& log = pooler_.log();
  if (cmd.verb == "SHOW" && cmd.subject == "FDS") {
    show_fds(client);
    return;
  }
  if (cmd.verb == "SHOW" && cmd.subject == "FDS_STATE") {
    show_fds_state(client);
    return;
  }
  if (cmd.verb == "SHOW" && cmd.subject == "FDS_SLOTS") {
    show_fds_slots(client);
    return;
  }
  if (cmd.verb == "SHOW") {
    std::string out;
    show(client, cmd, out);
    if (out.empty()) {
      reply_error(client, "unknown SHOW subject: " + cmd.subject + " (try SHOW HELP)",
                  sqlstate::kSyntaxError);
      return;
    }
    protocol::append_ready_for_query(out, 'I');
    client.send_local(out);
    return;
  }
  if (client.is_stats_only()) {
    reply_error(client, "admin access needed: stats_users may only use SHOW",
                sqlstate::kInsufficientPrivilege);
    return;
  }
  if (cmd.verb == "RELEASE") {  // every few ms during a rolling takeover: not logged
    release_fds(client, cmd);
    return;
  }
  POOLER_LOG(log, LogLevel::kLog, "%s admin command: %.*s", client.label().c_str(),
             static_cast<int>(sql.size()), sql.data());
  if (cmd.verb == "SUSPEND" && !cmd.argument.empty()) {
    suspend_rolling(client, cmd);
    return;
  }
  auto db_arg = [&]() -> pool::Database* {
    if (cmd.argument.empty()) return nullptr;
    // Only databases that exist: naming one must not create it from the "*" entry.
    return pooler_.existing_database(cmd.argument);
  };
  if ((cmd.verb == "KILL" || cmd.verb == "DISABLE" || cmd.verb == "ENABLE") &&
      cmd.argument.empty()) {
    reply_error(client, cmd.verb + " needs a database name", sqlstate::kSyntaxError);
    return;
  }
  if (!cmd.argument.empty() && cmd.verb != "SET" && db_arg() == nullptr) {
    reply_error(client, "no such database: " + cmd.argument, sqlstate::kInvalidCatalogName);
    return;
  }
  if (cmd.verb == "PAUSE") {
    if (pool::Database* db = db_arg()) {
      db->paused = true;
      for (const auto& [key, p] : pooler_.pools()) {
        if (&p->db() == db) p->close_idle_servers("pause mode");
      }
    } else {
      pooler_.pause_all(true);
    }
    waiters_.push_back({&client, cmd.verb, cmd.argument});
    client.set_admin_waiting(true);
    check_waiting();
    return;
  }
  if (cmd.verb == "RESUME") {
    if (pool::Database* db = db_arg()) {
      db->paused = false;
      for (const auto& [key, p] : pooler_.pools()) {
        if (&p->db() == db) p->maintenance(Clock::now());
      }
    } else {
      if (!pooler_.paused() && !pooler_.suspended()) {
        reply_error(client, "pooler is not paused or suspended",
                    sqlstate::kObjectNotInPrerequisiteState);
        return;
      }
      if (pooler_.rolling_handover()) {
        // The new process serves what it took; only it ends the hand-over (or its death).
        reply_error(client, "a takeover is handing connections to a new process: cannot RESUME",
                    sqlstate::kObjectNotInPrerequisiteState);
        return;
      }
      pooler_.suspend_all(false);
      pooler_.pause_all(false);
    }
    reply_ok(client, "RESUME");
    return;
  }
  if (cmd.verb == "SUSPEND") {
    if (client.is_takeover_peer()) {
      POOLER_LOG(log, LogLevel::kLog, "takeover: SUSPEND from the new process");
    }
    fds_sent_ = false;  // a takeover that failed earlier sent its fds to a process now gone
    pooler_.suspend_all(true, &client);
    const auto limit =
        std::chrono::duration_cast<pool::Clock::duration>(pooler_.settings().suspend_timeout);
    Waiter waiter{&client, cmd.verb, cmd.argument};
    if (limit.count() > 0) waiter.deadline = pool::Clock::now() + limit;
    waiters_.push_back(std::move(waiter));
    client.set_admin_waiting(true);
    check_waiting();
    return;
  }
  if (cmd.verb == "SET") {
    auto r = pooler_.set_setting(cmd.subject, cmd.argument);
    if (!r) {
      reply_error(client, r.error().message, sqlstate::kInvalidParameterValue);
      return;
    }
    reply_ok(client, "SET");
    return;
  }
  if (cmd.verb == "RELOAD") {
    auto r = pooler_.reload();
    if (!r) {
      reply_error(client, "config reload failed, old configuration kept: " + r.error().message,
                  sqlstate::kObjectNotInPrerequisiteState);
      return;
    }
    reply_ok(client, "RELOAD");
    return;
  }
  if (cmd.verb == "SHUTDOWN") {
    POOLER_LOG(log, LogLevel::kLog, "SHUTDOWN command issued");
    if (client.is_takeover_peer() && pooler_.suspended() && fds_sent_) {
      // The new process holds every socket now: leave without touching them.
      if (pooler_.rolling_handover()) {
        pooler_.end_rolling_handover();
      } else {
        pooler_.exit_for_takeover();
      }
      return;
    }
    reply_ok(client, "SHUTDOWN");
    pooler_.begin_shutdown(true);
    return;
  }
  if (cmd.verb == "KILL" || cmd.verb == "RECONNECT" || cmd.verb == "WAIT_CLOSE") {
    pool::Database* target = db_arg();
    for (const auto& entry : pooler_.pools()) {
      Pool* p = entry.second.get();  // not a structured binding: lambdas below capture it
      if (target && &p->db() != target) continue;
      if (cmd.verb == "KILL") {
        p->db().paused = true;
        auto clients = [&](auto& list) {
          list.for_each_safe([&](ClientConnection* c) {
            c->fatal(sqlstate::kAdminShutdown, "database " + p->db().name + " killed by admin");
          });
        };
        clients(p->active_clients());
        clients(p->waiting_clients());
        clients(p->welcome_clients());
        auto servers = [&](auto& list) {
          list.for_each_safe([&](ServerConnection* s) { pooler_.close_server(s, "KILL"); });
        };
        servers(p->idle_servers());
        servers(p->active_servers());
        servers(p->used_servers());
        servers(p->login_servers());
      } else if (cmd.verb == "RECONNECT") {
        p->mark_servers_close_needed();
      }
    }
    if (cmd.verb == "WAIT_CLOSE") {
      waiters_.push_back({&client, cmd.verb, cmd.argument});
      client.set_admin_waiting(true);
      check_waiting();
      return;
    }
    reply_ok(client, cmd.verb);
    return;
  }
  if (cmd.verb == "DISABLE" || cmd.verb == "ENABLE") {
    db_arg()->disabled = cmd.verb == "DISABLE";
    reply_ok(client, cmd.verb);
    return;
  }
  reply_error(client, "unknown command: " + cmd.verb + " (try SHOW HELP)", sqlstate::kSyntaxError);
}

bool AdminConsole::condition_met(const Waiter& w) const {
  for (const auto& [key, p] : pooler_.pools()) {
    if (!w.argument.empty() && p->db().name != w.argument) continue;
    if (w.verb == "WAIT_CLOSE") {
      auto needs_close = [](auto& list) {
        for (ServerConnection* s : list) {
          if (s->close_needed()) return true;
        }
        return false;
      };
      if (needs_close(p->active_servers()) || needs_close(p->used_servers()) ||
          needs_close(p->login_servers())) {
        return false;
      }
    } else if (w.verb == "PAUSE" && (!p->active_servers().empty() || !p->used_servers().empty())) {
      return false;  // every server back from its transaction
    }
  }
  if (w.verb == "SUSPEND") return pooler_.quiescent();
  return true;
}

void AdminConsole::check_waiting() {
  if (checking_ || waiters_.empty()) return;
  for (const Waiter& w : waiters_) {
    if (w.verb == "SUSPEND" && w.deadline != pool::Clock::time_point{} &&
        pool::Clock::now() >= w.deadline && !pooler_.quiescent()) {
      // PgBouncer's rule: a connection that cannot be flushed in time is dropped.
      pooler_.drop_busy_connections(
          "terminating connection: it was still busy when suspend_timeout ran out");
      break;
    }
  }
  checking_ = true;
  std::vector<Waiter> done;
  std::erase_if(waiters_, [&](const Waiter& w) {
    if (!condition_met(w)) return false;
    done.push_back(w);
    return true;
  });
  for (const Waiter& w : done) {
    if (w.verb == "PAUSE") {
      for (const auto& [key, p] : pooler_.pools()) {
        if (w.argument.empty() || p->db().name == w.argument) p->close_idle_servers("pause mode");
      }
    }
    w.client->set_admin_waiting(false);
    reply_ok(*w.client, w.verb);
    pooler_.heard_from_takeover_peer(*w.client);
    w.client->process_input();
  }
  checking_ = false;
}

void AdminConsole::show_fds(ClientConnection& client) {
  // fds go only to our own uid over the Unix socket, never over TCP.
  if (!client.from_unix_socket() || !takeover::peer_has_our_uid(client.fd())) {
    reply_error(client, "SHOW FDS is only for a takeover over the Unix socket by the same user",
                sqlstate::kInsufficientPrivilege);
    return;
  }
  if (!pooler_.suspended()) {
    reply_error(client, "SHOW FDS needs SUSPEND first", sqlstate::kObjectNotInPrerequisiteState);
    return;
  }
  auto records =
      pooler_.rolling_handover() ? pooler_.hand_over_movable() : pooler_.takeover_records();
  if (!records.empty() || !pooler_.rolling_handover()) {
    POOLER_LOG(pooler_.log(), LogLevel::kLog, "takeover: sending %zu sockets with SHOW FDS",
               records.size());
  }
  const int timeout_ms = static_cast<int>(pooler_.settings().takeover_timeout.count() * 1000);
  if (!client.flush_blocking(timeout_ms)) {
    pooler_.close_client(&client, "takeover peer stopped reading");
    return;
  }
  // A rolling peer is pooler, which takes many fds per message; PgBouncer takes one.
  auto r = takeover::send_show_fds(client.fd(), records, timeout_ms,
                                   pooler_.rolling_handover() ? takeover::kMaxFdsPerMessage : 1);
  if (!r) {
    POOLER_LOG(pooler_.log(), LogLevel::kWarning, "%s", r.error().message.c_str());
    pooler_.close_client(&client, "SHOW FDS failed");
    return;
  }
  fds_sent_ = true;
}

void AdminConsole::suspend_rolling(ClientConnection& client, const AdminCommand& cmd) {
  if (upper_ascii(cmd.argument) != "ROLLING") {
    reply_error(client, "SUSPEND takes no argument but ROLLING", sqlstate::kSyntaxError);
    return;
  }
  // Only a pooler peer asks for this; PgBouncer peers use plain SUSPEND.
  if (!client.is_takeover_peer()) {
    reply_error(client, "SUSPEND ROLLING is for a takeover over the Unix socket by the same user",
                sqlstate::kInsufficientPrivilege);
    return;
  }
  if (pooler_.suspended()) {
    reply_error(client, "already suspended", sqlstate::kObjectNotInPrerequisiteState);
    return;
  }
  fds_sent_ = false;  // see SUSPEND
  pooler_.begin_rolling_handover(&client);
  reply_ok(client, "SUSPEND");
}

void AdminConsole::release_fds(ClientConnection& client, const AdminCommand& cmd) {
  if (upper_ascii(cmd.argument) != "FDS" || !client.is_takeover_peer() ||
      !pooler_.rolling_handover()) {
    reply_error(client, "RELEASE FDS is for the takeover peer, after SUSPEND ROLLING and SHOW FDS",
                sqlstate::kObjectNotInPrerequisiteState);
    return;
  }
  // The tag tells the peer how many connections are still busy here.
  reply_ok(client, "RELEASE " + std::to_string(pooler_.release_handed()));
}

void AdminConsole::show_fds_slots(ClientConnection& client) {
  if (!client.is_takeover_peer() || !client.from_unix_socket() ||
      !takeover::peer_has_our_uid(client.fd()) || !pooler_.rolling_handover()) {
    reply_error(client, "SHOW FDS_SLOTS is for the takeover peer, after SUSPEND ROLLING",
                sqlstate::kObjectNotInPrerequisiteState);
    return;
  }
  const int peer = takeover::peer_pid(client.fd());
  if (peer <= 0) {  // we could never tell when it stopped touching what we gave it
    reply_error(client, "no slots region: the peer's pid is unknown",
                sqlstate::kObjectNotInPrerequisiteState);
    return;
  }
  auto copies = pooler_.start_handover_copies(peer);
  if (!copies) {
    reply_error(client, "no slots region: " + copies.error().message,
                sqlstate::kObjectNotInPrerequisiteState);
    return;
  }
  const int timeout_ms = static_cast<int>(pooler_.settings().takeover_timeout.count() * 1000);
  if (!client.flush_blocking(timeout_ms)) {
    pooler_.close_client(&client, "takeover peer stopped reading");
    return;
  }
  auto r = takeover::send_slots_region(client.fd(), copies.value()->region_fd(),
                                       copies.value()->capacity(), timeout_ms);
  if (!r) {
    POOLER_LOG(pooler_.log(), LogLevel::kWarning, "%s", r.error().message.c_str());
    pooler_.close_client(&client, "SHOW FDS_SLOTS failed");
  }
}

void AdminConsole::show_fds_state(ClientConnection& client) {
  if (!client.is_takeover_peer() || !pooler_.suspended()) {
    reply_error(client, "SHOW FDS_STATE is for the takeover peer, after SUSPEND",
                sqlstate::kObjectNotInPrerequisiteState);
    return;
  }
  std::string out;
  ResultSet rs(out, {{"fd", T::kInt4},
                     {"kind", T::kText},
                     {"name", T::kText},
                     {"version", T::kInt4},
                     {"payload", T::kText}});
  // Test hook: offer a future format, which the new process must refuse.
  const char* future_version = getenv("POOLER_TEST_STATE_VERSION");
  for (const auto& st : pooler_.takeover_extra_state()) {
    auto row = takeover::row_from_extra_state(st);
    if (future_version) row.at(takeover::kFdsStateVersionColumn) = future_version;
    for (auto& value : row) rs.add(value ? *value : std::string());
    rs.end_row();
  }
  rs.finish();
  protocol::append_ready_for_query(out, 'I');
  client.send_local(out);
}

namespace {
void add_stats(ResultSet& rs, const pool::Stats& st) {
  for (uint64_t v : {st.xact_count, st.query_count, st.bytes_received, st.bytes_sent,
                     st.xact_time_us, st.query_time_us, st.wait_time_us}) {
    rs.add(static_cast<int64_t>(v));
  }
}
}  // namespace

void AdminConsole::show(ClientConnection& client, const AdminCommand& cmd, std::string& out) {
  (void)client;
  const auto now = Clock::now();
  const std::string& what = cmd.subject;
  if (what == "HELP") {
    ResultSet rs(out, {{"command", T::kText}});
    for (const char* line :
         {"SHOW HELP|CONFIG|DATABASES|POOLS|CLIENTS|SERVERS|USERS|LISTS|STATE|VERSION",
          "SHOW STATS|STATS_TOTALS|STATS_AVERAGES|TOTALS", "SHOW DNS_HOSTS|DNS_ZONES",
          "SHOW SOCKETS|ACTIVE_SOCKETS|MEM", "SET key = arg", "PAUSE [<db>]", "RESUME [<db>]",
          "SUSPEND", "RELOAD", "SHUTDOWN", "KILL <db>", "RECONNECT [<db>]", "WAIT_CLOSE [<db>]",
          "DISABLE <db>", "ENABLE <db>"}) {
      rs.add(std::string(line)).end_row();
    }
    rs.finish();
    return;
  }
  if (what == "STATE") {
    // What SHOW POOLS cannot say: the process's own state, the fd store, the last restore.
    ResultSet rs(out, {{"key", T::kText}, {"value", T::kText}});
    const systemd::FdStore* store = pooler_.fd_store();
    auto row = [&](const char* key, std::string value) {
      rs.add(std::string(key)).add(value).end_row();
    };
    row("paused", pooler_.paused() ? "yes" : "no");
    row("suspended", pooler_.suspended() ? "yes" : "no");
    row("shutting_down", pooler_.shutting_down() ? "yes" : "no");
    row("fd_store", store && store->enabled() ? "on" : "off");
    row("fd_store_capacity", std::to_string(store ? store->capacity() : 0));
    row("fd_store_stored", std::to_string(store ? store->stored() : 0));
    row("fd_store_refused", std::to_string(store ? store->refused() : 0));
    row("restored_at_start", std::to_string(pooler_.restored_at_start()));
    row("dropped_at_start", std::to_string(pooler_.dropped_at_start()));
    // Lines the syslog daemon did not take (syslog = 1), since syslog was last configured.
    const SyslogSink* sink = pooler_.log().syslog_sink();
    row("syslog", sink ? "on" : "off");
    row("syslog_dropped", std::to_string(sink ? sink->dropped() : 0));
    row("status", pooler_.status_line());
    rs.finish();
    return;
  }
  if (what == "VERSION") {
    ResultSet rs(out, {{"version", T::kText}});
    rs.add(std::string("pooler ") + version()).end_row();
    rs.finish();
    return;
  }
  if (what == "CONFIG") {
    ResultSet rs(
        out,
        {{"key", T::kText}, {"value", T::kText}, {"default", T::kText}, {"changeable", T::kText}});
    for (const auto& row : config::show_config_rows(pooler_.settings())) {
      rs.add(row.key)
          .add(row.value)
          .add(row.default_value)
          .add(std::string(row.changeable ? "yes" : "no"));
      rs.end_row();
    }
    rs.finish();
    return;
  }
  if (what == "POOLS") {
    ResultSet rs(out, {{"database", T::kText},
                       {"user", T::kText},
                       {"cl_active", T::kInt8},
                       {"cl_waiting", T::kInt8},
                       {"cl_active_cancel_req", T::kInt8},
                       {"cl_waiting_cancel_req", T::kInt8},
                       {"sv_active", T::kInt8},
                       {"sv_active_cancel", T::kInt8},
                       {"sv_being_canceled", T::kInt8},
                       {"sv_idle", T::kInt8},
                       {"sv_used", T::kInt8},
                       {"sv_tested", T::kInt8},
                       {"sv_login", T::kInt8},
                       {"maxwait", T::kInt8},
                       {"maxwait_us", T::kInt8},
                       {"pool_mode", T::kText}});
    for (const auto& [key, p] : pooler_.pools()) {
      int64_t maxwait_us = 0;
      if (ClientConnection* c = p->waiting_clients().front()) {
        maxwait_us = micros_since(c->request_time(), now);
      }
      rs.add(p->db().name).add(p->user().name);
      rs.add(static_cast<int64_t>(p->active_clients().size()));
      rs.add(static_cast<int64_t>(p->waiting_clients().size() + p->welcome_clients().size()));
      rs.add(int64_t{0}).add(int64_t{0});
      rs.add(static_cast<int64_t>(p->active_servers().size()));
      rs.add(int64_t{0}).add(int64_t{0});
      rs.add(static_cast<int64_t>(p->idle_servers().size()));
      rs.add(static_cast<int64_t>(p->used_servers().size()));
      rs.add(int64_t{0});
      rs.add(static_cast<int64_t>(p->login_servers().size()));
      rs.add(maxwait_us / 1000000).add(maxwait_us % 1000000);
      rs.add(std::string(config::to_string(p->mode())));
      rs.end_row();
    }
    rs.finish();
    return;
  }
  // SHOW CLIENTS and SERVERS; SHOW SOCKETS adds PgBouncer's buffer columns, lists both
  // kinds (and clients still logging in) with cl_/sv_ states; ACTIVE_SOCKETS only those
  // with something in their buffers.
  if (what == "CLIENTS" || what == "SERVERS" || what == "SOCKETS" || what == "ACTIVE_SOCKETS") {
    const bool sockets = what == "SOCKETS" || what == "ACTIVE_SOCKETS";
    std::vector<ResultSet::Column> columns = {
        {"type", T::kText},         {"user", T::kText},       {"database", T::kText},
        {"state", T::kText},        {"addr", T::kText},       {"port", T::kInt4},
        {"local_addr", T::kText},   {"local_port", T::kInt4}, {"connect_time", T::kText},
        {"request_time", T::kText}, {"wait", T::kInt4},       {"wait_us", T::kInt4},
        {"close_needed", T::kInt4}, {"ptr", T::kText},        {"link", T::kText},
        {"remote_pid", T::kInt4},   {"tls", T::kText},        {"application_name", T::kText}};
    if (sockets) {
      for (const char* name : {"recv_pos", "pkt_pos", "pkt_remain", "send_pos", "send_remain",
                               "pkt_avail", "send_avail"}) {
        columns.push_back({name, T::kInt4});
      }
    }
    ResultSet rs(out, columns);
    // Listed at all: ACTIVE_SOCKETS wants only connections with buffered bytes.
    auto listed = [&](const pool::Connection& c) {
      return what != "ACTIVE_SOCKETS" || !c.buffer_state().empty();
    };
    // Our buffers in PgBouncer's terms: read position, parsed (due to the peer) and what is
    // left of a streaming message; pooler's own bytes are what it still has to send.
    auto buffer_columns = [&](const pool::Connection& c) {
      if (!sockets) return;
      const pool::Connection::BufferState b = c.buffer_state();
      rs.add(static_cast<int64_t>(b.received)).add(static_cast<int64_t>(b.due));
      rs.add(static_cast<int64_t>(b.streaming)).add(int64_t{0});
      rs.add(static_cast<int64_t>(b.due + b.local));
      rs.add(static_cast<int64_t>(b.received - b.due)).add(static_cast<int64_t>(b.due));
    };
    auto state = [&](const char* prefix, const char* name) {
      return sockets ? std::string(prefix) + name : std::string(name);
    };
    if (what != "SERVERS") {
      for (ClientConnection* c : pooler_.clients()) {
        const bool logging_in = c->state() == ClientConnection::State::kStartup ||
                                c->state() == ClientConnection::State::kTlsHandshake ||
                                c->state() == ClientConnection::State::kAuth;
        if ((logging_in && !sockets) || !listed(*c)) continue;
        PeerAddress local = local_address_of(c->fd());
        int64_t wait_us = c->state() == ClientConnection::State::kWaiting
                              ? micros_since(c->request_time(), now)
                              : 0;
        rs.add(std::string("C")).add(c->user_name()).add(c->db_name());
        rs.add(state("cl_", c->state_name()));
        rs.add(c->address().host).add(int64_t{c->address().port});
        rs.add(local.host).add(int64_t{local.port});
        rs.add(wall_time(c->connect_time())).add(wall_time(c->last_activity()));
        rs.add(wait_us / 1000000).add(wait_us % 1000000).add(int64_t{0});
        rs.add(pointer_text(c));
        rs.add(c->server() ? pointer_text(c->server()) : std::string());
        rs.add(int64_t{0}).add(c->tls_description());
        rs.add(std::string(c->params().get(pool::TrackedParam::kApplicationName)));
        buffer_columns(*c);
        rs.end_row();
      }
    }
    if (what != "CLIENTS") {
      for (ServerConnection* s : pooler_.servers()) {
        if (!listed(*s)) continue;
        PeerAddress local = local_address_of(s->fd());
        rs.add(std::string("S")).add(s->pool().user().name).add(s->pool().db().name);
        rs.add(state("sv_", s->state_name()));
        rs.add(s->address().host).add(int64_t{s->address().port});
        rs.add(local.host).add(int64_t{local.port});
        rs.add(wall_time(s->connect_time())).add(wall_time(s->last_used()));
        rs.add(int64_t{0}).add(int64_t{0}).add(int64_t{s->close_needed() ? 1 : 0});
        rs.add(pointer_text(s));
        rs.add(s->client() ? pointer_text(s->client()) : std::string());
        rs.add(int64_t{s->backend_pid()}).add(s->tls_description());
        rs.add(std::string(s->params().get(pool::TrackedParam::kApplicationName)));
        buffer_columns(*s);
        rs.end_row();
      }
    }
    rs.finish();
    return;
  }
  // PgBouncer lists its slab caches; pooler allocates each object on its own, so "free"
  // is 0 except for read buffers, which come from a free list.
  if (what == "MEM") {
    ResultSet rs(out, {{"name", T::kText},
                       {"size", T::kInt4},
                       {"used", T::kInt4},
                       {"free", T::kInt4},
                       {"memtotal", T::kInt8}});
    auto row = [&](const char* name, size_t size, size_t used, size_t free) {
      rs.add(std::string(name)).add(static_cast<int64_t>(size));
      rs.add(static_cast<int64_t>(used)).add(static_cast<int64_t>(free));
      rs.add(static_cast<int64_t>(size * (used + free)));
      rs.end_row();
    };
    row("user_cache", sizeof(pool::PoolUser), pooler_.users().size(), 0);
    row("db_cache", sizeof(pool::Database), pooler_.databases().size(), 0);
    row("pool_cache", sizeof(pool::Pool), pooler_.pools().size(), 0);
    row("server_cache", sizeof(ServerConnection), pooler_.servers().size(), 0);
    row("client_cache", sizeof(ClientConnection), pooler_.clients().size(), 0);
    row("iobuf_cache", pooler_.buffers().block_size(), pooler_.buffers().used_blocks(),
        pooler_.buffers().free_blocks());
    rs.finish();
    return;
  }
  if (what == "DATABASES") {
    ResultSet rs(out, {{"name", T::kText},
                       {"host", T::kText},
                       {"port", T::kInt4},
                       {"database", T::kText},
                       {"force_user", T::kText},
                       {"pool_size", T::kInt4},
                       {"min_pool_size", T::kInt4},
                       {"reserve_pool", T::kInt4},
                       {"pool_mode", T::kText},
                       {"max_connections", T::kInt4},
                       {"current_connections", T::kInt4},
                       {"paused", T::kInt4},
                       {"disabled", T::kInt4}});
    const config::Settings& s = pooler_.settings();
    auto row = [&](const config::DatabaseEntry& e, const pool::Database* db) {
      rs.add(e.name).add(e.host).add(int64_t{e.port});
      rs.add(e.dbname.empty() ? e.name : e.dbname);
      rs.add(e.user);
      rs.add(int64_t{e.pool_size.value_or(s.default_pool_size)});
      rs.add(int64_t{e.min_pool_size.value_or(s.min_pool_size)});
      rs.add(int64_t{e.reserve_pool.value_or(s.reserve_pool_size)});
      if (e.pool_mode) {
        rs.add(std::string(config::to_string(*e.pool_mode)));
      } else {
        rs.add_null();
      }
      rs.add(int64_t{e.max_db_connections.value_or(s.max_db_connections)});
      rs.add(int64_t{db ? db->server_count : 0});
      rs.add(int64_t{db && db->paused ? 1 : 0}).add(int64_t{db && db->disabled ? 1 : 0});
      rs.end_row();
    };
    for (const auto& e : pooler_.config().databases) {
      auto it = pooler_.databases().find(e.name);
      row(e, it == pooler_.databases().end() ? nullptr : it->second.get());
    }
    for (const auto& [name, db] : pooler_.databases()) {
      if (db->from_fallback) row(db->entry, db.get());
    }
    config::DatabaseEntry admin;
    admin.name = "pooler";
    admin.port = pooler_.settings().listen_port;
    admin.pool_size = 2;
    admin.pool_mode = config::PoolMode::Statement;
    row(admin, nullptr);
    rs.finish();
    return;
  }
  if (what == "USERS") {
    ResultSet rs(out, {{"name", T::kText}, {"pool_mode", T::kText}});
    for (const auto& [name, u] : pooler_.users()) {
      rs.add(name);
      if (u->pool_mode) {
        rs.add(std::string(config::to_string(*u->pool_mode)));
      } else {
        rs.add_null();
      }
      rs.end_row();
    }
    rs.finish();
    return;
  }
  if (what == "STATS" || what == "STATS_TOTALS" || what == "STATS_AVERAGES") {
    // PgBouncer's three views of the same figures: totals since start (which continue
    // across takeovers), and averages over the last stats_period.
    static constexpr const char* kTotalNames[] = {
        "total_xact_count", "total_query_count", "total_received", "total_sent",
        "total_xact_time",  "total_query_time",  "total_wait_time"};
    static constexpr const char* kAverageNames[] = {
        "avg_xact_count", "avg_query_count", "avg_recv",     "avg_sent",
        "avg_xact_time",  "avg_query_time",  "avg_wait_time"};
    static constexpr const char* kSubsetNames[] = {"xact_count", "query_count", "bytes_received",
                                                   "bytes_sent", "xact_time",   "query_time",
                                                   "wait_time"};
    const bool totals = what != "STATS_AVERAGES", averages = what != "STATS_TOTALS";
    std::vector<ResultSet::Column> columns{{"database", T::kText}};
    if (totals) {
      for (const char* name : what == "STATS" ? kTotalNames : kSubsetNames) {
        columns.push_back({name, T::kInt8});
      }
    }
    if (averages) {
      for (const char* name : what == "STATS" ? kAverageNames : kSubsetNames) {
        columns.push_back({name, T::kInt8});
      }
    }
    ResultSet rs(out, columns);
    for (const auto& [name, db] : pooler_.databases()) {
      rs.add(name);
      if (totals) add_stats(rs, db->stats);
      if (averages) add_stats(rs, db->averages);
      rs.end_row();
    }
    rs.finish();
    return;
  }
  if (what == "TOTALS") {
    pool::Stats total, average;
    uint64_t xact_time = 0, query_time = 0;
    for (const auto& [name, db] : pooler_.databases()) {
      total += db->stats;
      average += db->averages;  // rates add up; times are weighted by their counts below
      xact_time += db->averages.xact_time_us * db->averages.xact_count;
      query_time += db->averages.query_time_us * db->averages.query_count;
    }
    average.xact_time_us = average.xact_count ? xact_time / average.xact_count : 0;
    average.query_time_us = average.query_count ? query_time / average.query_count : 0;
    ResultSet rs(out, {{"name", T::kText}, {"value", T::kInt8}});
    auto rows = [&](const char* prefix, const pool::Stats& st) {
      const std::pair<const char*, uint64_t> figures[] = {
          {"xact_count", st.xact_count},       {"query_count", st.query_count},
          {"client_bytes", st.bytes_received}, {"server_bytes", st.bytes_sent},
          {"xact_time", st.xact_time_us},      {"query_time", st.query_time_us},
          {"wait_time", st.wait_time_us}};
      for (const auto& [figure, value] : figures) {
        rs.add(std::string(prefix) + figure).add(static_cast<int64_t>(value)).end_row();
      }
    };
    rows("total_", total);
    rows("avg_", average);
    rs.finish();
    return;
  }
  if (what == "DNS_HOSTS") {
    ResultSet rs(out, {{"hostname", T::kText}, {"ttl", T::kInt8}, {"addrs", T::kText}});
    for (const auto& h : pooler_.resolver().cached_hosts()) {
      rs.add(h.host).add(h.ttl_seconds).add(h.address).end_row();
    }
    rs.finish();
    return;
  }
  if (what == "DNS_ZONES") {
    // Zone serial checks (dns_zone_check_period) are not implemented: no zones to show.
    ResultSet rs(out, {{"zonename", T::kText}, {"serial", T::kInt8}, {"count", T::kInt4}});
    rs.finish();
    return;
  }
  if (what == "LISTS") {
    ResultSet rs(out, {{"list", T::kText}, {"items", T::kInt4}});
    size_t used = 0, free_clients = 0;
    for (const auto& [key, p] : pooler_.pools()) used += p->idle_servers().size();
    (void)free_clients;
    rs.add(std::string("databases"))
        .add(static_cast<int64_t>(pooler_.databases().size()))
        .end_row();
    rs.add(std::string("users")).add(static_cast<int64_t>(pooler_.users().size())).end_row();
    rs.add(std::string("pools")).add(static_cast<int64_t>(pooler_.pools().size())).end_row();
    rs.add(std::string("free_clients")).add(int64_t{0}).end_row();
    rs.add(std::string("used_clients"))
        .add(static_cast<int64_t>(pooler_.clients().size()))
        .end_row();
    rs.add(std::string("login_clients"))
        .add(static_cast<int64_t>(pooler_.logging_in_count()))
        .end_row();
    rs.add(std::string("free_servers")).add(int64_t{0}).end_row();
    rs.add(std::string("used_servers"))
        .add(static_cast<int64_t>(pooler_.servers().size()))
        .end_row();
    rs.add(std::string("idle_servers")).add(static_cast<int64_t>(used)).end_row();
    rs.add(std::string("free_buffers"))
        .add(static_cast<int64_t>(pooler_.buffers().free_blocks()))
        .end_row();
    rs.add(std::string("dns_names"))
        .add(static_cast<int64_t>(pooler_.resolver().names()))
        .end_row();
    rs.add(std::string("dns_zones")).add(int64_t{0}).end_row();
    rs.add(std::string("dns_queries"))
        .add(static_cast<int64_t>(pooler_.resolver().in_flight()))
        .end_row();
    rs.add(std::string("dns_pending")).add(int64_t{0}).end_row();
    rs.finish();
    return;
  }
}

}  // namespace pooler::admin
