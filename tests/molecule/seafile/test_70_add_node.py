"""A fourth Seafile node joins with the cluster's configuration and secrets,
and the load balancer routes to it only once it answers the health check."""

import json

from conftest import accepted_everywhere, backends, login, secret_keys, upgrades, wait_until

VERSION = {"seafile_node_version": "12.0.14"}  # where tests/molecule/seafile/test_60_upgrade.py left the cluster
FILES = "seafile.conf seahub_settings.py seafevents.conf seafdav.conf gunicorn.conf.py .env"


def sums(node, name):
    return node(name).check_output("cd /opt/seafile/conf && sha256sum %s" % FILES)


def test_a_fourth_node_gets_the_configuration_and_enters_the_load_balancer_healthy(groups, node, address, playbook, py):
    new, frontend, lb = groups["seafile_spare"][0], groups["seafile_nodes"][1], groups["seafile_lb"][0]
    keys = secret_keys(groups, node)
    user, session = login(py, lb)
    # On the load balancer, every 0.2 s until /tmp/watch.stop exists: each
    # change of the new node's health check and of its state in seahub's backend.
    watch = (
        "import json, os, socket, time, urllib.request\n"
        "def stat():\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        "    s.connect('/run/haproxy/admin.sock')\n"
        "    s.sendall(b'show stat\\n')\n"
        "    data = b''\n"
        "    while True:\n"
        "        chunk = s.recv(65536)\n"
        "        if not chunk:\n"
        "            break\n"
        "        data += chunk\n"
        "    rows = [line.split(',') for line in data.decode().splitlines() if line and not line.startswith('#')]\n"
        "    return {r[1]: r[17] for r in rows if r[0] == 'seahub'}\n"
        "def healthy():\n"
        "    try:\n"
        "        return urllib.request.urlopen('http://%s:11001/', timeout=1).status == 200\n"
        "    except Exception:\n"
        "        return False\n"
        "seen = []\n"
        "while not os.path.exists('/tmp/watch.stop'):\n"
        "    health = healthy()\n"
        "    state = stat().get(%r)\n"
        "    if state is not None and (not seen or seen[-1][1:] != [health, state]):\n"
        "        seen.append([time.monotonic(), health, state])\n"
        "    time.sleep(0.2)\n"
        "print(json.dumps(seen))\n" % (address(new), new))
    node(lb).check_output("rm -f /tmp/watch.stop && cat > /tmp/watch.py <<'EOF'\n%s\nEOF" % watch)
    node(lb).check_output("setsid nohup python3 /tmp/watch.py > /tmp/watch.out 2>&1 < /dev/null &")
    try:
        rc, output, _recap = playbook("seafile.yml", extra_vars=VERSION,
                                      extra_inventory={"all": {"children": {"seafile_nodes": {"hosts": {new: {}}}}}})
    finally:
        node(lb).check_output("touch /tmp/watch.stop")
    assert rc == 0, output
    seen = json.loads(node(lb).check_output("for i in $(seq 50); do [ -s /tmp/watch.out ] && break; sleep 0.2; done; cat /tmp/watch.out"))
    # Written "disabled" first (MAINT), UP only once its health check passed.
    assert seen and seen[0][2] == "MAINT", seen
    assert [s for s in seen if s[2].startswith("UP") and not s[1]] == [], seen
    # (A reload starts it at "UP 1/3", the lowest UP: no check failed.)
    assert seen[-1][1] and seen[-1][2].startswith("UP"), seen
    assert wait_until(lambda: backends(py, lb)[("seahub", new)] == "UP", timeout=30)
    # The same configuration (a frontend's) and the one SECRET_KEY.
    assert sums(node, new) == sums(node, frontend)
    assert secret_keys({"seafile_nodes": groups["seafile_nodes"] + [new]}, node) == keys
    assert accepted_everywhere({"seafile_nodes": [new], "seafile_lb": [lb]}, address, py, user, session)
    # A run on the upgraded cluster does not migrate again.
    assert upgrades(node, groups) == ["upgrade_11.0_12.0.sh"]
