"""haproxy_reload_status against a real HAProxy in master-worker mode (Debian's haproxy, as its unit runs it:
-W with a master CLI socket), on 127.0.0.1 and free ports: a reload that took effect passes, one that left
the old worker serving (a port another process holds, an address not on the host) fails naming both binds,
and stays pending until a reload succeeds."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from ansible_collections.filesync.cluster.plugins.modules import haproxy_reload_status as module

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

CONFIG = """global
    maxconn 100
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen galera
    bind 127.0.0.1:{port}
    server member1 127.0.0.1:9 check
{extra}"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Master:
    def __init__(self, base):
        assert os.path.exists(HAPROXY), "haproxy is missing: apt-get install haproxy (make unit does)"
        self.base, self.port = base, free_port()
        self.socket, self.config = os.path.join(base, "master.sock"), os.path.join(base, "haproxy.cfg")
        self.write("")
        self.log = open(os.path.join(base, "log"), "w")
        self.process = subprocess.Popen([HAPROXY, "-W", "-S", self.socket, "-f", self.config], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            assert self.process.poll() is None, open(os.path.join(base, "log")).read()
            try:
                if "worker" in module.ask(self.socket, "show proc"):
                    break
            except module.Unanswered:
                pass
            assert time.time() < deadline, open(os.path.join(base, "log")).read()
            time.sleep(0.05)

    def write(self, extra):
        with open(self.config, "w") as out:
            out.write(CONFIG.format(port=self.port, extra=extra))

    def reload(self):
        """What ExecReload of Debian's unit does after haproxy -c: SIGUSR2 to the master."""
        os.kill(self.process.pid, signal.SIGUSR2)

    def stop(self):
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


@pytest.fixture
def master():
    base = tempfile.mkdtemp(prefix="filesync-haproxy-mw-")
    running = Master(base)
    yield running
    running.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_reads_the_master_and_a_fresh_worker(run_module, master):
    result = run_module(module, dict(master_socket=master.socket))
    assert result["changed"] is False and result["pending"] is False
    assert result["status"]["master"] == master.process.pid
    assert len(result["status"]["workers"]) == 1 and result["status"]["workers"][0]["reloads"] == 0


def test_a_reload_that_took_effect_passes(run_module, master):
    before = run_module(module, dict(master_socket=master.socket))["status"]
    master.write("listen other\n    bind 127.0.0.1:%d\n    server s 127.0.0.1:9\n" % free_port())
    master.reload()
    result = run_module(module, dict(master_socket=master.socket, since=before, timeout=30))
    assert not result.get("failed"), result
    assert result["pending"] is False and result["status"]["reloads"] == before["reloads"] + 1
    assert result["status"]["workers"][0]["pid"] != before["workers"][0]["pid"]


def test_a_reload_the_old_worker_survived_fails_naming_the_binds_and_stays_pending(run_module, master):
    held = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", held))
        holder.listen()
        before = run_module(module, dict(master_socket=master.socket))["status"]
        binds = [{"address": "127.0.0.1:%d" % master.port, "service": "galera"},
                 {"address": "127.0.0.1:%d" % held, "service": "probe"},
                 {"address": "192.0.2.1:%d ssl crt /x.pem" % held, "service": "far"}]
        master.write("listen probe\n    bind 127.0.0.1:%d\n    bind 192.0.2.1:%d\n    server s 127.0.0.1:9\n" % (held, held))
        master.reload()
        result = run_module(module, dict(master_socket=master.socket, since=before, binds=binds, timeout=30))
        assert result["failed"] is True and result["pending"] is True
        message = result["msg"]
        assert "HAProxy did not load the new configuration" in message
        assert "the previous configuration still serves (worker PID %d)" % before["workers"][0]["pid"] in message
        assert "bind 127.0.0.1:%d of 'probe': port %d is held by " % (held, held) in message and "(PID %d)" % os.getpid() in message
        assert "bind 192.0.2.1:%d of 'far': nothing listens there (is 192.0.2.1 an address of this host?)" % held in message
        assert "of 'galera'" not in message  # still served by the old worker
        assert "run the play again: it reloads HAProxy until a reload succeeds" in message
        # The next run sees the failed reload and reloads again.
        assert run_module(module, dict(master_socket=master.socket))["pending"] is True
    # The port is free again; the address is dropped: the next reload succeeds.
    master.write("listen probe\n    bind 127.0.0.1:%d\n    server s 127.0.0.1:9\n" % held)
    before = run_module(module, dict(master_socket=master.socket))["status"]
    master.reload()
    result = run_module(module, dict(master_socket=master.socket, since=before, binds=binds[:2], timeout=30))
    assert not result.get("failed"), result
    assert result["pending"] is False
    socket.create_connection(("127.0.0.1", held), timeout=5).close()  # the new worker listens there


def test_a_master_that_does_not_reload_in_time_fails(run_module, master):
    before = run_module(module, dict(master_socket=master.socket))["status"]
    result = run_module(module, dict(master_socket=master.socket, since=before, timeout=1))
    assert result["failed"] is True and "did not report the reload within 1 s" in result["msg"]


def test_check_mode_does_not_wait_for_a_reload(run_module, master):
    before = run_module(module, dict(master_socket=master.socket))["status"]
    result = run_module(module, dict(master_socket=master.socket, since=before, timeout=1), check_mode=True)
    assert not result.get("failed") and result["pending"] is False


def test_a_missing_master_socket_says_where_it_comes_from(run_module, tmp_path):
    result = run_module(module, dict(master_socket=str(tmp_path / "none.sock")))
    assert result["failed"] is True and 'EXTRAOPTS="-S /run/haproxy-master.sock"' in result["msg"]


def test_show_proc_with_old_workers_and_programs():
    text = ("#<PID>          <type>          <reloads>       <uptime>        <version>\n"
            "1162            master          5 [failed: 0]   0d00h02m07s     3.0.11\n"
            "# workers\n"
            "1271            worker          0               0d00h00m00s     3.0.11\n"
            "# old workers\n"
            "1233            worker          3               0d00h00m43s     3.0.11\n"
            "# programs\n"
            "1300            dataplane       1               0d00h00m43s     -\n")
    status = module.parse_proc(text)
    assert status == {"master": 1162, "reloads": 5, "failed": 0, "workers": [{"pid": 1271, "reloads": 0}],
                      "old_workers": [{"pid": 1233, "reloads": 3}]}
    assert module.pending(status) is False
    assert module.pending(dict(status, workers=[{"pid": 1233, "reloads": 4}])) is True
    assert module.pending(dict(status, workers=[])) is True


@pytest.mark.parametrize("text, parsed", [
    ("10.0.0.1:3306", (4, "10.0.0.1", 3306)),
    ("*:443 ssl crt /etc/haproxy/certs/x.pem", (4, None, 443)),
    (":80", (4, None, 80)),
    ("ipv6@:::80", (6, None, 80)),
    ("::1:8404", (6, "::1", 8404)),
    ("ipv4@127.0.0.1:1", (4, "127.0.0.1", 1)),
    ("unix@/run/x.sock", None),
    ("/run/x.sock", None),
    ("10.0.0.1:8000-8010", None),
])
def test_bind_addresses(text, parsed):
    out = module.parse_bind(text)
    assert (out if out is None else (out[0], out[1] and str(out[1]), out[2])) == parsed
