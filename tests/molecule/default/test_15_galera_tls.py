"""MariaDB Galera over TLS (galera_tls_enabled, on by default): replication and
state transfer with the certificates the pki role made for the lab."""

import re
import shlex
import time
import uuid

from conftest import Capture, Load, galera_status, galera_whole, wait_until

SYNCED, DRAIN = "Wait until the member reports Synced,", "Drain or put back on the load balancers"
PROVIDER_OPTIONS = "mariadb --batch --skip-column-names --execute 'SELECT @@GLOBAL.wsrep_provider_options'"


def test_every_member_replicates_over_tls_only(groups, node):
    for name in groups["galera"]:
        options = node(name).check_output(PROVIDER_OPTIONS)
        assert "socket.ssl = YES" in options, (name, options)
        assert "socket.ssl_ca = /etc/galera-tls/ca.crt" in options, (name, options)
        # The bridge of a switch from plain is gone: no plain peer is accepted.
        assert "socket.dynamic = YES" not in options, (name, options)


def test_the_key_is_private_to_mariadb_and_state_transfers_are_encrypted(groups, node):
    for name in groups["galera"]:
        host = node(name)
        key = host.file("/etc/galera-tls/host.key")
        assert key.mode == 0o640 and key.user == "root" and key.group == "mysql", name
        config = host.file("/etc/mysql/mariadb.conf.d/99-filesync-galera.cnf").content_string
        assert '[sst]\nencrypt = "3"\ntca = "/etc/galera-tls/ca.crt"' in config, name


def test_replication_and_a_full_state_transfer_carry_no_row_in_clear(groups, node, address):
    """A row written during a capture on the last member, then a state
    transfer of the whole database to it: its bytes pass the wire, its text
    never does. A plain message sent to the same ports is seen, so the
    capture would see a row sent in clear."""
    first, last = groups["galera"][0], groups["galera"][-1]
    joiner = node(last)
    row, control = "row-in-clear-" + uuid.uuid4().hex, "capture-sees-" + uuid.uuid4().hex
    with Capture(joiner, [4444, 4567, 4568]) as capture:
        node(first).check_output(
            "mariadb --execute \"CREATE DATABASE IF NOT EXISTS verify; "
            "CREATE TABLE IF NOT EXISTS verify.secrets (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64)); "
            "INSERT INTO verify.secrets (v) VALUES ('%s')\"" % row)
        assert wait_until(lambda: joiner.run("mariadb --batch --skip-column-names --execute "
                                             "\"SELECT COUNT(*) FROM verify.secrets WHERE v = '%s'\"" % row).stdout.strip() == "1")
        # No position to resume from: the joiner needs a full state transfer.
        joiner.check_output("systemctl stop mariadb && rm -f /var/lib/mysql/grastate.dat /var/lib/mysql/galera.cache")
        joiner.check_output("systemctl start mariadb")
        assert wait_until(galera_whole(node, groups["galera"]), timeout=180)
        assert galera_status(joiner)["wsrep_last_committed"] != "0"
        node(first).check_output("python3 -c %s" % shlex.quote(
            "import socket; s = socket.create_connection((%r, 4567)); s.sendall(%r); s.close()" % (address(last), control.encode())))
        time.sleep(2)
    try:
        assert capture.holds(control), "the capture saw no plain message: it would not see a row in clear either"
        # A state transfer moves the data files (megabytes); replication the row.
        assert capture.bytes > 1_000_000, capture.bytes
        assert not capture.holds(row), "a row crossed the network in clear"
    finally:
        capture.remove()
    assert joiner.check_output("mariadb --batch --skip-column-names --execute "
                               "\"SELECT v FROM verify.secrets WHERE v = '%s'\"" % row).strip() == row


def test_switching_a_running_cluster_to_plain_and_back_to_tls_keeps_writes_going(playbook, groups, node, address):
    """Each switch is two rolling restarts, one member at a time (the cluster
    whole before, drained on the load balancer, restarted, Synced again, put
    back; then the next member): writes through the load balancer never stop
    for longer than a failover, let alone one member's restart."""
    members, lb = groups["galera"], groups["haproxy"][0]
    client = node(members[0])
    client.check_output(
        "mariadb --execute \"CREATE DATABASE IF NOT EXISTS verify; "
        "CREATE TABLE IF NOT EXISTS verify.load (id INT AUTO_INCREMENT PRIMARY KEY, v INT); "
        "CREATE OR REPLACE USER 'tlsload'@'%' IDENTIFIED BY 'tls-load-2024'; GRANT INSERT ON verify.load TO 'tlsload'@'%'\"")
    write = ("timeout 5 mariadb --connect-timeout=3 -h %s -u tlsload -ptls-load-2024 "
             "--execute 'INSERT INTO verify.load (v) VALUES (1)'" % address(lb))
    try:
        with Load(client, write) as load:
            for tls in (False, True):
                rc, output, _recap = playbook("galera.yml", extra_vars={"galera_tls_enabled": tls})
                assert rc == 0, output
                # Two rolling restarts, one member at a time.
                events = re.findall(r"^TASK \[filesync\.cluster\.(?:galera|haproxy) : (Restart MariaDB on|Wait until the "
                                    r"member reports Synced,|Drain or put back on the load balancers) (\S+)\]", output, re.M)
                steps = [SYNCED, DRAIN, "Restart MariaDB on", SYNCED, DRAIN]
                one_pass = [(step, name) for name in members for step in steps]
                assert events == one_pass * 2, output
                assert wait_until(galera_whole(node, members), timeout=120)
                options = node(members[-1]).check_output(PROVIDER_OPTIONS)
                assert ("socket.ssl = YES" in options) == tls, options
    finally:
        client.run("mariadb --execute \"DROP USER IF EXISTS 'tlsload'@'%'\"")
    assert load.oks > 100, (load.oks, load.errors)
    assert load.longest_outage < 10, (load.longest_outage, load.errors)
