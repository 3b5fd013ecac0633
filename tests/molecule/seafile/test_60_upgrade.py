"""Seafile 11 -> 12 as the vendor's cluster upgrade says: the background node
and every frontend but one stop, the upgrade script migrates the database
once, the others start on 12 one at a time, the last frontend follows. No
request through the load balancer fails for longer than one node's restart,
and sessions, files and secrets survive."""

import hashlib
import json
import re
import uuid

from conftest import accepted_everywhere, http, login, py_sha1, refused, secret_keys, upgrades

TO = {"seafile_node_version": "12.0.14"}
# Polls seahub and a stored file through the load balancer every 0.1 s until
# /tmp/poll.stop exists; prints the longest run of failures of each, in seconds.
POLL = r"""
import json, os, sys, time, urllib.request
def ok(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except Exception:
        return False
urls = {"ping": "http://127.0.0.1/api2/ping/", "file": "http://127.0.0.1/seafhttp/files/" + sys.argv[1]}
longest, since, samples = dict.fromkeys(urls, 0.0), dict.fromkeys(urls), 0
while not os.path.exists("/tmp/poll.stop"):
    now = time.monotonic()
    samples += 1
    for key, url in urls.items():
        if ok(url):
            since[key] = None
        else:
            since[key] = since[key] or now
            longest[key] = max(longest[key], time.monotonic() - since[key])
    time.sleep(0.1)
print(json.dumps({"longest": longest, "samples": samples}))
"""


def test_preflight_refuses_what_seafile_12_cannot_read(playbook):
    # conf/.env takes no '#' (a comment) nor whitespace, quotes or '$'. (A
    # downgrade and a skipped major version: tests/unit/test_seafile_layouts.py.)
    refused(playbook("seafile.yml", extra_vars=dict(TO, seafile_node_db_password="lab#db pass"), tags="seafile_node_preflight"),
            "seafile_node_db_password contains '#'")


def test_upgrade_to_12_keeps_sessions_files_and_secrets(groups, node, address, playbook, py):
    lb = groups["seafile_lb"][0]
    keys = secret_keys(groups, node)
    user, session = login(py, lb)
    name, data = "before-upgrade-%s.bin" % uuid.uuid4().hex[:8], uuid.uuid4().bytes * 1000
    put = http(py, lb, "print(json.dumps(call('PUT', 'http://127.0.0.1/seafhttp/files/%s', %r)))" % (name, data))
    assert put[0] == 200, put
    node(lb).check_output("rm -f /tmp/poll.stop && cat > /tmp/poll.py <<'EOF'\n%s\nEOF" % POLL)
    node(lb).check_output("setsid nohup python3 /tmp/poll.py %s > /tmp/poll.out 2>&1 < /dev/null &" % name)
    try:
        rc, output, _recap = playbook("seafile.yml", extra_vars=TO)
    finally:
        node(lb).check_output("touch /tmp/poll.stop")
    assert rc == 0, output
    # The procedure: the script ran once, on a stopped frontend, before any
    # node started on 12; the frontend that kept serving restarted last.
    assert upgrades(node, groups) == ["upgrade_11.0_12.0.sh"]
    tasks = re.findall(r"^TASK \[filesync\.cluster\.seafile_node : ([^\]]+)\]", output, re.M)
    migrate = [i for i, task in enumerate(tasks) if task.startswith("Migrate the database once")]
    assert len(migrate) == 1, tasks
    # On a frontend that was stopped (the first node runs the background tasks).
    assert tasks[migrate[0]].endswith(" on %s" % groups["seafile_nodes"][1]), tasks
    restarts = [task for task in tasks[migrate[0]:] if task.startswith("Restart seafile and seahub on ")]
    assert [task.rsplit(" ", 1)[1] for task in restarts] == groups["seafile_nodes"], tasks
    for host in groups["seafile_nodes"]:
        top = node(host)
        assert top.file("/opt/seafile/seafile-server-latest").linked_to == "/opt/seafile/seafile-pro-server-12.0.14"
        assert top.file("/opt/seafile/seafile-pro-server-11.0.12/seafile.sh").exists  # kept for a rollback
        assert top.file("/opt/seafile/.filesync-database-release").content_string == "12.0\n"
    jwt = {node(host).check_output("grep ^JWT_PRIVATE_KEY= /opt/seafile/conf/.env") for host in groups["seafile_nodes"]}
    assert len(jwt) == 1
    assert secret_keys(groups, node) == keys
    assert accepted_everywhere(groups, address, py, user, session)
    assert py_sha1(py, lb, "http://127.0.0.1/seafhttp/files/%s" % name) == hashlib.sha1(data).hexdigest()
    polled = json.loads(node(lb).check_output("for i in $(seq 50); do [ -s /tmp/poll.out ] && break; sleep 0.2; done; cat /tmp/poll.out"))
    assert polled["samples"] > 100, polled
    # One frontend kept serving while the others stopped: no failure longer
    # than one node's restart (the load balancer's checks: 3 x 2 s).
    assert max(polled["longest"].values()) < 8, polled
