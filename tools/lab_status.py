"""One status table of every tier of the lab; exits 1 when a tier is unhealthy.

Reads the groups from the lab inventory and asks each container through
`docker exec` (the lab's connection).
"""

import json
import subprocess
import sys
import time

import yaml

MEMCACHED_VERSION = (
    "import socket; s = socket.create_connection((%r, 11211), timeout=3); "
    "s.sendall(b'version\\r\\n'); print(s.recv(100).decode().strip())"
)
HAPROXY_STAT = (
    "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
    "s.sendall(b'show stat\\n'); d = b''\n"
    "while True:\n"
    "    c = s.recv(65536)\n"
    "    if not c: break\n"
    "    d += c\n"
    "print(d.decode())"
)


def groups_of(path):
    data = yaml.safe_load(open(path))
    out = {}

    def walk(name, node):
        hosts = list((node.get("hosts") or {}).keys())
        for child, sub in (node.get("children") or {}).items():
            hosts += walk(child, sub or {})
        out[name] = sorted(set(out.get(name, []) + hosts))
        return hosts

    for name, node in data.items():
        walk(name, node or {})
    return out


def run(host, *argv):
    proc = subprocess.run(["docker", "exec", host] + list(argv), capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


def address(host):
    """The lab network's address (not `hostname -I`: a node running Docker has docker0's too)."""
    proc = subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", host],
                          capture_output=True, text=True, check=False)
    return (proc.stdout.split() or ["?"])[0]


HTTP_GET = ("import urllib.request, sys\n"
            "try:\n"
            "    r = urllib.request.urlopen(%r, timeout=5); print(r.status); print(r.read().decode())\n"
            "except Exception as e:\n"
            "    print(getattr(e, 'code', 0)); print(e)")


def http_get(host, url):
    rc, out, err = run(host, "python3", "-c", HTTP_GET % url)
    status, body = (out.split("\n", 1) + [""])[:2]
    return (int(status) if status.isdigit() else 0), body


def seatable_rows(groups, row):
    """dtable-web, each dtable-server, and the bucket map (etcd mode) or the routing map (prefix mode)."""
    for host in groups.get("seatable_web", []):
        status, body = http_get(host, "http://127.0.0.1:8000/api2/ping/")
        row("seatable", host, "dtable-web %s" % ("answers" if status == 200 else "down (%s)" % status), status == 200)
    for host in groups.get("dtable_servers", []):
        status, body = http_get(host, "http://127.0.0.1:5000/ping/")
        row("seatable", host, "dtable-server %s" % ("answers" if status == 200 else "down (%s)" % status), status == 200)
    proxy = (groups.get("dtable_proxy") or [None])[0]
    if not proxy:
        return
    status, body = http_get(proxy, "http://127.0.0.1:5555/buckets/")
    if status == 200:
        # The lab stand-in's map: bucket (two first characters) -> node_id.
        buckets = json.loads(body)
        counts = {}
        for node in buckets.values():
            counts[node] = counts.get(node, 0) + 1
        detail = "etcd buckets: " + ", ".join("%s %d" % item for item in sorted(counts.items()))
        row("seatable", proxy, detail, sum(counts.values()) == 256)
        return
    rc, conf, err = run(proxy, "cat", "/etc/seatable-router/nginx.conf")
    routes = {}
    for line in conf.splitlines():
        line = line.strip()
        if line.startswith('"~^'):
            char, node = line[3:].split('"', 1)
            routes.setdefault(node.strip(" ;"), []).append(char)
    detail = "routing map: " + ", ".join("%s -> %s" % ("".join(chars), node) for node, chars in sorted(routes.items()))
    row("seatable", proxy, detail if routes else "no routing map", sum(len(c) for c in routes.values()) == 16)


def powerfolder_rows(groups, row):
    """Each node: service, web port, identity and data port; the nodeids distinct."""
    ids = {}
    for host in groups.get("powerfolder_nodes", []):
        active = run(host, "systemctl", "is-active", "powerfolder")[1] == "active"
        status, body = http_get(host, "http://%s:8080/health" % address(host))
        health = json.loads(body) if status == 200 else {}
        ids[host] = health.get("nodeid", "")
        code = "import socket; print(socket.create_connection((%r, 1337), timeout=3).recv(200).decode().strip())" % address(host)
        rc, greeting, err = run(host, "python3", "-c", code)
        ok = active and status == 200 and rc == 0 and ids[host] in greeting
        row("powerfolder", host, "%s, web %s, nodeid %s, data port %s" % (
            "active" if active else "NOT active", "answers" if status == 200 else "down (%s)" % status,
            ids[host] or "none", "answers" if rc == 0 else "closed"), ok)
    if ids:
        distinct = len(set(ids.values())) == len(ids) and all(ids.values())
        row("powerfolder", "nodeids", "distinct" if distinct else "MISSING OR SHARED: %s" % ids, distinct)


def aegir_rows(groups, row):
    """The Pack: the master's export and key, each slave's web server, mount and SSH trust."""
    masters, slaves = groups.get("aegir_master", []), groups.get("aegir_web", [])
    for master in masters:
        rc, ids, err = run(master, "id", "-u", "aegir")
        key = run(master, "test", "-s", "/var/aegir/.ssh/id_ed25519.pub")[0] == 0
        active = run(master, "systemctl", "is-active", "nfs-ganesha")[1] == "active"
        row("aegir", master, "master: aegir UID %s, key %s, export %s" % (
            ids or "?", "present" if key else "MISSING", "served" if active else "DOWN"), rc == 0 and key and active)
        for slave in slaves:
            web = run(slave, "systemctl", "is-active", "apache2")[1] == "active"
            uid = run(slave, "id", "-u", "aegir")[1]
            export = run(slave, "nfs-ls", "nfs://%s/var/aegir/platforms?uid=%s&gid=%s" % (address(master), uid, uid))[0] == 0
            mount = run(slave, "systemctl", "is-enabled", "var-aegir-platforms.mount")[0] in (0, 1)
            trust = run(master, "runuser", "-u", "aegir", "--", "ssh", "-o", "BatchMode=yes", slave, "sudo", "-n",
                        "/usr/sbin/apache2ctl", "-t")[0] == 0
            row("aegir", slave, "slave: apache %s, aegir UID %s, export %s, mount unit %s, SSH+sudo from master %s" % (
                "active" if web else "DOWN", uid or "?", "readable" if export else "NOT readable",
                "loaded" if mount else "missing", "works" if trust else "FAILS"),
                web and uid == ids and export and mount and trust)


def main(inventory):
    groups = groups_of(inventory)
    rows, healthy = [], True

    def row(tier, host, detail, ok):
        nonlocal healthy
        healthy &= ok
        rows.append((tier, host, detail, "OK" if ok else "FAIL"))

    query = ("SELECT JSON_OBJECTAGG(LOWER(VARIABLE_NAME), VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS "
             "WHERE VARIABLE_NAME IN ('WSREP_CLUSTER_SIZE','WSREP_LOCAL_STATE_COMMENT','WSREP_CLUSTER_STATUS')")
    for host in groups.get("galera", []):
        rc, out, err = run(host, "mariadb", "--batch", "--skip-column-names", "--execute", query)
        status = json.loads(out) if rc == 0 and out else {}
        size = status.get("wsrep_cluster_size", "-")
        state = status.get("wsrep_local_state_comment", "down")
        ok = state == "Synced" and status.get("wsrep_cluster_status") == "Primary" and size == str(len(groups["galera"]))
        row("galera", host, "size %s, %s, %s" % (size, state, status.get("wsrep_cluster_status", "-")), ok)

    for host in groups.get("memcached", []):
        rc, out, err = run(host, "python3", "-c", MEMCACHED_VERSION % address(host))
        row("memcached", host, out if rc == 0 else "down: " + (err.splitlines() or ["?"])[-1], rc == 0 and out.startswith("VERSION"))

    for host in groups.get("haproxy", []):
        # Right after a reload the checks are still settling ("UP 1/3",
        # "DOWN 1/2"): give them up to 30 s to reach a steady state.
        for _attempt in range(15):
            rc, out, err = run(host, "python3", "-c", HAPROXY_STAT)
            lines = [l.split(",") for l in out.splitlines() if l and not l.startswith("#")] if rc == 0 else []
            servers = [(l[0], l[1], l[17]) for l in lines if l[1] not in ("FRONTEND", "BACKEND")]
            if servers and all(state == "UP" for _proxy, _server, state in servers):
                break
            time.sleep(2)
        if not servers:
            row("haproxy", host, "no backends / admin socket down", False)
        for proxy, server, state in servers:
            row("haproxy", host, "%s/%s %s" % (proxy, server, state), state == "UP")

    etcd = groups.get("etcd", [])
    if etcd:
        rc, out, err = run(etcd[0], "etcdctl", "--endpoints=http://127.0.0.1:2379", "member", "list")
        members = {line.split(", ")[2]: line.split(", ")[1] for line in out.splitlines()} if rc == 0 else {}
        for host in etcd:
            rc, out, err = run(host, "etcdctl", "--endpoints=http://%s:2379" % address(host), "endpoint", "health")
            ok = rc == 0 and "is healthy" in out + err and members.get(host) == "started"
            row("etcd", host, "member %s, %s" % (members.get(host, "missing"), "healthy" if ok else "unhealthy"), ok)

    for host in groups.get("nfs_server", []):
        rc, out, err = run(host, "systemctl", "is-active", "nfs-ganesha", "nfs-server")
        active = "active" in out.split()
        config = run(host, "cat", "/etc/ganesha/ganesha.conf")[1]
        exports = [l.split('"')[1] for l in config.splitlines() if l.strip().startswith("Path =")]
        clients = [l.split("=", 1)[1].strip(" ;") for l in config.splitlines() if l.strip().startswith("Clients =")]
        row("nfs", host, "exports %s to %s" % (", ".join(exports) or "none", "; ".join(clients) or "nobody"),
            active and bool(exports))
        for client in groups.get("nfs_clients", []):
            rc, out, err = run(client, "nfs-ls", "nfs://%s%s?uid=2000&gid=2000" % (address(host), exports[0] if exports else "/"))
            row("nfs", client, "export readable from client" if rc == 0 else "export not readable: " + err[-60:], rc == 0)

    lbs = groups.get("seafile_lb", [])
    for host in groups.get("seafile_nodes", []):
        rc, out, err = run(host, "systemctl", "is-active", "seafile", "seahub")
        services_ok = out.split() == ["active", "active"]
        background = run(host, "systemctl", "is-active", "seafile-background-tasks")[1] == "active"
        health = "no load balancer"
        health_ok = True
        if lbs:
            code = ("import urllib.request; print(urllib.request.urlopen('http://%s:11001/', timeout=3).status)"
                    % address(host))
            rc, out, err = run(lbs[0], "python3", "-c", code)
            health_ok = rc == 0 and out == "200"
            health = "health port %s from %s" % ("answers" if health_ok else "does not answer", lbs[0])
        row("seafile", host, "seafile+seahub %s, %s%s" % ("active" if services_ok else "NOT active", health,
                                                          ", background tasks" if background else ""),
            services_ok and health_ok)
    # Storage: seafile-data is the one shared folder on every node.
    listings = {}
    for host in groups.get("seafile_nodes", []):
        rc, target, err = run(host, "readlink", "/opt/seafile/seafile-data")
        rc2, owner, err2 = run(host, "stat", "-L", "-c", "%u:%g", "/opt/seafile/seafile-data")
        rc3, listing, err3 = run(host, "sh", "-c", "ls /opt/seafile/seafile-data/storage/fs 2>/dev/null | sort | md5sum")
        listings[host] = listing
        same = listing == next(iter(listings.values()))
        row("storage", host, "seafile-data -> %s, owner %s, %s" % (
            target or "(local)", owner or "?", "same files as the others" if same else "DIFFERENT files"),
            rc == 0 and rc2 == 0 and same)
    if groups.get("seafile_nodes"):
        rc, out, err = run(groups["seafile_nodes"][0], "grep", "-h", "Expiration", "/opt/seafile/seafile-license.txt")
        expiry = out.split("=")[-1].strip().strip('"') if rc == 0 else "missing"
        row("seafile", "license", "seafile-license.txt expires %s" % expiry, rc == 0)

    seatable_rows(groups, row)
    powerfolder_rows(groups, row)
    aegir_rows(groups, row)

    width = [max(len(r[i]) for r in rows) for i in range(4)] if rows else [0] * 4
    print("%-*s  %-*s  %-*s  %s" % (width[0], "TIER", width[1], "HOST", width[2], "STATE", "HEALTH"))
    for r in rows:
        print("%-*s  %-*s  %-*s  %s" % (width[0], r[0], width[1], r[1], width[2], r[2], r[3]))
    print("all tiers healthy" if healthy else "SOME TIERS ARE UNHEALTHY")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
