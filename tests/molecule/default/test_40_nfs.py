"""NFS: a file written through the export by one client is read by another."""

import uuid

from conftest import wait_until


def url(server, name="", query="uid=2000&gid=2000"):
    return "nfs://%s/srv/nfs/filesync/%s?%s" % (server, name, query)


def test_file_written_by_one_client_is_read_by_another(groups, node, address):
    server = address(groups["nfs_server"][0])
    writer, reader = node(groups["nfs_clients"][0]), node(groups["nfs_clients"][-1])
    payload = uuid.uuid4().hex
    writer.check_output("printf %s > /tmp/payload" % payload)
    written = []

    # Right after a (re)start Ganesha is in its grace period and delays
    # writes; a delayed attempt leaves an empty file, so each try has a new name.
    def write():
        name = "verify-" + uuid.uuid4().hex
        if writer.run("nfs-cp /tmp/payload '%s'" % url(server, name)).rc == 0:
            written.append(name)
            return True
        return False

    assert wait_until(write, timeout=60)
    assert reader.check_output("nfs-cat '%s'" % url(server, written[0])) == payload
    assert written[0] in reader.check_output("nfs-ls '%s'" % url(server))


def test_root_is_squashed(groups, node, address):
    server = address(groups["nfs_server"][0])
    client = node(groups["nfs_clients"][0])
    name = "root-" + uuid.uuid4().hex
    client.check_output("echo x > /tmp/%s" % name)
    out = client.run("nfs-cp /tmp/%s '%s'" % (name, url(server, name, query="uid=0&gid=0")))
    assert out.rc != 0
    assert "ACCES" in out.stderr or "Permission denied" in out.stderr


def test_a_host_outside_the_client_list_cannot_mount(groups, node, address):
    lb = groups["nfs_server"][0]
    assert lb not in groups["nfs_clients"]
    out = node(lb).run("nfs-ls '%s'" % url(address(lb)))
    assert out.rc != 0
    assert "MNT3ERR_ACCES" in out.stderr


def test_service_user_has_the_same_ids_everywhere(groups, node):
    for name in groups["nfs_server"] + groups["nfs_clients"]:
        user = node(name).user("seafile")
        assert (user.uid, user.gid) == (2000, 2000), name


def test_every_client_has_the_same_mount_unit(groups, node, address):
    server = address(groups["nfs_server"][0])
    units = set()
    for name in groups["nfs_clients"]:
        host = node(name)
        unit = host.file("/etc/systemd/system/srv-filesync.mount")
        assert unit.exists
        content = unit.content_string
        assert "What=%s:/srv/nfs/filesync" % server in content
        assert "Where=/srv/filesync" in content
        assert "Type=nfs" in content
        units.add(content)
        # systemd has loaded the unit (it is only started where NFS can mount).
        assert host.check_output("systemctl show -p LoadState srv-filesync.mount").strip() == "LoadState=loaded"
    assert len(units) == 1
