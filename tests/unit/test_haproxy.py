"""The haproxy role: one writer at a time for Galera, the stats page's hashed userlist read back by a real
HAProxy, and preflight's refusal of the stats users HAProxy or a browser cannot hold.

The reader is HAProxy itself (Debian's haproxy, which tools/host-deps.sh installs; without it these tests
fail, they are not skipped): `haproxy -c` on the rendered file, and a throw-away haproxy on 127.0.0.1 and a
free port that must let the user in with the password and keep everyone else out.
"""

import base64
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from render import PROJECT, backend_hosts, layouts, render, render_value, role_defaults, trust_as_template, trusted

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

# Stats users HAProxy reads back unchanged when written single-quoted ('\'' for a quote), and browsers can
# send: comment and quote characters, backslash escapes HAProxy would expand outside quotes, '$' it would
# expand inside double quotes, whitespace, control characters, non-ASCII.
USERS = [
    "admin", "sp ace", " lead", "trail ", "ha#sh", "it's", "'", "''", 'dq"x', '"', "back\\slash", "trail\\", "\\x41",
    "\\n", "$HOME", "${HOME}", "non-ASCII é 中", "\u00a0no-break", "tab\there", "semi;colon", "a{b}", "a=b", "\x01ctl",
]
# What preflight refuses, and the character its message names.
REFUSED = {"a:b": "':'", ":": "':'", "new\nline": "'\\n' (newline)", "cr\rhere": "'\\r' (carriage return)",
           "both:\n": "':' and '\\n' (newline)"}
PASSWORDS = ["s3cret", "p@ss:w#rd 'é\"\\ $HOME", "  ", "new\nline", "x" * 300]


def short_id(value):
    return repr(value) if len(value) < 30 else "%r...(%d)" % (value[:8], len(value))


def config(services=(), groups_and_counts=(), **extra):
    groups, hostvars = backend_hosts(*groups_and_counts)
    return render("haproxy", "haproxy.cfg.j2", haproxy_services=list(services), groups=groups, hostvars=hostvars,
                  filesync_address="10.0.0.9", **extra)


def section(text, name):
    block = text.split("\nlisten %s\n" % name)[1].split("\nlisten ")[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def servers(text, name):
    return [line for line in section(text, name) if line.startswith("server ")]


def check(text, tmp_path):
    """haproxy -c on the text; (rc, output)."""
    assert os.path.exists(HAPROXY), "haproxy is missing: apt-get install haproxy (make unit does)"
    path = tmp_path / "haproxy.cfg"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    return out.returncode, out.stdout + out.stderr


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pem(tmp_path):
    """A self-signed certificate and its key in one PEM file, for the layouts' TLS binds."""
    path = tmp_path / "tls.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=unit", "-keyout", str(tmp_path / "key"), "-out", str(tmp_path / "crt")],
                   check=True, capture_output=True)
    path.write_text((tmp_path / "crt").read_text() + (tmp_path / "key").read_text())
    return path


# One writer at a time.

def test_single_writer_servers_cut_sessions_on_the_way_down_and_the_backups_on_the_way_up(tmp_path):
    text = config(layouts()["galera"], [("galera", 3)])
    lines = servers(text, "galera")
    assert lines == [
        "server galera1 10.0.0.11:3306 check port 9200 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions",
        "server galera2 10.0.0.12:3306 check port 9200 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions backup",
        "server galera3 10.0.0.13:3306 check port 9200 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions backup",
    ]
    assert "balance first" in section(text, "galera")
    rc, output = check(text, tmp_path)
    assert rc == 0, output


def test_other_services_keep_their_sessions(tmp_path):
    certificate = pem(tmp_path)
    services = yaml.safe_load(yaml.safe_dump(layouts()["seafile"] + layouts()["powerfolder"]))
    for service in services:
        service["bind"] = [b.replace("/etc/haproxy/certs/seafile.pem", str(certificate))
                           .replace("/etc/haproxy/certs/powerfolder.pem", str(certificate)) for b in service["bind"]]
    text = config(services, [("seafile_nodes", 2), ("powerfolder_nodes", 2)])
    assert "on-marked" not in text and " backup" not in text
    rc, output = check(text, tmp_path)
    assert rc == 0, output


def _lbs_read(*lbs):
    """What server_state.yml's host_state read registers: per (load balancer, socket there, record text or None)."""
    socket_path = role_defaults("haproxy")["haproxy_admin_socket"]
    path = role_defaults("haproxy")["__haproxy_services_record_path"]
    return {"results": [{"item": lb, "paths": {socket_path: {"exists": running}}, "files": {path: record}} for lb, running, record in lbs]}


@pytest.mark.parametrize("value", ["a#b", "50%", "back\\slash", "quote\"s'", "two words", "line\nbreak", "n\u00f6de"])
def test_the_record_reads_back_unchanged_through_from_json(value):
    services = [{"name": value, "servers_group": value, "single_writer": True}, {"name": "web", "servers_group": "web"}]
    written = render_value("haproxy", "__haproxy_services_record | to_nice_json", haproxy_services=services)
    read = Templar(loader=DataLoader(), variables={"text": written}).template(trust_as_template("{{ text | from_json }}"))
    assert read == [{"name": value, "servers_group": value, "single_writer": True},
                    {"name": "web", "servers_group": "web", "single_writer": False}]


def test_a_drained_galera_member_loses_its_connections_a_drained_seafile_node_does_not():
    tasks = yaml.safe_load((PROJECT / "roles/haproxy/tasks/server_state.yml").read_text())
    task = [t for t in tasks if "community.general.haproxy" in t][0]
    groups, hostvars = backend_hosts(("galera", 2), ("seafile_nodes", 2))
    services = layouts()["galera"] + layouts()["seafile"]
    # What the haproxy role recorded on the load balancer (lb1); lb2 runs no
    # HAProxy yet and is left alone.
    configure = yaml.safe_load((PROJECT / "roles/haproxy/tasks/configure.yml").read_text())
    (copy,) = [t["ansible.builtin.copy"] for t in configure if t.get("ansible.builtin.copy", {}).get("dest") == "{{ __haproxy_services_record_path }}"]
    assert copy["content"] == "{{ __haproxy_services_record | to_nice_json }}\n"
    written = render_value("haproxy", "__haproxy_services_record | to_nice_json", haproxy_services=services)
    lbs = _lbs_read(("lb1", True, written + "\n"), ("lb2", False, None))
    for group, single_writer, state, expected in (("galera", True, "drain", True), ("galera", True, "ready", False),
                                                  ("seafile_nodes", False, "drain", False)):
        values = dict(role_defaults("haproxy"), groups=dict(groups, haproxy=["lb1", "lb2"]), hostvars=hostvars,
                      __haproxy_server=groups[group][0], __haproxy_server_state=state, __haproxy_server_group=group,
                      __haproxy_lbs=lbs)
        templar = Templar(loader=DataLoader(), variables=trusted(values))
        items = templar.template(trust_as_template(task["loop"]))
        assert [i["backend"] for i in items] == [s["name"] for s in services if s["servers_group"] == group]
        assert {i["lb"] for i in items} == {"lb1"}
        for item in items:
            templar.available_variables = dict(templar.available_variables, item=item)
            shutdown = templar.template(trust_as_template(task["community.general.haproxy"]["shutdown_sessions"]))
            assert shutdown is expected and item["single_writer"] is single_writer, (group, state, item)


def test_a_load_balancer_running_without_the_record_stops_the_restart_naming_it():
    tasks = yaml.safe_load((PROJECT / "roles/haproxy/tasks/server_state.yml").read_text())
    check = [t for t in tasks if "ansible.builtin.assert" in t][0]
    lbs = _lbs_read(("lb1", True, None), ("lb2", False, None))
    values = dict(role_defaults("haproxy"), __haproxy_lbs=lbs, __haproxy_server="node1", __haproxy_server_group="galera")
    templar = Templar(loader=DataLoader(), variables=trusted(values))
    path = role_defaults("haproxy")["__haproxy_services_record_path"]
    assert templar.template(trust_as_template("{{ %s }}" % check["ansible.builtin.assert"]["that"][0])) is False
    message = " ".join(templar.template(trust_as_template(check["ansible.builtin.assert"]["fail_msg"])).split())
    assert message.startswith("lb1 run HAProxy without %s" % path) and "lb2" not in message, message


# The stats page: a userlist with the password's hash, read back by HAProxy.

def stats_config(user, password, port, tmp_path, host="lb1"):
    return config(haproxy_stats_enabled=True, haproxy_stats_user=user, haproxy_stats_password=password,
                  haproxy_stats_bind="127.0.0.1:%d" % port, haproxy_admin_socket=str(tmp_path / "admin.sock"),
                  inventory_hostname=host)


def answers(text, port, credentials):
    """The HTTP status a throw-away haproxy running the text gives each of credentials (None: no header)."""
    base = tempfile.mkdtemp(prefix="filesync-haproxy-")
    path = os.path.join(base, "haproxy.cfg")
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
    server = subprocess.Popen([HAPROXY, "-db", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            assert server.poll() is None, "haproxy exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "haproxy does not listen on %d" % port
                time.sleep(0.05)
        out = []
        for pair in credentials:
            request = urllib.request.Request("http://127.0.0.1:%d/" % port)
            if pair is not None:
                request.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % pair).encode()).decode())
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10) as answer:
                    out.append(answer.status)
            except urllib.error.HTTPError as error:
                out.append(error.code)
        return out
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("user", USERS, ids=short_id)
def test_the_stats_user_comes_back_and_logs_in_with_the_password_only(user, tmp_path):
    password = "p@ss:w#rd 'é\"\\"
    port = free_port()
    text = stats_config(user, password, port, tmp_path)
    assert password not in text
    rc, output = check(text, tmp_path)
    assert rc == 0, output
    assert answers(text, port, [None, (user, password + "x"), (user + "x", password), (user, password)]) == [401, 401, 401, 200]
    assert preflight_refusal(user) is None


@pytest.mark.parametrize("password", PASSWORDS, ids=short_id)
def test_any_password_is_hashed_and_logs_in(password, tmp_path):
    port = free_port()
    text = stats_config("admin", password, port, tmp_path)
    userlist = text.split("userlist ")[1].split("listen stats")[0]
    assert "password '$6$" in userlist and (not password.strip() or password not in text)
    assert answers(text, port, [("admin", password), ("admin", password[:-1] + "y")]) == [200, 401]


def test_the_hash_is_stable_per_host_and_changes_with_the_password(tmp_path):
    first, again = stats_config("admin", "s3cret", 8404, tmp_path), stats_config("admin", "s3cret", 8404, tmp_path)
    other_host = stats_config("admin", "s3cret", 8404, tmp_path, host="lb2")
    other_password = stats_config("admin", "s3creT", 8404, tmp_path)

    def line(text):
        return [x for x in text.splitlines() if x.strip().startswith("user '")][0]

    assert line(first) == line(again)
    assert line(first) != line(other_host) and line(first) != line(other_password)
    # 5000 rounds (glibc's default, written without rounds=): HAProxy hashes on every request to the page.
    assert line(first).split("'")[3].count("$") == 3


# Preflight.

def preflight_refusal(user, enabled=True):
    """The preflight task's message when it refuses haproxy_stats_user, else None (its real conditions and message)."""
    tasks = yaml.safe_load((PROJECT / "roles/haproxy/tasks/preflight.yml").read_text())
    task = [t for t in tasks if t["name"] == "Refuse a stats user HAProxy or a browser cannot hold"][0]
    values = dict(role_defaults("haproxy"), haproxy_stats_user=user, haproxy_stats_enabled=enabled, haproxy_stats_password="x",
                  inventory_hostname="lb1")
    templar = Templar(loader=DataLoader(), variables={k: trust_as_template(v) if isinstance(v, str) else v for k, v in values.items()})
    if not templar.template(trust_as_template("{{ %s }}" % task["when"])):
        return None
    checks = task["ansible.builtin.assert"]
    if all(templar.template(trust_as_template("{{ %s }}" % condition)) is True for condition in checks["that"]):
        return None
    return " ".join(templar.template(trust_as_template(checks["fail_msg"])).split())


@pytest.mark.parametrize("user", sorted(REFUSED), ids=short_id)
def test_preflight_refuses_a_stats_user_naming_the_character(user):
    message = preflight_refusal(user)
    assert message is not None, "preflight lets %r through" % user
    assert "haproxy_stats_user" in message and "holds %s:" % REFUSED[user] in message, message


def test_preflight_refuses_an_empty_stats_user_only_with_the_stats_page():
    assert "is empty" in preflight_refusal("")
    assert preflight_refusal("a:b", enabled=False) is None


def test_preflight_hashes_the_password_before_anything_changes():
    tasks = yaml.safe_load((PROJECT / "roles/haproxy/tasks/preflight.yml").read_text())
    names = [t["name"] for t in tasks]
    assert names.index("Hash the stats password (passlib on the controller)") > names.index("Refuse a stats page without a password")
