"""The redis role: its configuration, its refusals, and hostile passwords read back by a real redis-server.

The reader is Redis itself (Debian's redis-server, which tools/host-deps.sh installs; without it
these tests fail, they are not skipped): a throw-away redis-server per value, on a Unix socket in
a temporary directory, reads the rendered redis.conf, and the password must log in (AUTH over
the Redis protocol, byte for byte) while a wrong one must not.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import yaml

import render as render_helpers
from render import PROJECT, backend_hosts, render, render_value, role_defaults, trust_as_template

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

# Values redis.conf holds, written double-quoted with escapes: comment and quote characters,
# escapes Redis would expand if they were not escaped themselves, whitespace, non-ASCII.
HOSTILE = [
    "Sst#2024", "#leading-hash", "# spaced hash", "p%w", "%(here)s", "back\\slash", "\\", "trailing\\", 'quote"s',
    '"', '""', "it's", "'", "sp ace", " lead", "trail ", "  ", "\\x41", "\\n", '\\"', "semi;colon", "$HOME", "=eq",
    "non-ASCII é ü 中", "\u00a0no-break", "tab\there", "cr\rhere", "x" * 5000,
]
# What redis.conf cannot hold: preflight refuses these.
REFUSED = {"new\nline": "a newline", "\n": "a newline", "nul\0byte": "a NUL character",
           "both\n\0": "a newline and a NUL character"}


def short_id(value):
    return repr(value) if len(value) < 30 else "%r...(%d)" % (value[:8], len(value))


def variables(**extra):
    groups, hostvars = backend_hosts(("redis", 2))
    values = dict(groups=groups, hostvars=hostvars, inventory_hostname="redis1",
                  filesync_address=hostvars["redis1"]["filesync_address"], redis_password="cache-pw")
    values.update(extra)
    return values


def config(**extra):
    return render("redis", "redis.conf.j2", **variables(**extra))


def directives(text):
    """{directive: argument text} of the lines Redis reads (the last one wins)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, rest = (line.split(" ", 1) + [""])[:2]
            out[name] = rest
    return out


def refusals(**extra):
    return render_value("redis", "__redis_refusals", **variables(**extra))


# The real reader.

def _command(*args):
    """One command in the Redis protocol (RESP): every argument length-prefixed, byte for byte."""
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg.encode("utf-8") if isinstance(arg, str) else arg
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def _reply(conn):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = conn.recv(4096)
        assert chunk, "redis-server closed the connection"
        data += chunk
    return data.decode("utf-8", "replace").strip()


def logs_in(text, password):
    """What a real redis-server makes of the configuration text, asked over its Unix socket:
    PING without a password, AUTH with the password, PING, AUTH with a wrong password; or None
    when Redis refuses the file.

    The rendered file is read as Debian's unit reads it, with only what ties it to a host replaced
    on the command line (as Debian's unit adds --supervised systemd --daemonize no): no TCP port
    but a Unix socket, a temporary directory, log and pid file, no systemd notification.
    """
    assert os.path.exists(REDIS_SERVER), "redis-server is missing: apt-get install redis-server (make unit does)"
    base = tempfile.mkdtemp(prefix="filesync-redis-")
    conf, sock, log = os.path.join(base, "redis.conf"), os.path.join(base, "redis.sock"), os.path.join(base, "log")
    with open(conf, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    with open(log, "w") as log_file:
        server = subprocess.Popen(
            [REDIS_SERVER, conf, "--port", "0", "--unixsocket", sock, "--dir", base, "--logfile", "",
             "--pidfile", os.path.join(base, "pid"), "--supervised", "no", "--daemonize", "no"],
            stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 20
        while not os.path.exists(sock):
            if server.poll() is not None:
                return None
            assert time.time() < deadline, open(log).read()
            time.sleep(0.05)
        replies = []
        for commands in ([("PING",)], [("AUTH", password), ("PING",)], [("AUTH", password + "x")]):
            with socket.socket(socket.AF_UNIX) as conn:
                conn.settimeout(10)
                conn.connect(sock)
                for command in commands:
                    conn.sendall(_command(*command))
                    replies.append(_reply(conn))
        return replies
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(30)
        shutil.rmtree(base, ignore_errors=True)


# The configuration.

def test_the_configuration_binds_the_cluster_address_with_a_password_and_a_memory_cap():
    text = config()
    assert text.startswith("#\n# Ansible managed\n#\n")
    read = directives(text)
    assert read["bind"] == "10.0.0.11" and read["port"] == "6379" and read["protected-mode"] == "yes"
    assert read["requirepass"] == '"cache-pw"'
    assert read["maxmemory"] == "256mb" and read["maxmemory-policy"] == "allkeys-lru"
    assert read["supervised"] == "systemd" and read["daemonize"] == "no"
    assert read["dir"] == "/var/lib/redis" and read["logfile"] == "/var/log/redis/redis-server.log"
    # Debian's unit makes /run/redis (RuntimeDirectory) and allows writing there.
    assert read["pidfile"] == "/run/redis/redis-server.pid"
    # A cache: no snapshot, no append-only file.
    assert read["save"] == '""' and read["appendonly"] == "no"
    assert "rename-command" not in read


def test_the_variables_shape_the_configuration():
    read = directives(config(redis_listen_address="10.9.9.9", redis_port=6390, redis_maxmemory_mb=1024,
                             redis_maxmemory_policy="allkeys-lfu"))
    assert read["bind"] == "10.9.9.9" and read["port"] == "6390"
    assert read["maxmemory"] == "1024mb" and read["maxmemory-policy"] == "allkeys-lfu"


def test_redis_accepts_the_whole_configuration_and_requires_the_password():
    replies = logs_in(config(), "cache-pw")
    assert replies is not None, "redis-server refused the rendered configuration"
    assert replies[0].startswith("-NOAUTH"), replies
    assert replies[1:3] == ["+OK", "+PONG"], replies
    assert replies[3].startswith("-WRONGPASS"), replies


def test_the_template_writes_backslashes_alike_in_both_ways_ansible_templates():
    # ansible.builtin.template and managed_files render without escaping backslashes, variables
    # and tests/render.py with: the template has no backslash in an expression, so both agree.
    password = 'a\\b"c\\\\"'
    values = variables(redis_password=password)
    source = (PROJECT / "roles/redis/templates/redis.conf.j2").read_text()
    deployed = render_helpers._templar("redis", values).template(trust_as_template(source), escape_backslashes=False)
    assert deployed == render("redis", "redis.conf.j2", **values)
    assert directives(deployed)["requirepass"] == '"a\\\\b\\"c\\\\\\\\\\""'


# Hostile passwords, read back by Redis.

@pytest.mark.parametrize("password", HOSTILE, ids=short_id)
def test_hostile_passwords_come_back_unchanged(password):
    assert refusals(redis_password=password) == []
    replies = logs_in(config(redis_password=password), password)
    assert replies is not None, "redis-server refused the configuration for %s" % short_id(password)
    assert replies[1:3] == ["+OK", "+PONG"], replies
    assert replies[3].startswith("-WRONGPASS"), replies


@pytest.mark.parametrize("password", sorted(REFUSED), ids=short_id)
def test_what_redis_conf_cannot_hold_is_refused_by_name(password):
    messages = refusals(redis_password=password)
    assert messages == ["redis_password holds %s, which Redis's configuration file (requirepass in redis.conf) "
                        "cannot hold: choose a password without %s." % (REFUSED[password],
                                                                        "them" if " and " in REFUSED[password] else "it")]
    assert password not in messages[0]


@pytest.mark.parametrize("password", sorted(REFUSED), ids=short_id)
def test_the_refusal_is_needed_redis_cannot_read_those_back(password):
    # Written anyway, Redis either refuses the file or does not take that password.
    replies = logs_in(config(redis_password=password), password)
    assert replies is None or replies[1] != "+OK", replies


# Refusals.

def test_a_good_configuration_is_not_refused():
    assert refusals() == []
    assert refusals(redis_listen_address="fd00::11") == []


def test_an_empty_or_missing_group_is_refused():
    groups, hostvars = backend_hosts(("seafile_nodes", 1))
    for extra in ({"groups": groups, "hostvars": hostvars}, {"groups": dict(groups, redis=[])}):
        messages = refusals(**extra)
        assert messages == ["No Redis host: group 'redis' is empty or missing. Put the Redis host in it (clients "
                            "use its first host; one Redis, no replication)."]


def test_an_empty_password_is_refused():
    assert refusals(redis_password="") == [
        "redis_password is empty: Redis would take any client. Set redis_password (in a vault); the clients "
        "(Seafile 13's conf/.env) log in with it."]


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "*", "-::*", "::*", "", "10.0.0.11 10.0.0.12", "-10.0.0.11"])
def test_every_address_or_more_than_one_is_refused(address):
    messages = refusals(redis_listen_address=address)
    assert len(messages) == 1 and messages[0].startswith("redis_listen_address is '%s': " % address), messages
    assert "(filesync_address, 10.0.0.11," in messages[0]


def test_a_memory_cap_below_64_mb_is_refused():
    assert refusals(redis_maxmemory_mb=32) == ["redis_maxmemory_mb must be at least 64 (the default is 256); got 32."]


def test_the_messages_never_show_the_password():
    password = "S3cret#%"
    joined = " ".join(refusals(groups={}, redis_password=password, redis_listen_address="0.0.0.0",
                               redis_maxmemory_mb=1))
    assert password not in joined


# What clients read (tasks_from: endpoints).

def test_clients_use_the_first_host_of_the_group():
    assert render_value("redis", "redis_host", **variables()) == "10.0.0.11"
    assert render_value("redis", "redis_host", **variables(redis_group="cache", groups={"cache": ["redis2"]},
                                                           hostvars=variables()["hostvars"])) == "10.0.0.12"


def test_without_a_redis_group_the_host_is_empty_and_nothing_fails():
    assert render_value("redis", "redis_host", groups={}, hostvars={}) == ""


def test_a_redis_host_without_an_address_is_named():
    groups, hostvars = backend_hosts(("redis", 1))
    hostvars["redis1"] = {}
    with pytest.raises(Exception, match="No address is known for redis1"):
        render_value("redis", "redis_host", groups=groups, hostvars=hostvars)


def _seafile(**extra):
    values = {name: render_value("seafile_node", name, **extra)
              for name in ("seafile_node_redis_host", "seafile_node_redis_port", "seafile_node_redis_password")}
    # ansible-core before 2.19 renders the number as text; the role's argument
    # spec (type int) reads both the same.
    values["seafile_node_redis_port"] = int(values["seafile_node_redis_port"])
    return values


def test_seafile_reads_the_redis_role_variables():
    values = dict(role_defaults("redis"), **variables(redis_password="cache-pw"))
    assert _seafile(**values) == {"seafile_node_redis_host": "10.0.0.11", "seafile_node_redis_port": 6379,
                                  "seafile_node_redis_password": "cache-pw"}
    values.update(redis_port=6390)
    assert _seafile(**values)["seafile_node_redis_port"] == 6390


def test_seafile_without_the_redis_role_has_empty_redis_settings():
    assert _seafile(groups={}, hostvars={}) == {"seafile_node_redis_host": "", "seafile_node_redis_port": 6379,
                                                "seafile_node_redis_password": ""}


def test_seafile_imports_the_redis_endpoints_first():
    tasks = yaml.safe_load((PROJECT / "roles/seafile_node/tasks/preflight.yml").read_text())
    # Right after the platform refusal, which reads no endpoint.
    assert tasks[0]["name"] == "Refuse a system this role does not support (the platforms of its meta/main.yml)"
    assert tasks[1]["ansible.builtin.import_role"] == {"name": "filesync.cluster.redis", "tasks_from": "endpoints"}
    assert yaml.safe_load((PROJECT / "roles/redis/tasks/endpoints.yml").read_text()) == []
