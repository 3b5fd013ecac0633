"""HAProxy: the configuration checks, and every backend is UP; a reload that cannot take effect fails the
run while the old configuration keeps serving; Galera has one writer at a time through fail-over and back."""

import json
import threading
import uuid

from conftest import backends, wait_until


def test_configuration_passes_haproxy_check(groups, node):
    lb = node(groups["haproxy"][0])
    out = lb.run("haproxy -c -f /etc/haproxy/haproxy.cfg")
    assert out.rc == 0, out.stdout + out.stderr
    config = lb.file("/etc/haproxy/haproxy.cfg")
    assert config.mode == 0o640
    assert "stats socket /run/haproxy/admin.sock mode 660 level admin" in config.content_string


def test_every_galera_backend_is_up_and_only_the_first_takes_writes(groups, node, py):
    lb = groups["haproxy"][0]
    assert wait_until(lambda: all(v == "UP" for v in backends(py, lb).values()), timeout=30)
    state = backends(py, lb)
    assert {k[1] for k in state if k[0] == "galera"} == set(groups["galera"])
    config = node(lb).file("/etc/haproxy/haproxy.cfg").content_string
    first, *others = groups["galera"]
    assert [l for l in config.splitlines() if "server %s " % first in l][0].count(" backup") == 0
    for name in others:
        assert [l for l in config.splitlines() if "server %s " % name in l][0].endswith(" backup")


def test_mariadb_answers_through_the_load_balancer(groups, address, py):
    lb = groups["haproxy"][0]
    code = (
        "import socket\n"
        "s = socket.create_connection((%r, 3306), timeout=5)\n"
        "print(s.recv(1024).decode(errors='replace'))\n" % address(lb)
    )
    assert "MariaDB" in py(lb, code).stdout


def test_stats_page_needs_the_password(groups, py):
    lb = groups["haproxy"][0]
    code = (
        "import urllib.request, urllib.error, base64\n"
        "def get(auth=None):\n"
        "    r = urllib.request.Request('http://127.0.0.1:8404/')\n"
        "    if auth: r.add_header('Authorization', 'Basic ' + base64.b64encode(auth.encode()).decode())\n"
        "    try:\n"
        "        return urllib.request.urlopen(r, timeout=5).status\n"
        "    except urllib.error.HTTPError as e:\n"
        "        return e.code\n"
        "print(get(), get('admin:wrong'), get('admin:lab-stats-password'))\n"
    )
    assert py(lb, code).stdout.split() == ["401", "401", "200"]


def test_a_stopped_member_is_taken_out_and_writes_move_to_a_backup(groups, node, py, address):
    lb = groups["haproxy"][0]
    first = groups["galera"][0]
    node(first).check_output("systemctl stop galera-clustercheck.socket")
    try:
        assert wait_until(lambda: backends(py, lb)[("galera", first)].startswith("DOWN"), timeout=30)
        code = (
            "import socket\n"
            "s = socket.create_connection((%r, 3306), timeout=5)\n"
            "print(s.recv(1024).decode(errors='replace'))\n" % address(lb)
        )
        assert "MariaDB" in py(lb, code).stdout
    finally:
        node(first).check_output("systemctl start galera-clustercheck.socket")
    assert wait_until(lambda: backends(py, lb)[("galera", first)] == "UP", timeout=30)


# A reload HAProxy cannot carry out: haproxy -c passes, the bind fails.

PROBE_PORT = 3399
HOLDER = "filesync-test-port-holder"
# The lab's Galera service plus one that binds the load balancer's address on PROBE_PORT.
WITH_PROBE = {"haproxy_services": "{{ [filesync_haproxy_galera, {'name': 'probe', 'mode': 'tcp', 'port': galera_port | int, "
                                  "'bind': [filesync_address ~ ':%d'], 'servers_group': 'galera'}] }}" % PROBE_PORT}


def galera_answers(py, lb, lb_address):
    code = (
        "import socket\n"
        "s = socket.create_connection((%r, 3306), timeout=5)\n"
        "print(s.recv(1024).decode(errors='replace'))\n" % lb_address
    )
    return "MariaDB" in py(lb, code).stdout


def listens(py, host, host_address, port):
    code = "import socket\ntry:\n    socket.create_connection((%r, %d), timeout=2).close(); print('yes')\nexcept OSError:\n    print('no')\n" % (
        host_address, port)
    return py(host, code).stdout.strip() == "yes"


def test_a_reload_whose_bind_fails_fails_the_run_and_the_old_configuration_keeps_serving(playbook, groups, node, py, address):
    lb = groups["haproxy"][0]
    lb_address = address(lb)
    holder = ("import socket, time\ns = socket.socket()\ns.bind((%r, %d))\ns.listen()\ntime.sleep(3600)\n"
              % (lb_address, PROBE_PORT))
    node(lb).check_output("systemd-run --quiet --unit=%s python3 -c %s", HOLDER, holder)
    try:
        assert wait_until(lambda: listens(py, lb, lb_address, PROBE_PORT), timeout=30)
        rc, output, recap = playbook("haproxy.yml", extra_vars=WITH_PROBE)
        text = " ".join(output.split()).replace("''", "'")
        assert rc != 0 and recap[lb]["failed"] == 1, output[-3000:]
        assert "HAProxy did not load the new configuration" in text, output[-3000:]
        assert "the previous configuration still serves" in text, output[-3000:]
        assert "bind %s:%d of 'probe': port %d is held by python3" % (lb_address, PROBE_PORT, PROBE_PORT) in text, output[-3000:]
        # The file is the new one (haproxy -c accepted it), the running configuration the old one.
        assert "listen probe" in node(lb).file("/etc/haproxy/haproxy.cfg").content_string
        assert not [k for k in backends(py, lb) if k[0] == "probe"]
        assert wait_until(lambda: all(v == "UP" for k, v in backends(py, lb).items() if k[0] == "galera"), timeout=30)
        assert galera_answers(py, lb, lb_address)

        # The port is free again: the next run, with the same file, reloads again (the last reload had failed).
        node(lb).check_output("systemctl stop %s" % HOLDER)
        rc, output, recap = playbook("haproxy.yml", extra_vars=WITH_PROBE)
        assert rc == 0, output[-3000:]
        assert recap[lb]["changed"] >= 1, output[-3000:]
        assert [k for k in backends(py, lb) if k[0] == "probe"]
        assert galera_answers(py, lb, lb_address)
    finally:
        node(lb).run("systemctl stop %s" % HOLDER)
        node(lb).run("systemctl reset-failed %s" % HOLDER)
        rc, output, recap = playbook("haproxy.yml")
        assert rc == 0, output[-3000:]
    assert not [k for k in backends(py, lb) if k[0] == "probe"]
    assert galera_answers(py, lb, lb_address)


# One writer at a time: writes go on through the load balancer while the writer is taken out and comes back.

WRITER_STOP = "/tmp/filesync-test-writer.stop"
# Three clients that keep their connection (an application's pool) and one that connects for every write;
# each writes a row naming the member that executed it, at that member's clock (one host clock: containers).
WRITER = """
import json, os, sys, threading, time
import pymysql
lb, user, password, run = sys.argv[1:5]
deadline = time.time() + 300
counts = {"ok": 0, "errors": 0}
lock = threading.Lock()

def write(conn, client):
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO verify.writes (run, client, member, at) VALUES (%s, %s, @@hostname, SYSDATE(6))", (run, client))

def connect():
    return pymysql.connect(host=lb, port=3306, user=user, password=password, autocommit=True,
                           connect_timeout=5, read_timeout=5, write_timeout=5)

def client(number, keep):
    conn = None
    while not os.path.exists(STOP) and time.time() < deadline:
        try:
            if conn is None:
                conn = connect()
            write(conn, number)
            with lock:
                counts["ok"] += 1
            if not keep:
                conn.close()
                conn = None
        except pymysql.MySQLError:
            with lock:
                counts["errors"] += 1
            try:
                conn.close()
            except Exception:
                pass
            conn = None
            time.sleep(0.1)
        time.sleep(0.05)

threads = [threading.Thread(target=client, args=(n, n < 3)) for n in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(counts))
""".replace("STOP", repr(WRITER_STOP))


def sql(host, statement):
    return host.check_output("mariadb --batch --skip-column-names --execute %s", statement)


def test_galera_has_one_writer_through_fail_over_and_back(groups, node, py, address):
    lb = groups["haproxy"][0]
    first, second = groups["galera"][0], groups["galera"][1]
    client = groups["galera"][-1]
    hostname = {name: sql(node(name), "SELECT @@hostname").strip() for name in groups["galera"]}
    run, password = uuid.uuid4().hex, uuid.uuid4().hex
    user = "filesync_writer_test"
    sql(node(first), "CREATE DATABASE IF NOT EXISTS verify; "
                     "CREATE TABLE IF NOT EXISTS verify.writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, run CHAR(32), "
                     "client INT, member VARCHAR(255), at DATETIME(6)); "
                     "CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s'; "
                     "GRANT INSERT, SELECT ON verify.* TO '%s'@'%s'" % (user, address(lb), password, user, address(lb)))
    node(client).run("rm -f %s" % WRITER_STOP)
    result = {}

    def writer():
        result["out"] = node(client).run("python3 -c %s %s %s %s %s", WRITER, address(lb), user, password, run)

    def rows(name):
        return int(sql(node(first), "SELECT COUNT(*) FROM verify.writes WHERE run = '%s' AND member = '%s'"
                       % (run, hostname[name])).strip())

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert wait_until(lambda: rows(first) > 50, timeout=60)
        # The writer's health check fails: HAProxy marks it down, cuts its connections, the first backup takes over.
        node(first).check_output("systemctl stop galera-clustercheck.socket")
        try:
            assert wait_until(lambda: backends(py, lb)[("galera", first)].startswith("DOWN"), timeout=30)
            assert wait_until(lambda: rows(second) > 50, timeout=60)
        finally:
            node(first).check_output("systemctl start galera-clustercheck.socket")
        # Back up: HAProxy cuts the backup's connections, and every client follows the writer back.
        assert wait_until(lambda: backends(py, lb)[("galera", first)] == "UP", timeout=30)
        back = rows(first)
        assert wait_until(lambda: rows(first) > back + 100, timeout=60)
    finally:
        node(client).run("touch %s" % WRITER_STOP)
        thread.join(120)
    out = result["out"]
    assert out.rc == 0, out.stderr
    counts = json.loads(out.stdout)
    members = sql(node(first), "SELECT member FROM verify.writes WHERE run = '%s' ORDER BY at, id" % run).split()
    blocks = [members[0]]
    for member in members[1:]:
        if member != blocks[-1]:
            blocks.append(member)
    per_member = {m: members.count(m) for m in set(members)}
    # Writer, first backup, writer again: never two members taking writes at the same time.
    assert blocks == [hostname[first], hostname[second], hostname[first]], (blocks[:20], per_member, counts)
    sql(node(first), "DELETE FROM verify.writes WHERE run = '%s'; DROP USER IF EXISTS '%s'@'%s'" % (run, user, address(lb)))
