#!/usr/bin/env python3
"""pooler vs PgBouncer vs direct PostgreSQL, side by side in one run (issue 6).

Called by bench/run after it has installed packages and built pooler; see docs/performance.md.
Everything it starts runs as the unprivileged user pooler-test on 127.0.0.1 in a temporary
directory, and is stopped by pid and removed when it finishes.
"""
import argparse
import csv
import os
import pwd
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PGBIN = "/usr/lib/postgresql/15/bin"
USER, PASSWORD, DB = "bench", "bench-pw", "bench"
TEST_USER = "pooler-test"
AS_TEST_USER = ["setpriv", "--reuid", TEST_USER, "--regid", TEST_USER, "--init-groups"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGETS = ["direct", "pooler", "pgbouncer"]
# pooler with its systemd fd store and crash-safe state on (workload s): the notify socket is
# a stand-in that takes every stored fd and closes it, as far as pooler can tell systemd.
STORE_TARGET = "pooler-store"
# bench/tcp_relay.c: one upstream connection per client, one recv and one send per message and
# nothing else. Run beside f (clients = pool size, so 1:1 is the same shape): its CPU per
# transaction is the floor any proxy's CPU has on this machine.
RELAY_TARGET = "relay"
# Bytes of one `SELECT generate_series(1,100000)` result on the wire: a DataRow per row
# ('D', int32 length, int16 column count, int32 value length, the digits), plus the
# RowDescription and CommandComplete around it.
# Workload i: a COPY FROM STDIN of about this many bytes, in rows of this size.
# Workload p: a rate that leaves both cores headroom (a saturated -S c20 runs at about 8000 tps here).
PACED_TPS = 2000
COPY_BYTES = 100 * 1000 * 1000
COPY_ROW_BYTES = 100
RESULT_BYTES = sum(1 + 4 + 2 + 4 + len(str(i)) for i in range(1, 100001)) + 60


def log(msg):
    print(f"==> {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def perf_works():
    if not shutil.which("perf"):
        return False
    try:
        r = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"],
                           capture_output=True, text=True, timeout=20)
        return r.returncode == 0 and re.search(r"^\d+,", r.stderr, re.M) is not None
    except Exception:
        return False


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.procs = {}  # name -> Popen of what we started (pooler, pgbouncer)
        self.tmp = tempfile.mkdtemp(prefix="pooler-bench.", dir="/tmp")
        tu = pwd.getpwnam(TEST_USER)
        os.chown(self.tmp, tu.pw_uid, tu.pw_gid)
        self.pg_port, self.pooler_port, self.pgb_port = free_port(), free_port(), free_port()
        self.ports = {"direct": self.pg_port, "pooler": self.pooler_port, "pgbouncer": self.pgb_port,
                      STORE_TARGET: free_port(), RELAY_TARGET: free_port()}
        self.notify = None  # the stand-in for systemd's notify socket (workload s)
        self.perf = perf_works() and not args.no_perf
        # Plaintext unless a workload asks for TLS (t): both poolers offer it (prefer), and
        # libpq's own default, sslmode=prefer, would take it.
        self.env = dict(os.environ, PGPASSWORD=PASSWORD, PGSSLMODE="disable")
        self.pg_started = False
        self.rows = []

    # ---- processes -------------------------------------------------------------------
    def start_postgres(self):
        log(f"throwaway PostgreSQL 15 on 127.0.0.1:{self.pg_port} (scale {self.args.scale})")
        data = f"{self.tmp}/data"
        subprocess.run(AS_TEST_USER + [f"{PGBIN}/initdb", "-D", data, "-U", "postgres",
                                        "--auth-local=trust", "--auth-host=scram-sha-256"],
                       check=True, stdout=subprocess.DEVNULL)
        opts = (f"-p {self.pg_port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                "-c shared_buffers=128MB")
        subprocess.run(AS_TEST_USER + [f"{PGBIN}/pg_ctl", "-D", data, "-l", f"{self.tmp}/postgres.log",
                                        "-w", "-o", opts, "start"], check=True, stdout=subprocess.DEVNULL)
        self.pg_started = True
        psql = ["psql", "-qX", "-h", self.tmp, "-p", str(self.pg_port), "-U", "postgres"]
        subprocess.run(psql + ["-c", f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'",
                               "-c", f"CREATE DATABASE {DB} OWNER {USER}"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([f"{PGBIN}/pgbench", "-q", "-i", "-s", str(self.args.scale), "-h", "127.0.0.1",
                        "-p", str(self.pg_port), "-U", USER, DB],
                       check=True, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def write_configs(self):
        with open(f"{self.tmp}/userlist.txt", "w") as f:
            f.write(f'"{USER}" "{PASSWORD}"\n')
        # A throwaway certificate for client TLS (workload t): EC P-256, as PgBouncer's docs use.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{self.tmp}/tls.key",
                        "-out", f"{self.tmp}/tls.crt", "-days", "2", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        common = f"""[databases]
{DB} = host=127.0.0.1 port={self.pg_port} dbname={DB}

[{{section}}]
listen_addr = 127.0.0.1
listen_port = {{port}}
unix_socket_dir = {self.tmp}
auth_type = scram-sha-256
auth_file = {self.tmp}/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 12000
log_connections = 0
log_disconnections = 0
client_tls_sslmode = prefer
client_tls_key_file = {self.tmp}/tls.key
client_tls_cert_file = {self.tmp}/tls.crt
"""
        with open(f"{self.tmp}/pooler.ini", "w") as f:
            f.write(common.format(section="pooler", port=self.pooler_port))
        with open(f"{self.tmp}/{STORE_TARGET}.ini", "w") as f:
            f.write(common.format(section="pooler", port=self.ports[STORE_TARGET]))
        with open(f"{self.tmp}/pgbouncer.ini", "w") as f:
            f.write(common.format(section="pgbouncer", port=self.pgb_port))
        tu = pwd.getpwnam(TEST_USER)
        for n in ("userlist.txt", "pooler.ini", "pgbouncer.ini", f"{STORE_TARGET}.ini", "tls.key",
                  "tls.crt"):
            os.chown(f"{self.tmp}/{n}", tu.pw_uid, tu.pw_gid)
        os.chmod(f"{self.tmp}/tls.key", 0o600)

    def start_notify_sink(self):
        """A datagram socket that takes sd_notify messages and the fds they carry, and drops
        them: enough for pooler to keep its fd store and state as under systemd."""
        path = f"{self.tmp}/notify.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        os.chmod(path, 0o777)
        sock.settimeout(0.5)
        self.notify = sock

        def drain():
            fd_size = socket.CMSG_SPACE(16 * 4)
            while self.notify is not None:
                try:
                    _, anc, _, _ = sock.recvmsg(4096, fd_size)
                except socket.timeout:
                    continue
                except OSError:
                    return
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                        for i in range(0, len(data) - len(data) % 4, 4):
                            os.close(int.from_bytes(data[i:i + 4], sys.byteorder))

        threading.Thread(target=drain, daemon=True).start()
        return path

    def start_pooler(self, name):
        binary = self.args.pooler if name.startswith("pooler") else shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        env = None
        if name == STORE_TARGET:
            env = dict(os.environ, NOTIFY_SOCKET=self.notify.getsockname() if self.notify else
                       self.start_notify_sink(), POOLER_FD_STORE_MAX="20000")
        logf = open(f"{self.tmp}/{name}.log", "ab")
        p = subprocess.Popen(AS_TEST_USER + [binary, f"{self.tmp}/{name}.ini"],
                             stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, env=env)
        logf.close()
        self.procs[name] = p
        for _ in range(100):
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited at start; see its log:\n" + self.tail_log(name))
            r = subprocess.run(["psql", "-qXAt", "-h", "127.0.0.1", "-p", str(self.ports[name]), "-U", USER,
                                DB, "-c", "select 1"], env=self.env, capture_output=True)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not accept logins; log:\n" + self.tail_log(name))

    def start_relay(self):
        logf = open(f"{self.tmp}/{RELAY_TARGET}.log", "ab")
        self.procs[RELAY_TARGET] = subprocess.Popen(
            AS_TEST_USER + [self.args.relay, str(self.ports[RELAY_TARGET]), str(self.pg_port)],
            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()

    def stop_pooler(self, name):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def tail_log(self, name):
        try:
            with open(f"{self.tmp}/{name}.log", errors="replace") as f:
                return "".join(f.readlines()[-10:])
        except OSError:
            return ""

    def cleanup(self):
        for name in list(self.procs):
            self.stop_pooler(name)
        if self.notify is not None:
            sock, self.notify = self.notify, None
            sock.close()
        if self.pg_started:
            subprocess.run(AS_TEST_USER + [f"{PGBIN}/pg_ctl", "-D", f"{self.tmp}/data", "-m", "fast", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.args.keep:
            log(f"kept {self.tmp}: logs of PostgreSQL, pooler and PgBouncer, and pgbench's "
                "per-transaction logs of every run")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def pid(self, target):
        p = self.procs.get(target)
        return p.pid if p else None

    # ---- one pgbench run ---------------------------------------------------------------
    def pgbench(self, target, wargs, seconds, extra=None, during=None, env=None):
        """Runs pgbench against target and returns a dict of figures. `during(target)`, if
        given, runs halfway through (the reload workload) and returns its wall-clock time.
        `env` adds to the environment (PGSSLMODE=require for workload t)."""
        run_env = dict(self.env, **(env or {}))
        logdir = tempfile.mkdtemp(prefix=f"pgbench-{target}-", dir=self.tmp)
        cmd = ["nice", "-n", "5", f"{PGBIN}/pgbench", "-n", "-h", "127.0.0.1", "-p", str(self.ports[target]),
               "-U", USER, "-j", "2", "-T", str(seconds), "-l", "--log-prefix", f"{logdir}/tx"] + wargs + [DB]
        pid = self.pid(target)
        perf = None
        if pid and self.perf:
            perf = subprocess.Popen(["perf", "stat", "-x,", "-o", f"{logdir}/perf", "-e",
                                     "raw_syscalls:sys_enter", "-p", str(pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3)
        cpu0 = cpu_seconds(pid) if pid else None
        event_at = None
        if during:
            bench = subprocess.Popen(cmd, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
            time.sleep(seconds / 2)
            event_at = during(target)
            with open(f"{logdir}/event", "w") as f:
                f.write(f"{event_at[0]:.6f} {event_at[1]:.6f}\n")
            out_, err_ = bench.communicate(timeout=seconds + 300)
            r = subprocess.CompletedProcess(cmd, bench.returncode, out_, err_)
            pid = None  # the process measured is gone: no CPU or syscall figure for this run
        else:
            r = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=seconds + 300)
        cpu1 = cpu_seconds(pid) if pid else None
        syscalls = None
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=30)
            try:
                with open(f"{logdir}/perf") as f:
                    m = re.search(r"^(\d+),", f.read(), re.M)
                    syscalls = int(m.group(1)) if m else None
            except OSError:
                pass
        out = r.stdout + r.stderr
        res = dict(extra or {})
        m = re.search(r"number of transactions actually processed: (\d+)", out)
        ntx = int(m.group(1)) if m else 0
        m = re.search(r"number of failed transactions: (\d+)", out)
        nfailed = int(m.group(1)) if m else 0
        aborted = re.search(r"(?m)^.*(aborted|error|ERROR|FATAL).*$", r.stderr)
        if r.returncode != 0 or ntx == 0 or nfailed:
            msg = aborted.group(0).strip() if aborted else (r.stderr.strip().splitlines() or ["?"])[-1]
            res.update(status="failed", error=msg[:200])
            if not self.args.keep:
                shutil.rmtree(logdir, ignore_errors=True)
            return res
        m = re.search(r"^tps = ([\d.]+)", out, re.M)
        res["tps"] = float(m.group(1)) if m else None
        m = re.search(r"latency average = ([\d.]+) ms", out)
        res["lat_mean_ms"] = float(m.group(1)) if m else None
        lats = []
        done_us = []  # completion time of each transaction, for the reload gap
        for fn in os.listdir(logdir):
            if fn.startswith("tx"):
                with open(f"{logdir}/{fn}") as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) >= 6 and parts[2].isdigit():
                            lats.append(int(parts[2]))
                            done_us.append(int(parts[4]) * 1000000 + int(parts[5]))
        if event_at is not None and done_us:
            # Largest pause between two completed transactions, and p99 latency of the
            # transactions that finished within a second of the hand-over.
            done_us.sort()
            t0, t1 = event_at[0] * 1e6 - 1e6, event_at[1] * 1e6 + 1e6
            # Largest pause that began while the hand-over ran (from starting -R to the old
            # process's exit), and the same figure for the rest of the run: what this
            # machine's scheduling does on its own.
            gaps = [(b - a, a) for a, b in zip(done_us, done_us[1:])]
            during_gaps = [g for g, at in gaps if event_at[0] * 1e6 <= at <= event_at[1] * 1e6]
            res["reload_max_gap_ms"] = max(during_gaps) / 1000.0 if during_gaps else None
            calm = [g for g, at in gaps if not t0 <= at <= t1]
            res["calm_max_gap_ms"] = max(calm) / 1000.0 if calm else None
            near, away = [], []
            for fn in os.listdir(logdir):
                if fn.startswith("tx"):
                    for line in open(f"{logdir}/{fn}"):
                        parts = line.split()
                        if len(parts) >= 6 and parts[2].isdigit():
                            at = int(parts[4]) * 1e6 + int(parts[5])
                            (near if t0 <= at <= t1 else away).append(int(parts[2]))
            if near:
                near.sort()
                res["reload_p99_ms"] = near[min(len(near) - 1, int(len(near) * 0.99))] / 1000.0
                res["reload_max_ms"] = near[-1] / 1000.0
            if away:
                away.sort()
                res["calm_p99_ms"] = away[min(len(away) - 1, int(len(away) * 0.99))] / 1000.0
            res["reload_s"] = round(event_at[1] - event_at[0], 3)
        if lats:
            lats.sort()
            res["lat_p99_ms"] = lats[min(len(lats) - 1, int(len(lats) * 0.99))] / 1000.0
        res["transactions"] = ntx
        if pid:
            res["cpu_s_per_1k_tx"] = (cpu1 - cpu0) / ntx * 1000.0
            res["syscalls_per_tx"] = syscalls / ntx if syscalls is not None else None
        res["status"] = "ok"
        if not self.args.keep:
            shutil.rmtree(logdir, ignore_errors=True)
        return res

    def takeover(self, target):
        """An online restart of target under load: `pooler -R` or PgBouncer's `-R`, same
        config. The new process replaces the old in self.procs. Returns (start, end) times."""
        binary = self.args.pooler if target == "pooler" else shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        old = self.procs[target]
        t0 = time.time()
        logf = open(f"{self.tmp}/{target}.log", "ab")
        new = subprocess.Popen(AS_TEST_USER + [binary, "-R", f"{self.tmp}/{target}.ini"],
                               stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        try:
            old.wait(timeout=120)
        except subprocess.TimeoutExpired:
            new.kill()
            raise RuntimeError(f"{target} takeover did not finish; log:\n" + self.tail_log(target))
        t1 = time.time()
        if new.poll() is not None:
            raise RuntimeError(f"{target} -R exited; log:\n" + self.tail_log(target))
        self.procs[target] = new
        return (t0, t1)

    # ---- workloads -------------------------------------------------------------------------
    def open_idle_clients(self, target, n):
        """n logged-in idle clients held by the idle_clients helper: (helper, ok, failed), or
        (None, 0, error text). Close the helper's stdin to let them go."""
        conninfo = f"host=127.0.0.1 port={self.ports[target]} user={USER} dbname={DB} password={PASSWORD}"
        # self.env carries PGSSLMODE=disable: without it libpq prefers TLS, which both poolers
        # offer for workload t, and idle clients would measure TLS logins and memory (and
        # could not move in a takeover).
        helper = subprocess.Popen([self.args.idle_helper, conninfo, str(n)], env=self.env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = None
        deadline = time.time() + 900
        while time.time() < deadline and helper.poll() is None:
            rl, _, _ = select.select([helper.stdout], [], [], 1)
            if rl:
                ready = helper.stdout.readline().split()
                break
        if not ready or ready[0] != "ready":
            helper.kill()
            helper.wait()
            return None, 0, helper.stderr.read().strip()[:200]
        return helper, int(ready[1]), int(ready[2])

    def takeover_run(self, target, wargs, idle, seconds):
        """(r): pgbench with `idle` idle clients beside it; the takeover runs halfway."""
        helper, ok, failed = self.open_idle_clients(target, idle)
        if helper is None:
            return dict(status="failed", error=f"idle helper: {failed}")
        try:
            res = self.pgbench(target, wargs, seconds, dict(idle_ok=ok, idle_failed=failed),
                               during=self.takeover)
        except RuntimeError as e:
            res = dict(status="failed", error=str(e)[:200])
        helper.stdin.close()
        helper.wait(timeout=120)
        if failed:
            res.update(status="failed", error=f"{failed} of {idle} idle logins failed")
        return res

    def idle_run(self, target, n, seconds):
        """(g): restart the target fresh, open n idle clients, then 20 active pgbench clients."""
        self.stop_pooler(target)
        self.start_pooler(target)
        self.pgbench(target, ["-S", "-c", "20"], 1)  # fills the server pool
        pid = self.pid(target)
        rss0, cpu0 = rss_kib(pid), cpu_seconds(pid)
        t0 = time.time()
        helper, ok, failed = self.open_idle_clients(target, n)
        if helper is None:
            return dict(status="failed", error=f"idle helper: {failed}")
        connect_s = time.time() - t0
        time.sleep(0.5)
        rss1, cpu1 = rss_kib(pid), cpu_seconds(pid)
        extra = dict(idle_ok=ok, idle_failed=failed, idle_connect_s=round(connect_s, 2))
        if ok:
            extra["rss_kib_per_idle_client"] = (rss1 - rss0) / ok
            extra["login_cpu_ms"] = (cpu1 - cpu0) / ok * 1000.0
        res = self.pgbench(target, ["-S", "-M", "simple", "-c", "20"], seconds, extra)
        helper.stdin.close()
        helper.wait(timeout=120)
        err = helper.stderr.read().strip()
        if failed:
            res.update(status="failed", error=f"{failed} of {n} idle logins failed: {err[:150]}")
        return res

    def psql_direct(self, *commands):
        """Runs SQL on the throwaway PostgreSQL as its superuser, over its Unix socket."""
        args = ["psql", "-qXAt", "-h", self.tmp, "-p", str(self.pg_port), "-U", "postgres", "-d", DB]
        for c in commands:
            args += ["-c", c]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()

    def copy_run(self, target):
        """(i): one COPY FROM STDIN of COPY_BYTES through target (psql's \\copy), timed."""
        path = f"{self.tmp}/copy.data"
        if not os.path.exists(path):
            row = "x" * (COPY_ROW_BYTES - 8) + "\n"
            with open(path, "w") as f:
                for i in range(COPY_BYTES // COPY_ROW_BYTES):
                    f.write(f"{i % 1000000:06d}\t{row}")
            os.chmod(path, 0o644)
            self.psql_direct("CREATE UNLOGGED TABLE IF NOT EXISTS copybench (id int, pad text)",
                             f"GRANT ALL ON copybench TO {USER}")
        self.psql_direct("TRUNCATE copybench")
        size = os.path.getsize(path)
        pid = self.pid(target)
        cpu0 = cpu_seconds(pid) if pid else None
        t0 = time.time()
        r = subprocess.run(["psql", "-qX", "-h", "127.0.0.1", "-p", str(self.ports[target]), "-U", USER, DB,
                            "-c", f"\\copy copybench FROM '{path}'"],
                           env=self.env, capture_output=True, text=True, timeout=600)
        wall = time.time() - t0
        if r.returncode != 0:
            return dict(status="failed", error=(r.stderr.strip() or "psql failed")[:200])
        res = dict(status="ok", tps=1.0 / wall, lat_mean_ms=wall * 1000.0, mb_per_s=size / wall / 1e6,
                   transactions=1)
        if pid:
            res["cpu_s_per_1k_tx"] = (cpu_seconds(pid) - cpu0) * 1000.0  # per 1000 COPYs
        return res

    def scram_login_run(self, target, n):
        """(l): CPU per login when userlist.txt holds PostgreSQL's SCRAM secret instead of
        the password. The target restarts on that file, and again on the plain one after."""
        secret = self.psql_direct(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{USER}'")
        userlist = f"{self.tmp}/userlist.txt"
        self.stop_pooler(target)
        with open(userlist, "w") as f:
            f.write(f'"{USER}" "{secret}"\n')
        try:
            self.start_pooler(target)
            pid = self.pid(target)
            cpu0 = cpu_seconds(pid)
            helper, ok, failed = self.open_idle_clients(target, n)
            if helper is None:
                return dict(status="failed", error=f"idle helper: {failed}")
            cpu1 = cpu_seconds(pid)
            helper.stdin.close()
            helper.wait(timeout=120)
            if failed or not ok:
                return dict(status="failed", error=f"{failed} of {n} logins failed")
            return dict(status="ok", login_cpu_ms=(cpu1 - cpu0) / ok * 1000.0, idle_ok=ok)
        finally:
            self.stop_pooler(target)
            with open(userlist, "w") as f:
                f.write(f'"{USER}" "{PASSWORD}"\n')
            self.start_pooler(target)

    def workloads(self):
        a = self.args
        script = f"{self.tmp}/bigresult.sql"
        with open(script, "w") as f:
            f.write("SELECT generate_series(1,100000);\n")
        w = [
            ("a", "select-only simple c50", ["-S", "-M", "simple", "-c", "50"]),
            ("b", "select-only extended c50", ["-S", "-M", "extended", "-c", "50"]),
            ("c", "tpcb-like c20", ["-M", "simple", "-c", "20"]),
            ("d", "churn -S -C c20", ["-S", "-C", "-c", "20"]),
            ("e", "select-only prepared c50", ["-S", "-M", "prepared", "-c", "50"]),
            ("f", "select-only simple c20=pool", ["-S", "-M", "simple", "-c", "20"]),
            ("g1000", "1000 idle + 20 active", 1000),
        ]
        if not a.quick:
            w.append(("g10000", "10000 idle + 20 active", 10000))
        w.append(("h", "100k-row result c4", ["-f", script, "-c", "4"]))
        w.append(("t", "a over client TLS", ["-S", "-M", "simple", "-c", "50"]))
        w.append(("i", f"{COPY_BYTES // 1000000} MB COPY FROM STDIN", None))
        w.append(("l", "logins, SCRAM secret in userlist", 100 if a.quick else 500))
        # The cost of keeping the fd store and the crash-safe state exact at every boundary.
        w.append(("s", "a with fd store + state on", ["-S", "-M", "simple", "-c", "50"]))
        # c20 = pool size: PgBouncer's SUSPEND cannot finish while clients queue for a server.
        idle = 100 if a.quick else 1000
        w.append(("r", f"takeover (-R): -S c20 + {idle} idle", ["-S", "-M", "simple", "-c", "20"]))
        # The same at a fixed rate that leaves the CPUs headroom: latency then shows what the
        # takeover adds, not the run queue of a saturated machine. With -R, pgbench counts
        # latency from each transaction's scheduled start, so a pause delays every
        # transaction due during it (no coordinated omission).
        w.append(("p", f"takeover (-R), paced {PACED_TPS} tps + {idle} idle",
                  ["-S", "-M", "simple", "-c", "20", "-R", str(PACED_TPS)]))
        if a.workloads:
            keep = set(a.workloads.split(","))
            w = [x for x in w if x[0] in keep or x[0].rstrip("0123456789") in keep]
        return w

    def run(self):
        a = self.args
        self.start_postgres()
        self.write_configs()
        for name in ("pooler", "pgbouncer"):
            self.start_pooler(name)
        log(f"pooler on :{self.pooler_port}, PgBouncer on :{self.pgb_port}; "
            f"perf syscall counts: {'on' if self.perf else 'n/a'}")
        log("warm-up")
        for t in TARGETS:
            self.pgbench(t, ["-S", "-c", "20"], a.warmup)
        for wi, (wid, desc, wargs) in enumerate(self.workloads()):
            reps = 1 if wid == "g10000" else a.reps
            targets = ["pooler", STORE_TARGET] if wid == "s" else TARGETS
            if wid == "f" and self.args.relay:
                targets = TARGETS + [RELAY_TARGET]
                if RELAY_TARGET not in self.procs:
                    self.start_relay()
                    self.pgbench(RELAY_TARGET, ["-S", "-c", "20"], a.warmup)
            if wid == "s" and STORE_TARGET not in self.procs:
                self.start_pooler(STORE_TARGET)
                self.pgbench(STORE_TARGET, ["-S", "-c", "20"], a.warmup)
            for rep in range(reps):
                order = list(targets) if (wi + rep) % 2 == 0 else list(reversed(targets))
                for t in order:
                    if wid == "i":
                        res = self.copy_run(t)
                    elif wid == "l":
                        if t == "direct":
                            continue  # PostgreSQL's own login cost is not a pooler's
                        res = self.scram_login_run(t, wargs)
                    elif isinstance(wargs, int):
                        if t == "direct":
                            continue  # PostgreSQL cannot hold thousands of idle backends cheaply
                        res = self.idle_run(t, wargs, a.time)
                    elif wid == "t":
                        if t == "direct":
                            continue  # the throwaway PostgreSQL runs without TLS
                        res = self.pgbench(t, wargs, a.time, env={"PGSSLMODE": "require"})
                    elif wid == "p" and t == "direct":
                        # The baseline: the same paced load straight to PostgreSQL, with
                        # nothing restarted, shows the latency this machine gives on its own.
                        res = self.pgbench(t, wargs, a.time)
                    elif wid in ("r", "p"):
                        if t == "direct":
                            continue  # nothing to restart
                        res = self.takeover_run(t, wargs, 100 if a.quick else 1000, a.time)
                    else:
                        if wid == "c":
                            # What pgbench does without -n: every target starts from the same
                            # tables. Without it, dead rows in the 10 branch and 100 teller rows
                            # pile up run by run, and whoever runs later pays for them.
                            self.psql_direct("VACUUM pgbench_branches", "VACUUM pgbench_tellers",
                                             "TRUNCATE pgbench_history")
                        res = self.pgbench(t, wargs, a.time)
                    if wid == "h" and res.get("tps"):
                        res["mb_per_s"] = res["tps"] * RESULT_BYTES / 1e6
                    res.update(workload=wid, desc=desc, target=t, rep=rep + 1)
                    self.rows.append(res)
                    if res.get("status") == "failed":
                        brief = f"FAILED: {res.get('error', '')}"
                    elif wid == "i":
                        brief = f"{res['mb_per_s']:.0f} MB/s"
                    elif wid == "l":
                        brief = f"login cpu {res['login_cpu_ms']:.3f} ms"
                    else:
                        brief = f"tps {res['tps']:.0f}" if res.get("tps") else f"FAILED: {res.get('error', '')}"
                    print(f"    {wid:7} rep {rep + 1} {t:9} {brief}", flush=True)
                    if t in self.procs and self.procs[t].poll() is not None:
                        raise RuntimeError(f"{t} died during {wid}; log:\n" + self.tail_log(t))

    # ---- report ----------------------------------------------------------------------------
    def report(self, out):
        os.makedirs(out, exist_ok=True)
        fields = ["workload", "desc", "target", "rep", "status", "tps", "lat_mean_ms", "lat_p99_ms",
                  "cpu_s_per_1k_tx", "syscalls_per_tx", "rss_kib_per_idle_client", "login_cpu_ms",
                  "mb_per_s", "reload_max_gap_ms", "reload_p99_ms", "calm_max_gap_ms", "reload_max_ms", "calm_p99_ms",
                  "reload_s", "transactions",
                  "idle_ok",
                  "idle_failed", "idle_connect_s", "error"]
        with open(f"{out}/results.csv", "w", newline="") as f:
            wr = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            wr.writeheader()
            for r in self.rows:
                wr.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})

        wids = list(dict.fromkeys(r["workload"] for r in self.rows))
        descs = {r["workload"]: r["desc"] for r in self.rows}

        def get(wid, t):
            return [r for r in self.rows if r["workload"] == wid and r["target"] == t]

        def ratio(wid, key, num="pooler", den="pgbouncer"):
            rs = []
            for rep in sorted({r["rep"] for r in self.rows if r["workload"] == wid}):
                a = [r.get(key) for r in get(wid, num) if r["rep"] == rep]
                b = [r.get(key) for r in get(wid, den) if r["rep"] == rep]
                if a and b and a[0] is not None and b[0]:
                    rs.append(a[0] / b[0])
            return median(rs)

        metrics = [("tps", "tps", "{:.0f}"), ("lat_mean_ms", "mean ms", "{:.2f}"), ("lat_p99_ms", "p99 ms", "{:.2f}"),
                   ("cpu_s_per_1k_tx", "cpu s/1k tx", "{:.4f}"), ("syscalls_per_tx", "syscalls/tx", "{:.2f}")]
        fmt = lambda v, f: "-" if v is None else f.format(v)
        lines = []
        hdr = f"{'workload':34} {'target':10} " + " ".join(f"{h:>12}" for _, h, _ in metrics) + "  extra"
        lines += [hdr, "-" * len(hdr)]
        summary = []
        chart = []
        for wid in wids:
            crow = [wid]
            for t in TARGETS + [STORE_TARGET, RELAY_TARGET]:
                rs = get(wid, t)
                if not rs:
                    if t in TARGETS:
                        crow.append("-")
                    continue
                ok = [r for r in rs if r.get("status") == "ok"]
                med = {k: median([r.get(k) for r in ok]) for k in
                       [m[0] for m in metrics] + ["rss_kib_per_idle_client", "login_cpu_ms", "mb_per_s",
                                                  "reload_max_gap_ms", "reload_p99_ms", "calm_max_gap_ms",
                                                  "reload_max_ms", "calm_p99_ms"]}
                extra = []
                if med["rss_kib_per_idle_client"] is not None:
                    extra.append(f"rss/idle client {med['rss_kib_per_idle_client']:.2f} KiB")
                if med["login_cpu_ms"] is not None:
                    extra.append(f"login cpu {med['login_cpu_ms']:.2f} ms")
                if med["mb_per_s"] is not None:
                    extra.append(f"{med['mb_per_s']:.0f} MB/s")
                if med["reload_max_gap_ms"] is not None:
                    extra.append(f"takeover: largest gap {med['reload_max_gap_ms']:.1f} ms "
                                 f"(away from it {med['calm_max_gap_ms'] or 0:.1f} ms), "
                                 f"p99 within 1 s of it {med['reload_p99_ms'] or 0:.1f} ms "
                                 f"(away from it {med['calm_p99_ms'] or 0:.1f} ms), "
                                 f"max within 1 s of it {med['reload_max_ms'] or 0:.1f} ms")
                if len(ok) < len(rs):
                    extra.append(f"FAILED {len(rs) - len(ok)}/{len(rs)}: {[r for r in rs if r.get('status') != 'ok'][0].get('error', '')[:90]}")
                status = "ok" if len(ok) == len(rs) else ("failed" if not ok else "partly failed")
                if t == "direct":
                    med["cpu_s_per_1k_tx"] = med["syscalls_per_tx"] = None
                lines.append(f"{wid + ' ' + descs[wid]:34} {t:10} " +
                             " ".join(f"{fmt(med[k], f):>12}" for k, _, f in metrics) + "  " + "; ".join(extra))
                summary.append(dict(workload=wid, desc=descs[wid], target=t, status=status, reps=len(rs),
                                    **{k: (round(v, 6) if v is not None else None) for k, v in med.items()}))
                if t in TARGETS:
                    crow.append(f"{med['tps']:.1f}" if med["tps"] else "-")
            chart.append(crow)
            rat = {k: ratio(wid, k) for k, _, _ in metrics}
            extra = []
            if wid == "s":
                rat = {k: ratio(wid, k, STORE_TARGET, "pooler") for k, _, _ in metrics}
                on = median([r.get("cpu_s_per_1k_tx") for r in get(wid, STORE_TARGET) if r.get("status") == "ok"])
                off = median([r.get("cpu_s_per_1k_tx") for r in get(wid, "pooler") if r.get("status") == "ok"])
                if on is not None and off is not None:
                    extra.append(f"state cost {(on - off) * 1000:+.1f} us/tx (store on/off row)")
            if get(wid, RELAY_TARGET):
                # The floor: what moving the bytes alone costs, against each pooler.
                for num, den, label in (("relay", "pgbouncer", "relay/pgb cpu"),
                                        ("pooler", "relay", "pooler/relay cpu")):
                    v = ratio(wid, "cpu_s_per_1k_tx", num, den)
                    if v is not None:
                        extra.append(f"{label} {v:.2f}x")
            for k, label in (("rss_kib_per_idle_client", "rss"), ("login_cpu_ms", "login cpu"),
                             ("reload_max_gap_ms", "takeover gap")):
                v = ratio(wid, k)
                if v is not None:
                    extra.append(f"{label} {v:.2f}x")
            if any(v is not None for v in rat.values()) or extra:
                if "direct" in [r["target"] for r in self.rows if r["workload"] == wid]:
                    d = ratio(wid, "tps", "pooler", "direct")
                    if d is not None:
                        extra.append(f"pooler/direct tps {d:.2f}x")
                    d = ratio(wid, "tps", "pgbouncer", "direct")
                    if d is not None:
                        extra.append(f"pgbouncer/direct tps {d:.2f}x")
                lines.append(f"{'':34} {'on/off' if wid == 's' else 'pooler/pgb':10} " +
                             " ".join(f"{fmt(rat[k], '{:.2f}x'):>12}" for k, _, _ in metrics) + "  " + "; ".join(extra))
                summary.append(dict(workload=wid, desc=descs[wid], target="ratio pooler/pgbouncer (median of per-rep)",
                                    **{k: (round(v, 4) if v is not None else None) for k, v in rat.items()}))
        table = "\n".join(lines)
        print("\n" + table)
        with open(f"{out}/table.txt", "w") as f:
            f.write(table + "\n")
        sfields = ["workload", "desc", "target", "status", "reps"] + [m[0] for m in metrics] + \
                  ["rss_kib_per_idle_client", "login_cpu_ms", "mb_per_s", "reload_max_gap_ms", "reload_p99_ms",
                   "calm_max_gap_ms", "reload_max_ms", "calm_p99_ms"]
        with open(f"{out}/summary.csv", "w", newline="") as f:
            wr = csv.DictWriter(f, fieldnames=sfields, extrasaction="ignore")
            wr.writeheader()
            wr.writerows(summary)
        with open(f"{out}/tps.dat", "w") as f:
            f.write("# workload direct pooler pgbouncer\n")
            for crow in chart:
                f.write(" ".join(crow) + "\n")
        if shutil.which("gnuplot"):
            gp = f"""set terminal pngcairo size 1100,600 noenhanced
set output '{out}/tps.png'
set title 'tps per workload (median of reps; log scale; missing bar = failed or not run)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set datafile missing '-'
set logscale y
set yrange [1:*]
set ylabel 'transactions per second'
set grid ytics
set key below horizontal
plot '{out}/tps.dat' using 2:xtic(1) title 'direct PostgreSQL', '' using 3 title 'pooler', '' using 4 title 'PgBouncer 1.18'
"""
            r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
            if r.returncode != 0:
                # pngcairo is missing from some gnuplot builds; the plain png terminal is not.
                r = subprocess.run(["gnuplot"], input=gp.replace("pngcairo", "png"), text=True, capture_output=True)
            if r.returncode != 0:
                print(f"gnuplot failed: {r.stderr.strip()}")
        print(f"\nresults: {out}/results.csv (every rep), summary.csv, table.txt, tps.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--time", type=int, help="seconds per pgbench run (default 10, quick 3)")
    ap.add_argument("--reps", type=int, help="repetitions per workload (default 3, quick 1)")
    ap.add_argument("--scale", type=int, help="pgbench scale (default 10, quick 1)")
    ap.add_argument("--workloads", help="comma-separated subset, e.g. a,b,g")
    ap.add_argument("--pooler", required=True)
    ap.add_argument("--idle-helper", required=True)
    ap.add_argument("--relay", help="bench/tcp_relay binary: the floor beside workload f")
    ap.add_argument("--no-perf", action="store_true")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir: the processes' logs and pgbench's transaction logs")
    a = ap.parse_args()
    a.time = a.time or (3 if a.quick else 10)
    a.reps = a.reps or (1 if a.quick else 3)
    a.scale = a.scale or (1 if a.quick else 10)
    a.warmup = 1 if a.quick else 3
    a.out = a.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                  time.strftime("%Y%m%d-%H%M%S") + ("-quick" if a.quick else ""))
    b = Bench(a)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    t0 = time.time()
    rc = 0
    try:
        b.run()
    except Exception as e:  # report what was measured so far, then fail
        print(f"bench: {e}", file=sys.stderr)
        rc = 1
    finally:
        b.cleanup()
    if b.rows:
        b.report(a.out)
    print(f"bench finished in {time.time() - t0:.0f}s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
