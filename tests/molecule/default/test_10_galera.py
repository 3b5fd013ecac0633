"""MariaDB Galera: the cluster is whole, replicates, and reports health."""

import uuid

from conftest import galera_status


def clustercheck(py, client, member_address):
    """The HTTP status the member's health endpoint gives this client."""
    code = (
        "import urllib.request, urllib.error\n"
        "try:\n"
        "    print(urllib.request.urlopen('http://%s:9200/', timeout=5).status)\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
        "except OSError:\n"
        "    print('unreachable')\n" % member_address
    )
    return py(client, code).stdout.strip()


def test_every_member_is_synced_in_one_primary_component(groups, node):
    members = groups["galera"]
    statuses = {name: galera_status(node(name)) for name in members}
    for name, status in statuses.items():
        assert status["wsrep_cluster_size"] == str(len(members)), (name, status)
        assert status["wsrep_local_state_comment"] == "Synced", (name, status)
        assert status["wsrep_cluster_status"] == "Primary", (name, status)
    assert len({s["wsrep_cluster_state_uuid"] for s in statuses.values()}) == 1


def test_a_row_written_on_the_first_member_is_read_on_the_last(groups, node):
    first, last = node(groups["galera"][0]), node(groups["galera"][-1])
    token = uuid.uuid4().hex
    first.check_output(
        "mariadb --execute \"CREATE DATABASE IF NOT EXISTS verify; "
        "CREATE TABLE IF NOT EXISTS verify.t (id INT AUTO_INCREMENT PRIMARY KEY, v CHAR(32)); "
        "INSERT INTO verify.t (v) VALUES ('%s')\"" % token
    )
    out = last.check_output("mariadb --batch --skip-column-names --execute \"SELECT v FROM verify.t WHERE v = '%s'\"" % token)
    assert out.strip() == token


def test_state_transfer_uses_mariabackup_with_a_private_password_file(groups, node):
    host = node(groups["galera"][0])
    config = host.file("/etc/mysql/mariadb.conf.d/99-filesync-galera.cnf").content_string
    assert 'wsrep_sst_method = "mariabackup"' in config
    assert "password" not in config
    secret = host.file("/etc/mysql/mariadb.conf.d/99-filesync-galera-sst.cnf")
    assert secret.mode == 0o640
    assert secret.group == "mysql"


def test_health_endpoint_answers_200_to_the_load_balancer_only(groups, node, address, py):
    lb = groups["haproxy"][0]
    member = address(groups["galera"][0])
    assert clustercheck(py, lb, member) == "200"
    # Another member is not a load balancer: the firewall drops it.
    assert clustercheck(py, groups["galera"][1], member) == "unreachable"
    # Past the firewall (the member itself, from its cluster address) the
    # endpoint's own list still refuses it.
    assert clustercheck(py, groups["galera"][0], member) == "403"


def test_health_endpoint_answers_503_when_the_member_is_not_synced(groups, node, address, py):
    lb = groups["haproxy"][0]
    member = groups["galera"][-1]
    host = node(member)
    # A desynced member (wsrep_desync) reports Donor/Desynced, not Synced.
    host.check_output("mariadb --execute 'SET GLOBAL wsrep_desync = ON'")
    try:
        assert clustercheck(py, lb, address(member)) == "503"
    finally:
        host.check_output("mariadb --execute 'SET GLOBAL wsrep_desync = OFF'")
    assert clustercheck(py, lb, address(member)) == "200"
