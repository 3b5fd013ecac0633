"""Shared storage (defect: every node kept its own seafile-data), the
database never open to the world, and the Seafile user's files."""

import uuid

from conftest import http

# Routes the file server through one node only, uploads through the load
# balancer, then downloads from every node directly.
ADMIN = ("import socket\n"
         "def admin(command):\n"
         "    s = socket.socket(socket.AF_UNIX)\n"
         "    s.connect('/run/haproxy/admin.sock')\n"
         "    s.sendall(command.encode() + b'\\n')\n"
         "    return s.recv(65536).decode()\n")


def payload():
    # Binary, with NUL, non-ASCII and every byte value.
    return bytes(range(256)) * 40 + ("naïve 中文 %s" % uuid.uuid4()).encode()


def test_a_file_uploaded_through_one_node_is_served_byte_identical_by_every_other(groups, address, py):
    lb, first, others = groups["seafile_lb"][0], groups["seafile_nodes"][0], groups["seafile_nodes"][1:]
    name, data = "file-%s.bin" % uuid.uuid4().hex[:8], payload()
    upload = ADMIN + (
        "import hashlib, json, urllib.request\n"
        "for other in %r:\n"
        "    admin('disable server seafile-fileserver/' + other)\n"
        "try:\n"
        "    req = urllib.request.Request('http://127.0.0.1/seafhttp/files/%s', data=%r, method='PUT')\n"
        "    print(urllib.request.urlopen(req, timeout=10).read().decode())\n"
        "finally:\n"
        "    for other in %r:\n"
        "        admin('enable server seafile-fileserver/' + other)\n" % (others, name, data, others))
    stored = __import__("json").loads(py(lb, upload).stdout)
    assert stored["node"] == first and stored["size"] == len(data), stored
    digest = __import__("hashlib").sha1(data).hexdigest()
    assert stored["sha1"] == digest
    for other in others:
        fetch = ("import hashlib, json, urllib.request\n"
                 "r = urllib.request.urlopen('http://%s:8082/files/%s', timeout=10)\n"
                 "body = r.read()\n"
                 "print(json.dumps([r.headers['X-Seafile-Node'], hashlib.sha1(body).hexdigest(), len(body)]))\n"
                 % (address(other), name))
        assert __import__("json").loads(py(lb, fetch).stdout) == [other, digest, len(data)]


def test_seafile_data_is_the_shared_folder_on_every_node(groups, node):
    for name in groups["seafile_nodes"]:
        host = node(name)
        assert host.file("/opt/seafile/seafile-data").linked_to == "/srv/filesync/seafile/seafile-data"
        data = host.file("/srv/filesync/seafile/seafile-data")
        assert data.is_directory and data.uid == 2000 and data.gid == 2000
        assert host.user("seafile").uid == 2000 and host.group("seafile").gid == 2000


def test_thumbnails_on_the_shared_folder_are_written_by_the_seafile_user(groups, address, node, py):
    lb, first, last = groups["seafile_lb"][0], groups["seafile_nodes"][0], groups["seafile_nodes"][-1]
    name, data = "photo-%s.jpg" % uuid.uuid4().hex[:8], payload()
    put = http(py, lb, "print(json.dumps(call('PUT', 'http://%s:8082/files/%s', %r)))" % (address(first), name, data))
    assert put[0] == 200, put
    sha1 = __import__("json").loads(put[1])["sha1"]
    thumb = http(py, lb, "print(json.dumps(call('GET', 'http://%s:8000/thumbnail/%s/')))" % (address(last), name))
    assert thumb[0] == 200, thumb
    written = node(first).file("/srv/filesync/seafile/thumbnails/%s.thumb" % sha1)
    assert written.exists and written.user == "seafile" and written.group == "seafile"


def test_the_database_user_is_granted_to_the_cluster_addresses_only(groups, address, node):
    member = node(groups["galera"][0])
    hosts = set(member.check_output(
        "mariadb --batch --skip-column-names --execute \"SELECT host FROM mysql.user WHERE user = 'seafile'\"").split())
    expected = {address(name) for name in groups["seafile_nodes"] + groups["haproxy"]}
    assert hosts == expected


def test_the_database_listens_on_the_cluster_network_only(groups, address, node):
    for name in groups["galera"]:
        assert node(name).socket("tcp://%s:3306" % address(name)).is_listening
        assert not node(name).socket("tcp://0.0.0.0:3306").is_listening
    lb = groups["haproxy"][0]
    assert node(lb).socket("tcp://%s:3306" % address(lb)).is_listening
    assert not node(lb).socket("tcp://0.0.0.0:3306").is_listening
