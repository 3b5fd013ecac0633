"""playbooks/backup.yml and playbooks/galera_restore.yml on the running cluster."""

import uuid

from conftest import galera_whole, refused, wait_until

BACKUPS = "/var/backups/filesync-test"


def sql(host, statement):
    return host.check_output("mariadb --batch --skip-column-names --execute %s", statement).strip()


def backups(host):
    out = host.check_output("find %s -mindepth 1 -maxdepth 1 -type d -printf '%%f\\n' | sort" % BACKUPS)
    return out.split()


def test_backup_then_restore_brings_back_the_rows_of_the_backup(playbook, groups, node):
    members = groups["galera"]
    first, backup_host = node(members[0]), node(members[-1])
    kept, lost = uuid.uuid4().hex, uuid.uuid4().hex
    sql(first, "CREATE DATABASE IF NOT EXISTS backup_test; CREATE TABLE IF NOT EXISTS backup_test.t (v VARCHAR(64) PRIMARY KEY); "
               "INSERT INTO backup_test.t VALUES ('%s')" % kept)
    backup_host.run("rm -rf %s" % BACKUPS)

    # Two backups, one kept: the newest.
    for _attempt in range(2):
        rc, output, recap = playbook("backup.yml", extra_vars={"filesync_backup_dir": BACKUPS, "filesync_backup_keep": 1})
        assert rc == 0, output
        # Desynced while it copied, resynced after, on the backup member only.
        tasks = [line for line in output.splitlines() if line.startswith("TASK [filesync.cluster.galera : ")]
        names = [t.split(" : ", 1)[1].split("]")[0] for t in tasks]
        assert names.index("Desync the backup member while it copies") < names.index(
            "Copy the data with mariabackup (with the Galera position)") < names.index("Resync the backup member"), output
        assert sql(backup_host, "SELECT @@GLOBAL.wsrep_desync") == "0"
    names = backups(backup_host)
    assert len(names) == 1, names
    target = "%s/%s/mariadb" % (BACKUPS, names[0])
    # Prepared (MariaDB 10.5 and later say log-applied); MariaDB 11 renamed the file.
    checkpoints = [target + "/" + name for name in ("mariadb_backup_checkpoints", "xtrabackup_checkpoints")]
    found = [path for path in checkpoints if backup_host.file(path).exists]
    assert len(found) == 1, checkpoints
    assert "backup_type = log-applied" in backup_host.file(found[0]).content_string
    assert backup_host.file("%s/%s" % (BACKUPS, names[0])).mode == 0o700
    # The etcd snapshot of the same backup, on the first healthy etcd member,
    # one kept there too; it is a snapshot etcd can read.
    etcd_host = node(groups["etcd"][0])
    assert backups(etcd_host) == names
    status = etcd_host.run("etcdctl --write-out=json snapshot status %s/%s/etcd.db" % (BACKUPS, names[0]))
    assert status.rc == 0 and '"totalKey"' in status.stdout, status.stderr
    for name in members[:-1]:
        if name not in groups["etcd"][:1]:
            assert not node(name).file(BACKUPS).exists
    assert wait_until(galera_whole(node, members), timeout=60)

    # A row written after the backup is not in it.
    sql(first, "INSERT INTO backup_test.t VALUES ('%s')" % lost)

    # While members run, the restore refuses and changes nothing.
    refused(playbook("galera_restore.yml", extra_vars={"galera_restore_from": target}),
            "recovery and restore act only on a cluster in which no member runs")

    for name in reversed(members):
        node(name).check_output("systemctl stop mariadb")
    try:
        refused(playbook("galera_restore.yml", extra_vars={"galera_restore_from": "/nonexistent"}),
                "'/nonexistent' does not hold one")
        rc, output, recap = playbook("galera_restore.yml", extra_vars={"galera_restore_from": target})
        assert rc == 0, output
    finally:
        for name in members:
            node(name).run("systemctl start mariadb")
    assert wait_until(galera_whole(node, members), timeout=120)
    for name in members:
        rows = sql(node(name), "SELECT v FROM backup_test.t").split()
        assert kept in rows and lost not in rows, (name, rows)
    # The replaced data directory is kept beside the restored one.
    assert backup_host.check_output("ls -d /var/lib/mysql.before-restore-*")
    # And the next deploy finds a healthy cluster: nothing to change.
    rc, output, recap = playbook("galera.yml")
    assert rc == 0 and all(c["changed"] == 0 for c in recap.values()), output
    sql(first, "DROP DATABASE backup_test")
    backup_host.run("rm -rf %s /var/lib/mysql.before-restore-*" % BACKUPS)
    etcd_host.run("rm -rf %s" % BACKUPS)
