"""Cluster-level checks for the molecule scenarios and the lab.

The inventory (molecule's, or the lab's) gives the groups. A molecule node is
reached over SSH carried by `docker exec` (molecule/shared/inventory/ssh.cfg: one
connection per node for the whole session), a lab node with `docker exec`.
"""

import json
import os
import pathlib
import re
import shlex
import signal
import subprocess
import time
import uuid

import pytest
import status_rows
import testinfra
import yaml

PROJECT = pathlib.Path(__file__).resolve().parents[2]
SSH_CONFIG = PROJECT / "molecule" / "shared" / "inventory" / "ssh.cfg"


def _inventory_file():
    path = os.environ.get("MOLECULE_INVENTORY_FILE") or os.environ.get("FILESYNC_INVENTORY")
    if not path:
        path = str(PROJECT / "inventories" / "lab" / "hosts.yml")
    return pathlib.Path(path)


def _groups(node, name="all", out=None):
    out = {} if out is None else out
    hosts = list((node.get("hosts") or {}).keys())
    for child, sub in (node.get("children") or {}).items():
        _groups(sub or {}, child, out)
        hosts += out[child]
    out[name] = sorted(set(out.get(name, []) + hosts))
    return out


@pytest.fixture(scope="session")
def inventory_file():
    return _inventory_file()


@pytest.fixture(scope="session")
def groups(inventory_file):
    data = yaml.safe_load(inventory_file.read_text())
    out = {}
    # Groups may nest under all (the lab) or sit beside it (molecule).
    for name, sub in data.items():
        _groups(sub or {}, name, out)
    return out


@pytest.fixture(scope="session")
def node():
    cache = {}

    def get(name):
        if name not in cache:
            if os.environ.get("MOLECULE_INVENTORY_FILE"):
                cache[name] = testinfra.get_host("ssh://" + name, ssh_config=str(SSH_CONFIG))
            else:
                cache[name] = testinfra.get_host("docker://" + name)
        return cache[name]

    return get


@pytest.fixture(scope="session")
def address(node):
    def get(name):
        # The default route's source, as Ansible's default_ipv4 (a node that
        # runs Docker also has docker0's address).
        out = node(name).check_output("ip -4 -o route get 192.0.2.1")
        return re.search(r" src ([0-9.]+)", out).group(1)

    return get


@pytest.fixture(scope="session")
def py(node):
    """Run a Python snippet on a node and return its stdout."""

    def run(name, code, check=True):
        cmd = node(name).run("python3 -c %s", code)
        if check:
            assert cmd.rc == 0, cmd.stderr
        return cmd

    return run


# A tiny HTTP client for py(): call(method, url, body, cookie) -> (status, body, set-cookies).
HTTP = (
    "import json, sys, urllib.request, urllib.error\n"
    "def call(method, url, body=None, cookie=None, timeout=5):\n"
    "    req = urllib.request.Request(url, data=body, method=method)\n"
    "    if cookie: req.add_header('Cookie', cookie)\n"
    "    try:\n"
    "        r = urllib.request.urlopen(req, timeout=timeout)\n"
    "        return r.status, r.read().decode(errors='replace'), r.headers.get_all('Set-Cookie') or []\n"
    "    except urllib.error.HTTPError as e:\n"
    "        return e.code, e.read().decode(errors='replace'), []\n"
    "    except OSError as e:\n"
    "        return 0, str(e), []\n"
)


def http(py, host, script):
    """Run HTTP + script on host; the script prints JSON."""
    return json.loads(py(host, HTTP + script).stdout)


# HAProxy's view through its admin socket: (backend, server) -> status.
STAT = (
    "import socket\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "s.connect('/run/haproxy/admin.sock')\n"
    "s.sendall(b'show stat\\n')\n"
    "data = b''\n"
    "while True:\n"
    "    chunk = s.recv(65536)\n"
    "    if not chunk: break\n"
    "    data += chunk\n"
    "print(data.decode())\n"
)


def backends(py, lb):
    rows = [line.split(",") for line in py(lb, STAT).stdout.splitlines() if line and not line.startswith("#")]
    return {(r[0], r[1]): r[17] for r in rows if r[1] not in ("FRONTEND", "BACKEND")}


def galera_status(host):
    out = host.check_output(
        "mariadb --batch --skip-column-names --execute "
        "\"SELECT JSON_OBJECTAGG(LOWER(VARIABLE_NAME), VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS "
        "WHERE VARIABLE_NAME LIKE 'WSREP_%'\""
    )
    return json.loads(out)


ETCD_PKI = "/etc/etcd/pki"


def etcdctl_command(host, args, address="127.0.0.1"):
    """etcdctl on a member: over TLS with the member's own certificate when the role switched TLS on."""
    if host.file(ETCD_PKI + "/ca.crt").exists:
        return "etcdctl --endpoints=https://%s:2379 --cacert=%s/ca.crt --cert=%s/member.crt --key=%s/member.key %s" % (
            address, ETCD_PKI, ETCD_PKI, ETCD_PKI, args)
    return "etcdctl --endpoints=http://%s:2379 %s" % (address, args)


def etcdctl(host, args):
    return host.check_output(etcdctl_command(host, args))


# A packet capture on a node (AF_PACKET, every interface, both directions):
# the TCP payload of the given ports, appended to one file, until told to stop.
SNIFF = (
    "import os, socket, struct, sys\n"
    "path, ports = sys.argv[1], {int(p) for p in sys.argv[2].split(',')}\n"
    "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)\n"
    "s.settimeout(0.2)\n"
    "total = 0\n"
    "with open(path, 'wb') as out:\n"
    "    open(path + '.started', 'w').close()\n"
    "    while not os.path.exists(path + '.stop'):\n"
    "        try:\n"
    "            frame = s.recv(262144)\n"
    "        except socket.timeout:\n"
    "            continue\n"
    "        if frame[12:14] != b'\\x08\\x00' or frame[23] != 6:\n"
    "            continue\n"
    "        ip = frame[14:14 + struct.unpack('!H', frame[16:18])[0]]\n"
    "        tcp = ip[(ip[0] & 15) * 4:]\n"
    "        if not ports & set(struct.unpack('!HH', tcp[:4])):\n"
    "            continue\n"
    "        payload = tcp[(tcp[12] >> 4) * 4:]\n"
    "        out.write(payload)\n"
    "        total += len(payload)\n"
    "open(path + '.done', 'w').write(str(total))\n"
)


class Capture:
    """Capture the TCP payload of ports on a node while the with-block runs.

    After the block: .bytes (how much payload passed) and .holds(text)
    (whether it passed in clear)."""

    def __init__(self, host, ports):
        self.host, self.ports = host, ports
        self.path = "/root/capture-" + uuid.uuid4().hex[:8]
        self.bytes = None

    def __enter__(self):
        self.host.check_output("setsid python3 -c %s %s %s </dev/null >/dev/null 2>&1 &" % (
            shlex.quote(SNIFF), self.path, ",".join(str(p) for p in self.ports)))
        assert wait_until(lambda: self.host.file(self.path + ".started").exists, timeout=20, interval=0.5)
        return self

    def __exit__(self, *exc):
        self.host.check_output("touch %s.stop" % self.path)
        assert wait_until(lambda: self.host.file(self.path + ".done").exists, timeout=30, interval=0.5)
        self.bytes = int(self.host.file(self.path + ".done").content_string)
        return False

    def holds(self, text):
        return self.host.run("grep -a -q -F %s %s", text, self.path).rc == 0

    def remove(self):
        self.host.run("rm -f %s %s.started %s.stop %s.done" % ((self.path,) * 4))


def galera_whole(node, members, size=None):
    """A predicate for wait_until: every member Synced in the Primary component, the cluster of that size (default: the members)."""

    def check():
        try:
            states = [galera_status(node(n)) for n in members]
        except (AssertionError, ValueError):  # a member down, or still starting
            return False
        return all(s["wsrep_local_state_comment"] == "Synced" and s["wsrep_cluster_status"] == "Primary"
                   and s["wsrep_cluster_size"] == str(size or len(members)) for s in states)

    return check


def virtual_ip():
    """The memcached virtual IP of the Seafile scenario (its one definition: the inventory)."""
    path = PROJECT / "inventories/lab-seafile/group_vars/all/seafile.yml"
    return yaml.safe_load(path.read_text())["memcached_virtual_ip"]


class Load:
    """A shell command run on a node every 0.2 s while the with-block runs
    ($i counts the runs), each run recorded as "<time> ok|fail"; the block
    starts once one run succeeded. After it: .oks, .longest_outage (the
    longest time from a failed run to the next that succeeded, in seconds) and
    .errors (the commands' most frequent error lines)."""

    LOOP = (
        "i=0\n"
        "while [ ! -f {path}.stop ]; do\n"
        "  i=$((i+1))\n"
        "  if ( {command} ) >/dev/null 2>>{path}.err; then echo \"$(date +%s.%N) ok\"; else echo \"$(date +%s.%N) fail\"; fi >>{path}\n"
        "  sleep 0.2\n"
        "done\n"
    )

    def __init__(self, host, command):
        self.host, self.command = host, command
        self.path = "/root/load-" + uuid.uuid4().hex[:8]
        self.lines, self.errors = [], ""

    def __enter__(self):
        self.host.check_output("setsid bash -c %s </dev/null >/dev/null 2>&1 &"
                               % shlex.quote(self.LOOP.format(path=self.path, command=self.command)))
        assert wait_until(lambda: self.host.run("grep -c ' ok$' %s", self.path).stdout.strip() not in ("", "0"),
                          timeout=30), self.host.run("cat %s.err", self.path).stdout
        return self

    def __exit__(self, *exc):
        self.host.run("touch %s.stop", self.path)
        time.sleep(1)
        self.lines = self.host.check_output("cat %s", self.path).splitlines()
        self.errors = self.host.run("sort %s.err | uniq -c | sort -rn | head -5", self.path).stdout
        self.host.run("rm -f %s %s.stop %s.err", self.path, self.path, self.path)
        return False

    @property
    def oks(self):
        return sum(1 for line in self.lines if line.endswith(" ok"))

    @property
    def longest_outage(self):
        longest, first_fail = 0.0, None
        for line in self.lines:
            stamp, result = line.split()
            if result == "fail" and first_fail is None:
                first_fail = float(stamp)
            elif result == "ok" and first_fail is not None:
                longest, first_fail = max(longest, float(stamp) - first_fail), None
        return longest if first_fail is None else float("inf")


def wait_until(predicate, timeout=120, interval=1):
    deadline = time.time() + timeout
    while True:
        if predicate():
            return True
        if time.time() > deadline:
            return False
        time.sleep(interval)


def refused(result, message):
    """A preflight refusal: failed, said exactly this, and no host changed."""
    rc, output, recap = result
    assert rc != 0, output
    # The result callback prints a message as a YAML scalar: folded over
    # lines, and single-quoted with quotes doubled by ansible-core before 2.19.
    assert message in " ".join(output.split()).replace("''", "'"), output
    assert recap, output
    for host, counts in recap.items():
        assert counts["changed"] == 0, (host, output)


@pytest.fixture(scope="session")
def playbook(inventory_file, tmp_path_factory):
    """Run one of the collection's playbooks against the scenario's hosts.

    Returns (rc, output, recap) where recap maps host -> {ok, changed, failed...}.
    stop_at: a regular expression; the run is killed (as an operator's
    Ctrl-C or a lost controller would) as soon as a line of its output
    matches it.
    """
    inventory_dir = inventory_file.parent

    def run(name, extra_vars=None, extra_inventory=None, limit=None, tags=None, stop_at=None):
        cmd = [
            "ansible-playbook",
            str(PROJECT / "playbooks" / name),
            "-i",
            str(inventory_dir if os.environ.get("MOLECULE_INVENTORY_FILE") else inventory_file),
        ]
        if extra_inventory:
            path = tmp_path_factory.mktemp("inv") / "extra.yml"
            path.write_text(yaml.safe_dump(extra_inventory))
            cmd += ["-i", str(path)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if limit:
            cmd += ["--limit", limit]
        if tags:
            cmd += ["--tags", tags]
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
                   ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), FILESYNC_PROJECT_DIR=str(PROJECT))
        if stop_at:
            proc = subprocess.Popen(cmd, cwd=PROJECT, env=dict(env, PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, start_new_session=True)
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if re.search(stop_at, line):
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
            proc.wait()
            return proc.returncode, "".join(lines), {}
        proc = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True, check=False)
        output = proc.stdout + proc.stderr
        return proc.returncode, output, status_rows.recap(output)

    return run


# Seafile: the one SECRET_KEY, and a session made through the load balancer.
def secret_keys(groups, node):
    keys = set()
    for name in groups["seafile_nodes"]:
        settings = node(name).file("/opt/seafile/conf/seahub_settings.py").content_string
        keys.add(re.search(r"^SECRET_KEY = (.+)$", settings, re.M).group(1))
    return keys


def login(py, lb):
    user = "user-" + uuid.uuid4().hex[:8]
    status, _body, cookies = http(py, lb, "print(json.dumps(call('POST', 'http://127.0.0.1/accounts/login/', "
                                          "json.dumps({'username': %r}).encode())))" % user)
    assert status == 200
    return user, [c.split(";")[0] for c in cookies if c.startswith("sessionid=")][0]


def accepted_everywhere(groups, address, py, user, session):
    for name in groups["seafile_nodes"]:
        script = "print(json.dumps(call('GET', 'http://%s:8000/api2/whoami/', cookie=%r)))" % (address(name), session)
        status, body, _cookies = http(py, groups["seafile_lb"][0], script)
        if status != 200 or json.loads(body)["user"] != user:
            return False
    return True


def py_sha1(py, host, url):
    """The SHA-1 of what url serves, fetched on host."""
    return py(host, "import hashlib, urllib.request\n"
                    "print(hashlib.sha1(urllib.request.urlopen(%r, timeout=10).read()).hexdigest())" % url).stdout.strip()


def upgrades(node, groups):
    """The upgrade scripts the Seafile stand-in recorded in the database, in the order they ran."""
    out = node(groups["galera"][0]).check_output(
        "mariadb --batch --skip-column-names --execute \"SELECT script FROM seafile_db.standin_upgrades ORDER BY id\"")
    return out.split()
