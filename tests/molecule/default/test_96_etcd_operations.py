"""etcd day-2 operations: snapshots, growing and shrinking one member at a time, restore.

Each test leaves the cluster as it found it: the members of group etcd, healthy.
"""

import re
import subprocess
import uuid

from conftest import etcdctl, etcdctl_command, refused, wait_until

SNAPSHOTS = "/var/backups/etcd"
DATA = "/var/lib/etcd/filesync"
NAME = re.compile(r"[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9._-]+\.db")


def member_names(host):
    return sorted(line.split(", ")[2] for line in etcdctl(host, "member list").splitlines())


def snapshots(host):
    """The snapshot files the role rotates, oldest first."""
    out = host.run("ls -1 %s" % SNAPSHOTS).stdout.split()
    return sorted(name for name in out if NAME.fullmatch(name))


def put_key(host):
    key, value = "/verify/" + uuid.uuid4().hex, uuid.uuid4().hex
    etcdctl(host, "put %s %s" % (key, value))
    return key, value


def read_key(host, key):
    return etcdctl(host, "get --print-value-only %s" % key).strip()


def healthy(host, count):
    out = host.run(etcdctl_command(host, "endpoint health --cluster"))
    return out.rc == 0 and (out.stdout + out.stderr).count("is healthy") == count


def tasks(output, *names):
    """(task, host) in the order the run took them, for task names that end with a host."""
    pattern = r"^(?:TASK|RUNNING HANDLER) \[filesync\.cluster\.etcd : (%s) (\S+)\]" % "|".join(re.escape(n) for n in names)
    return re.findall(pattern, output, re.M)


def changes_nothing(playbook, **kwargs):
    rc, output, recap = playbook("etcd.yml", **kwargs)
    assert rc == 0 and all(c["changed"] == 0 for c in recap.values()), output


def test_a_run_limited_to_one_member_changes_nothing(playbook, groups, node):
    # The members outside --limit are not taken for members without data.
    first = node(groups["etcd"][0])
    before = etcdctl(first, "member list")
    changes_nothing(playbook, limit=groups["etcd"][1])
    assert etcdctl(first, "member list") == before


def test_a_restart_takes_a_snapshot_first_and_old_ones_are_deleted(playbook, groups, node):
    name = groups["etcd"][-1]
    member = node(name)
    rc, output, recap = playbook("etcd.yml", extra_vars={"etcd_heartbeat_interval": 101, "etcd_snapshot_keep": 1},
                                 limit=name)
    assert rc == 0, output
    assert tasks(output, "Take a snapshot before restarting", "Restart etcd on") == [
        ("Take a snapshot before restarting", name), ("Restart etcd on", name)]
    # Taken on the member the run used (the only one in it), the older ones deleted.
    kept = snapshots(member)
    assert len(kept) == 1 and kept[0].endswith("-restart-%s.db" % name), kept
    assert member.file("%s/%s" % (SNAPSHOTS, kept[0])).mode == 0o600
    assert member.file(SNAPSHOTS).mode == 0o700
    # Back to the inventory's configuration: another restart, another snapshot (5 kept).
    rc, output, recap = playbook("etcd.yml", limit=name)
    assert rc == 0, output
    assert len(snapshots(member)) == 2
    assert healthy(node(groups["etcd"][0]), len(groups["etcd"]))


def test_grow_to_five_then_shrink_to_three_one_member_at_a_time(playbook, groups, node):
    three, five = groups["etcd"], groups["etcd_five"]
    spares = [name for name in five if name not in three]
    first = node(three[0])
    key, value = put_key(first)
    try:
        rc, output, recap = playbook("etcd.yml", extra_vars={"etcd_group": "etcd_five"})
        assert rc == 0, output
        assert member_names(first) == sorted(five)
        assert all(read_key(node(name), key) == value for name in five)
        # One at a time: a snapshot, the add, the new member healthy; then the next.
        steps = ("Take a snapshot before adding", "Add to the cluster the member", "Wait until healthy,")
        assert tasks(output, *steps) == [(step, spare) for spare in spares for step in steps]
        assert [name.split("Z-", 1)[1] for name in snapshots(first)[-len(spares):]] == [
            "add-%s.db" % spare for spare in spares]
        changes_nothing(playbook, extra_vars={"etcd_group": "etcd_five"})

        # Shrinking to an even count, or while a member staying is down, is refused.
        four = {"etcd_four": {"hosts": {name: None for name in five[:4]}}}
        refused(playbook("etcd.yml", extra_vars={"etcd_group": "etcd_four"}, extra_inventory=four, tags="etcd_preflight"),
                "etcd needs 3 or 5 members (an odd number, at least 3) in group 'etcd_four'; it has 4. Add or remove "
                "members. Removing %s from the running cluster (no longer in the group) would leave 4: put a member "
                "back in the group, or take one more out." % five[4])
        node(three[1]).check_output("systemctl stop etcd")
        try:
            result = playbook("etcd.yml", tags="etcd_preflight")
            refused(result, "etcd cluster is not healthy, so nothing was changed: %s did not answer 'endpoint health'."
                    % three[1])
            refused(result, "No member is removed (%s) while the members staying are not healthy." % ", ".join(spares))
        finally:
            node(three[1]).check_output("systemctl start etcd")
        assert member_names(first) == sorted(five)

        # Shrink: the members no longer in group etcd leave one at a time.
        rc, output, recap = playbook("etcd.yml", extra_vars={"etcd_snapshot_keep": 3})
        assert rc == 0, output
        steps = ("Check the members staying are healthy, before removing", "Take a snapshot before removing",
                 "Remove from the cluster the member", "Stop and disable etcd on the removed member")
        assert tasks(output, *steps) == [(step, spare) for spare in spares for step in steps]
        assert member_names(first) == sorted(three)
        assert healthy(first, len(three))
        assert all(read_key(node(name), key) == value for name in three)
        kept = snapshots(first)
        assert len(kept) == 3, kept
        assert [name.split("Z-", 1)[1] for name in kept[-len(spares):]] == ["remove-%s.db" % spare for spare in spares]
        for spare in spares:
            host = node(spare)
            assert not host.service("etcd").is_running and not host.service("etcd").is_enabled
            # Never again taken for a member holding data.
            assert not host.file(DATA).exists and not host.file("/etc/etcd/bootstrap.env").exists
        changes_nothing(playbook)

        # A removed member that holds data again (restored by hand, say) is refused, not started on it.
        node(spares[-1]).check_output("mkdir -p %s/member" % DATA)
        try:
            refused(playbook("etcd.yml", extra_vars={"etcd_group": "etcd_five"}, tags="etcd_preflight"),
                    "Members removed from the running cluster hold etcd data: %s (the cluster does not list them), so "
                    "nothing was changed." % spares[-1])
        finally:
            node(spares[-1]).check_output("rm -rf %s" % DATA)
    finally:
        if member_names(first) != sorted(three):
            playbook("etcd.yml")


def test_restore_refuses_while_etcd_runs_on_a_member(playbook, groups, node):
    members = groups["etcd"]
    first = node(members[0])
    before = etcdctl(first, "member list")
    node(members[-1]).check_output("systemctl stop etcd")
    try:
        # Any file passes the snapshot's first check: the refusal comes before it is read.
        refused(playbook("etcd_restore.yml", extra_vars={"etcd_restore_snapshot": "/etc/hostname",
                                                         "etcd_restore_snapshot_host": members[0]}),
                "etcd runs on %s (%d of %d members of group 'etcd'), so nothing was changed: a restore replaces every "
                "member's data with the snapshot's." % (", ".join(members[:-1]), len(members) - 1, len(members)))
    finally:
        node(members[-1]).check_output("systemctl start etcd")
    assert wait_until(lambda: healthy(first, len(members)), timeout=60)
    assert etcdctl(first, "member list") == before
    assert all(node(name).file(DATA + "/member").exists for name in members)


def test_restore_after_every_member_lost_its_data(playbook, groups, node, tmp_path):
    members = groups["etcd"]
    first = node(members[0])
    key, value = put_key(first)
    rc, output, recap = playbook("etcd_snapshot.yml", extra_vars={"etcd_snapshot_reason": "before-loss"})
    assert rc == 0, output
    snapshot = "%s/%s" % (SNAPSHOTS, snapshots(first)[-1])
    assert snapshot.endswith("-before-loss.db")
    # A damaged copy, on the controller: a flipped byte in the hash that snapshot save appends,
    # which the status read does not check.
    damaged = tmp_path / "damaged.db"
    subprocess.run(["docker", "cp", "%s:%s" % (members[0], snapshot), str(damaged)], check=True)
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))

    for name in members:
        node(name).check_output("systemctl stop etcd && rm -rf %s" % DATA)
    # The first member's data directory is a fresh file system: something to move aside, but no data.
    first.check_output("mkdir -p %s/lost+found" % DATA)
    try:
        # The normal deploy does not start an empty cluster; it names the newest snapshot.
        result = playbook("etcd.yml")
        refused(result, "No member of group 'etcd' holds etcd data (%s/member), but %s record that the cluster existed"
                % (DATA, ", ".join(members)))
        assert ("ansible-playbook playbooks/etcd_restore.yml -e etcd_restore_snapshot=%s -e etcd_restore_snapshot_host=%s"
                % (snapshot, members[0])) in " ".join(result[1].split())
        assert not any(node(name).service("etcd").is_running for name in members)

        # The damaged snapshot is refused before any data directory is touched.
        rc, output, recap = playbook("etcd_restore.yml", extra_vars={"etcd_restore_snapshot": str(damaged)})
        assert rc != 0 and "expected sha256" in output, output
        assert first.file(DATA + "/lost+found").is_directory
        assert not first.run("ls -d %s.before-restore-*" % DATA).stdout.strip()

        rc, output, recap = playbook("etcd_restore.yml", extra_vars={"etcd_restore_snapshot": snapshot,
                                                                     "etcd_restore_snapshot_host": members[0]})
        assert rc == 0, output
        assert healthy(first, len(members))
        assert member_names(first) == sorted(members)
        assert all(read_key(node(name), key) == value for name in members)
        for name in members:
            host = node(name)
            assert host.file(DATA).user == "etcd" and host.file(DATA).mode == 0o700
            assert 'ETCD_INITIAL_CLUSTER_STATE="existing"' in host.file("/etc/etcd/bootstrap.env").content_string
            assert not host.file(SNAPSHOTS + "/restore-in-progress.db").exists
        # The old data directory is kept, moved aside.
        aside = first.check_output("ls -d %s.before-restore-*" % DATA).split()
        assert len(aside) == 1 and first.file(aside[0] + "/lost+found").is_directory
        changes_nothing(playbook)
    finally:
        if not healthy(first, len(members)):
            for name in members:
                node(name).run("systemctl stop etcd")
            playbook("etcd_restore.yml", extra_vars={"etcd_restore_snapshot": snapshot,
                                                     "etcd_restore_snapshot_host": members[0]})
        for name in members:
            node(name).run("rm -rf %s.before-restore-*" % DATA)
