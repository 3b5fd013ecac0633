"""etcd: one healthy cluster; a key put on one member is read on another."""

import re
import shlex
import time
import uuid

from conftest import ETCD_PKI, Capture, Load, etcdctl, etcdctl_command


def test_every_endpoint_is_healthy(groups, node):
    out = node(groups["etcd"][0]).run(etcdctl_command(node(groups["etcd"][0]), "endpoint health --cluster"))
    assert out.rc == 0, out.stderr
    assert out.stderr.count("is healthy") + out.stdout.count("is healthy") == len(groups["etcd"])


def test_members_are_the_inventory_group(groups, node):
    names = sorted(line.split(", ")[2] for line in etcdctl(node(groups["etcd"][0]), "member list").splitlines())
    assert names == sorted(groups["etcd"])


def test_a_key_put_on_one_member_is_read_on_another(groups, node):
    key, value = "/verify/" + uuid.uuid4().hex, uuid.uuid4().hex
    etcdctl(node(groups["etcd"][0]), "put %s %s" % (key, value))
    assert etcdctl(node(groups["etcd"][-1]), "get --print-value-only %s" % key).strip() == value


def test_the_cluster_is_recorded_as_existing(groups, node):
    for name in groups["etcd"]:
        bootstrap = node(name).file("/etc/etcd/bootstrap.env").content_string
        assert 'ETCD_INITIAL_CLUSTER_STATE="existing"' in bootstrap


def test_clients_and_peers_use_tls_and_a_client_without_a_certificate_is_refused(groups, node, address):
    # This scenario runs etcd with client and peer TLS (certificates made by
    # molecule/shared/lab-pki.yml).
    first = node(groups["etcd"][0])
    assert first.file(ETCD_PKI + "/member.key").mode == 0o640
    for line in etcdctl(first, "member list").splitlines():
        assert ", https://" in line and ":2380, https://" in line, line
    other = address(groups["etcd"][-1])
    # Plain HTTP, and TLS without a client certificate, are both refused.
    assert first.run("etcdctl --endpoints=http://%s:2379 --dial-timeout=3s get /x" % other).rc != 0
    refused = first.run("etcdctl --endpoints=https://%s:2379 --cacert=%s/ca.crt --dial-timeout=3s get /x" % (other, ETCD_PKI))
    assert refused.rc != 0


def test_a_key_written_through_another_member_crosses_the_network_encrypted(groups, node, address):
    """Captured on the second member while the first writes through it
    (client port) and it replicates (peer port): the value never passes in
    clear, a plain message to the same ports does."""
    first, second = node(groups["etcd"][0]), node(groups["etcd"][1])
    key, value = "/verify/" + uuid.uuid4().hex, "value-in-clear-" + uuid.uuid4().hex
    control = "capture-sees-" + uuid.uuid4().hex
    with Capture(second, [2379, 2380]) as capture:
        first.check_output(etcdctl_command(first, "put %s %s" % (key, value), address=address(groups["etcd"][1])))
        assert etcdctl(node(groups["etcd"][-1]), "get --print-value-only %s" % key).strip() == value
        first.check_output("python3 -c %s" % shlex.quote(
            "import socket; s = socket.create_connection((%r, 2380)); s.sendall(%r); s.close()"
            % (address(groups["etcd"][1]), control.encode())))
        time.sleep(2)
    try:
        assert capture.holds(control), "the capture saw no plain message: it would not see a value in clear either"
        assert capture.bytes > len(value) * 2, capture.bytes
        assert not capture.holds(value), "a value crossed the network in clear"
    finally:
        capture.remove()


def test_a_plain_cluster_switches_to_tls_one_member_at_a_time_and_keeps_taking_writes(playbook, groups, node, address):
    """Rebuilt plain, then switched by the role: over the bridge (plain, with
    peer certificates), then each member to TLS. Puts
    through every member (over http, else over https with the member's
    certificate, once it has one) never stop for longer than a member's
    restart; a second run changes nothing."""
    members = groups["etcd"]
    for name in members:
        node(name).check_output("systemctl stop etcd && rm -rf /var/lib/etcd/filesync /etc/etcd/bootstrap.env "
                                "/etc/default/etcd %s" % ETCD_PKI)
    rc, output, _recap = playbook("etcd.yml", extra_vars={"etcd_tls_enabled": False})
    assert rc == 0, output
    first = node(members[0])
    assert all(", http://" in line for line in etcdctl(first, "member list").splitlines())
    endpoints = [address(name) + ":2379" for name in members]
    put = ("etcdctl --dial-timeout=2s --command-timeout=3s --endpoints=%s put /verify/switch/$i $i || "
           "etcdctl --dial-timeout=2s --command-timeout=3s --endpoints=%s --cacert=%s/ca.crt --cert=%s/member.crt "
           "--key=%s/member.key put /verify/switch/$i $i"
           % (",".join("http://" + e for e in endpoints), ",".join("https://" + e for e in endpoints), ETCD_PKI, ETCD_PKI, ETCD_PKI))
    with Load(first, put) as load:
        rc, output, _recap = playbook("etcd.yml")
        assert rc == 0, output
        moved = re.findall(r"^TASK \[filesync\.cluster\.etcd : Record in the cluster the https peer URL of (\S+)\]", output, re.M)
        assert moved == members, output
        time.sleep(2)
    assert load.oks > 50, (load.oks, load.errors)
    assert load.longest_outage < 10, (load.longest_outage, load.errors)
    for line in etcdctl(first, "member list").splitlines():
        assert ", https://" in line and "http://" not in line, line
    assert first.run("etcdctl --endpoints=http://%s:2379 --dial-timeout=3s get /x" % address(members[-1])).rc != 0
    rc, output, recap = playbook("etcd.yml")
    assert rc == 0 and all(recap[name]["changed"] == 0 for name in members), output
