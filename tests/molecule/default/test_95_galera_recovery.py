"""Galera outages that do not heal by themselves, recovered by
playbooks/galera_recover.yml from the most advanced member; the one that heals
itself left alone; quorum loss refused."""

import contextlib
import re
import shlex
import uuid

import pytest
from conftest import galera_status, galera_whole, refused, wait_until

NO_RESTART = "/run/systemd/system/mariadb.service.d/filesync-test-no-restart.conf"


def sql(host, statement):
    return host.check_output("mariadb --batch --skip-column-names --execute %s", statement)


def write_row(host):
    value = uuid.uuid4().hex
    sql(host, "CREATE DATABASE IF NOT EXISTS recovery; CREATE TABLE IF NOT EXISTS recovery.rows "
              "(id INT AUTO_INCREMENT PRIMARY KEY, v CHAR(32)); INSERT INTO recovery.rows (v) VALUES ('%s')" % value)
    return value


def synced(node, members):
    return wait_until(galera_whole(node, members), timeout=240)


@contextlib.contextmanager
def no_automatic_restart(node, members):
    """A crash stays a crash: systemd does not start mariadbd again."""
    for name in members:
        node(name).check_output("mkdir -p %s && printf '[Service]\\nRestart=no\\n' > %s && systemctl daemon-reload"
                                % (NO_RESTART.rsplit("/", 1)[0], NO_RESTART))
    try:
        yield
    finally:
        for name in members:
            node(name).check_output("rm -f %s && systemctl daemon-reload" % NO_RESTART)


def crash(host):
    host.check_output("systemctl kill --signal=KILL mariadb")
    assert wait_until(lambda: host.run("systemctl is-active mariadb").stdout.strip() in ("failed", "inactive"), timeout=30)


def chosen(output):
    return re.search(r"Bootstrapping (\S+): its last committed position", output).group(1)


def recover_and_check(playbook, node, members, value):
    rc, output, recap = playbook("galera_recover.yml")
    assert rc == 0, output[-4000:]
    assert synced(node, members), output[-2000:]
    for name in members:
        assert value in sql(node(name), "SELECT v FROM recovery.rows")
    return output


def test_every_member_stopped_one_after_another(groups, node, playbook):
    members = groups["galera"]
    value = write_row(node(members[0]))
    for name in members:
        node(name).check_output("systemctl stop mariadb")
    refused(playbook("galera.yml", tags="galera_preflight"), "if every member is down, run playbooks/galera_recover.yml")
    output = recover_and_check(playbook, node, members, value)
    # A tie on position: the member that stopped last (safe_to_bootstrap: 1).
    assert chosen(output) == members[-1], output


def test_every_member_crashed_with_its_position_unknown(groups, node, playbook):
    members = groups["galera"]
    value = write_row(node(members[0]))
    with no_automatic_restart(node, members):
        for name in members:
            crash(node(name))
        for name in members:
            assert "seqno:   -1" in node(name).file("/var/lib/mysql/grastate.dat").content_string
        output = recover_and_check(playbook, node, members, value)
    recovered = re.search(r"TASK \[filesync\.cluster\.galera : Recover the last committed position where a crash left it unknown\]"
                          r"[^\n]*\n((?:changed: \[\S+\]\n)+)", output)
    assert recovered and recovered.group(1).count("changed:") == len(members), output[-4000:]
    assert chosen(output) in members


def test_a_member_stopped_earlier_is_never_the_one_that_bootstraps(groups, node, playbook):
    members = groups["galera"]
    stale = members[-1]
    node(stale).check_output("systemctl stop mariadb")
    value = write_row(node(members[0]))
    with no_automatic_restart(node, members):
        for name in members[:-1]:
            crash(node(name))
        output = recover_and_check(playbook, node, members, value)
    assert chosen(output) != stale, output


def test_a_simultaneous_crash_that_galera_heals_is_left_alone(groups, node, playbook):
    members = groups["galera"]
    value = write_row(node(members[0]))
    for name in members:
        node(name).run("pkill -KILL mariadbd")
    assert synced(node, members)
    rc, output, recap = playbook("galera.yml")
    assert rc == 0 and all(counts["changed"] == 0 for counts in recap.values()), output[-3000:]
    assert value in sql(node(members[-1]), "SELECT v FROM recovery.rows")


def test_with_two_of_three_members_down_nothing_bootstraps(groups, node, playbook):
    members = groups["galera"]
    survivor = members[0]
    value = write_row(node(survivor))
    with no_automatic_restart(node, members):
        for name in members[1:]:
            crash(node(name))
        assert wait_until(lambda: galera_status(node(survivor))["wsrep_cluster_status"] != "Primary", timeout=60)
        refused(playbook("galera.yml", tags="galera_preflight"), "is deployed but not healthy, so nothing was changed")
        refused(playbook("galera_recover.yml"),
                "1 of 3 members run MariaDB (%s), so nothing was started: recovery and restore act only on a cluster in which no member runs. "
                "With a majority down nothing bootstraps by itself" % survivor)
        for name in members[1:]:
            assert node(name).run("systemctl is-active mariadb").stdout.strip() != "active"
        # The operator's way out: stop the survivor, then recover.
        node(survivor).check_output("systemctl stop mariadb")
        recover_and_check(playbook, node, members, value)


@pytest.fixture(autouse=True, scope="module")
def healthy_afterwards(groups, node):
    yield
    assert synced(node, groups["galera"])


def test_renaming_a_deployed_cluster_is_refused(playbook):
    refused(playbook("galera.yml", extra_vars={"galera_cluster_name": "renamed"}, tags="galera_preflight"),
            "galera_cluster_name is 'renamed' but the deployed cluster is named 'filesync': members with different names reject each other")


def test_members_of_different_clusters_are_refused_and_nothing_starts(groups, node, playbook):
    members = groups["galera"]
    value = write_row(node(members[0]))
    for name in members:
        node(name).check_output("systemctl stop mariadb")
    odd = node(members[-1])
    saved = odd.file("/var/lib/mysql/grastate.dat").content_string
    foreign = str(uuid.uuid4())
    odd.check_output("sed -i 's/^uuid:.*/uuid:    %s/' /var/lib/mysql/grastate.dat" % foreign)
    try:
        result = playbook("galera_recover.yml")
        refused(result, "They belong to different clusters")
        assert "%s:%s" % (members[-1], foreign) in " ".join(result[1].split())
        for name in members:
            assert node(name).run("systemctl is-active mariadb").stdout.strip() == "inactive"
    finally:
        odd.check_output("printf '%%s' %s > /var/lib/mysql/grastate.dat" % shlex.quote(saved))
    recover_and_check(playbook, node, members, value)
