"""The stand-in Seafile server's data path (file server, health check) and its
storage backend checks, run on the controller without containers."""

import collections
import hashlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request

import pytest

from test_standin_versions import configuration, write_configuration

PROJECT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = PROJECT / "tests/fixtures/seafile-pro"
V11, V13 = "11.0.12", "13.0.1"
NODE = socket.gethostname()
# Binary content: non-ASCII text, NUL bytes and every byte value.
CONTENT = "Grüße, 世界 ✓\n".encode() + b"\x00\x00\xff\xfe" * 64 + bytes(range(256))
S3_ERROR = "s3 backend configured; the stand-in stores only on a filesystem"
TIMEOUT = 10


def free_ports(count):
    """count distinct free TCP ports: all bound to port 0 at once, then released."""
    sockets = []
    while len(sockets) < count:
        sockets.append(socket.socket())
        sockets[-1].bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def s3_section(section, bucket, **settings):
    values = dict(name="s3", bucket=bucket, key_id="id", key="secret", host="minio.lab:9000", use_https="true",
                  path_style_request="true", use_v4_signature="true", aws_region="us-east-1")
    values.update(settings)
    return "\n[%s]\n" % section + "".join("%s = %s\n" % item for item in values.items() if item[1] is not None)


def s3_conf(**override):
    """The three backend sections; override maps a section to its settings, or to None to leave it out."""
    sections = {"commit_object_backend": dict(bucket="commits"), "fs_object_backend": dict(bucket="fs"),
                "block_backend": dict(bucket="blocks")}
    sections.update(override)
    return "".join(s3_section(name, **settings) for name, settings in sections.items() if settings is not None)


S3_ENV = dict(SEAF_SERVER_STORAGE_TYPE="s3", S3_COMMIT_BUCKET="commits", S3_FS_BUCKET="fs", S3_BLOCK_BUCKET="blocks",
              S3_KEY_ID="id", S3_SECRET_KEY="secret", S3_HOST="minio.lab:9000", S3_USE_HTTPS="true",
              S3_PATH_STYLE_REQUEST="true", S3_USE_V4_SIGNATURE="true", S3_AWS_REGION="us-east-1")


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    out = tmp_path_factory.mktemp("archives")
    for version in (V11, V13):
        subprocess.run([str(FIXTURE / "build.sh"), version, str(out)], check=True, capture_output=True, timeout=60)
    return out


class Node:
    """One unpacked stand-in installation (TOP) and the seaf-server it runs."""

    def __init__(self, top, version):
        self.top, self.version = top, version
        self.data = top / "seafile-data"
        self.fileserver, self.health = free_ports(2)
        self.process = None

    @property
    def seaf_server(self):
        return self.top / ("seafile-pro-server-%s/seafile/bin/seaf-server" % self.version)

    def configure(self, extra="", env=None):
        """A minimal valid configuration of the version (test_standin_versions), extra appended to seafile.conf,
        env merged into conf/.env."""
        files = configuration(int(self.version.split(".")[0]), self.fileserver, self.health)
        files.get(".env", {}).update(env or {})
        write_configuration(self.top / "conf", files)
        with (self.top / "conf/seafile.conf").open("a") as conf:
            conf.write(extra)
        return self

    def check(self):
        return subprocess.run([sys.executable, str(self.seaf_server), "--check"], capture_output=True, text=True,
                              timeout=TIMEOUT, check=False, env=clean_env())

    def start(self):
        """Start seaf-server and wait until its health-check port answers."""
        self.process = subprocess.Popen([sys.executable, str(self.seaf_server)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, env=clean_env())
        deadline = time.monotonic() + TIMEOUT
        while True:
            if self.process.poll() is not None:
                return self.process.wait()
            try:
                socket.create_connection(("127.0.0.1", self.health), 0.5).close()
                socket.create_connection(("127.0.0.1", self.fileserver), 0.5).close()
                return None
            except OSError:
                assert time.monotonic() < deadline, "seaf-server did not open its ports"
                time.sleep(0.1)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(TIMEOUT)

    def url(self, name):
        return "http://127.0.0.1:%d/files/%s" % (self.fileserver, name)


def clean_env():
    """The test's environment without a SEAFILE_CENTRAL_CONF_DIR that would point elsewhere, and
    without a database (the stand-in then skips its database login)."""
    env = {key: value for key, value in os.environ.items() if key != "SEAFILE_CENTRAL_CONF_DIR"}
    env["SEAFILE_STANDIN_NO_DATABASE"] = "1"
    return env


@pytest.fixture
def node(tmp_path, archives, request):
    """node(version) -> an unpacked Node with seafile-data, stopped at teardown."""
    nodes = []

    def make(version=V11, name="node"):
        top = tmp_path / name
        top.mkdir()
        with tarfile.open(archives / ("seafile-pro-server_%s_x86-64.tar.gz" % version)) as archive:
            archive.extractall(top, filter="data")
        (top / "conf").mkdir()
        (top / "seafile-data").mkdir()
        nodes.append(Node(top, version))
        return nodes[-1]

    request.addfinalizer(lambda: [each.stop() for each in nodes])
    return make


Reply = collections.namedtuple("Reply", "status headers body")


def call(method, url, data=None):
    """The Reply to one HTTP request."""
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(exc.code, exc.headers, exc.read())


def refused(result, message):
    assert result.returncode != 0, result
    assert "refusing to start: " in result.stderr and message in result.stderr, result.stderr


# The data path.

@pytest.mark.parametrize("version", [V11, V13])
def test_a_stored_file_comes_back_byte_identical(node, version):
    server = node(version).configure()
    assert server.start() is None, server.process.stderr.read()
    put = call("PUT", server.url("report-1.bin"), CONTENT)
    sha1 = hashlib.sha1(CONTENT).hexdigest()
    assert put.status == 200 and json.loads(put.body) == {"node": NODE, "name": "report-1.bin", "sha1": sha1,
                                                          "size": len(CONTENT)}
    got = call("GET", server.url("report-1.bin"))
    assert got.status == 200 and got.body == CONTENT
    assert got.headers["X-Seafile-Node"] == NODE and got.headers["Content-Type"] == "application/octet-stream"
    block = server.data / "storage/blocks" / sha1[:2] / sha1[2:]
    assert block.read_bytes() == CONTENT
    assert (server.data / "storage/fs/report-1.bin").read_text().strip() == sha1
    # Written through temporary files, none left behind.
    assert not list(server.data.rglob(".tmp-*"))


def test_unknown_and_bad_names(node):
    server = node().configure()
    assert server.start() is None, server.process.stderr.read()
    missing = call("GET", server.url("nothing-here"))
    assert missing.status == 404 and json.loads(missing.body)["error"] == "no such file"
    for name in ("bad%20name", "..", "a%2Fb"):
        assert call("PUT", server.url(name), b"x").status == 400, name
        assert call("GET", server.url(name)).status == 400, name
    assert call("GET", "http://127.0.0.1:%d/" % server.fileserver).status == 200
    assert not (server.data / "storage/fs").exists()


@pytest.mark.parametrize("version", [V11, V13])
def test_the_proxy_must_strip_seafhttp(node, version):
    """Clients use FILE_SERVER_ROOT, <SERVICE_URL>/seafhttp; the load balancer strips /seafhttp."""
    server = node(version).configure()
    assert server.start() is None, server.process.stderr.read()
    assert call("PUT", server.url("a.bin"), CONTENT).status == 200
    for method, data in (("GET", None), ("PUT", b"x")):
        for path in ("/seafhttp/files/a.bin", "/seafhttp"):
            reply = call(method, "http://127.0.0.1:%d%s" % (server.fileserver, path), data)
            assert reply.status == 404, (method, path)
            assert "must strip the /seafhttp prefix" in json.loads(reply.body)["error"], (method, path)
    assert call("GET", server.url("a.bin")).body == CONTENT


def test_two_nodes_share_a_symlinked_data_directory(node, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    first, second = node(V11, "first"), node(V11, "second")
    for each in (first, second):
        each.data.rmdir()
        each.data.symlink_to(shared)
        assert each.configure().start() is None, each.process.stderr.read()
    assert call("PUT", first.url("shared.bin"), CONTENT).status == 200
    got = call("GET", second.url("shared.bin"))
    assert got.status == 200 and got.body == CONTENT
    sha1 = hashlib.sha1(CONTENT).hexdigest()
    assert (shared / "storage/blocks" / sha1[:2] / sha1[2:]).read_bytes() == CONTENT
    # The second node replaces the file; the first reads the new content.
    assert call("PUT", second.url("shared.bin"), b"v2\x00").status == 200
    assert call("GET", first.url("shared.bin")).body == b"v2\x00"


# The health check.

def health(server):
    return call("GET", "http://127.0.0.1:%d/" % server.health)


def test_health_check_follows_the_data_directory(node):
    server = node().configure()
    assert server.start() is None, server.process.stderr.read()
    ok = health(server)
    assert ok.status == 200 and ok.body == ("OK %s\n" % NODE).encode()
    # Gone (as an unmounted shared folder): not writable, even for root.
    server.data.rename(server.top / "moved")
    assert health(server).status == 503
    assert call("PUT", server.url("lost.bin"), b"x").status == 500
    assert not server.data.exists(), "the data directory must not be recreated locally"
    (server.top / "moved").rename(server.data)
    assert health(server).status == 200


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_health_check_fails_on_a_read_only_data_directory(node):
    server = node().configure()
    assert server.start() is None, server.process.stderr.read()
    server.data.chmod(0o500)
    try:
        assert health(server).status == 503
    finally:
        server.data.chmod(0o700)
    assert health(server).status == 200


def test_start_refuses_a_missing_data_directory(node):
    server = node().configure()
    server.data.rmdir()
    assert server.check().returncode == 0, "--check covers the configuration only"
    assert server.start() == 1
    assert "refusing to start: seafile-data" in server.process.stderr.read()


def test_check_starts_nothing(node):
    server = node().configure()
    result = server.check()
    assert result.returncode == 0, result.stderr
    for port in (server.fileserver, server.health):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), 0.5).close()


# Storage backends in seafile.conf (Seafile 11 and 12).

@pytest.mark.parametrize("override, message", [
    (dict(block_backend=dict(bucket="")), "[block_backend] has no bucket"),
    (dict(fs_object_backend=dict(bucket="fs", key=None)), "[fs_object_backend] has no key"),
    (dict(commit_object_backend=dict(bucket="commits", key_id="")), "[commit_object_backend] has no key_id"),
    (dict(block_backend=dict(bucket="fs")), "need three different buckets"),
    (dict(fs_object_backend=None), "no [fs_object_backend]"),
    (dict(commit_object_backend=None, fs_object_backend=None), "no [commit_object_backend]"),
    (dict(block_backend=dict(bucket="blocks", use_https="yes")), "use_https in [block_backend] must be true or false"),
    (dict(block_backend=dict(bucket="blocks", path_style_request="1")), "path_style_request in [block_backend]"),
    (dict(block_backend=dict(bucket="blocks", host=None, aws_region=None)), "[block_backend] has neither host nor"),
    (dict(block_backend=dict(bucket="blocks", name="fs")), "name in [block_backend] must be s3"),
], ids=["missing-bucket", "missing-key", "empty-key-id", "same-bucket-twice", "missing-section",
        "only-block-backend", "bad-use-https", "bad-path-style", "no-host-or-region", "not-s3"])
def test_check_refuses_incomplete_s3_backends(node, override, message):
    refused(node().configure(s3_conf(**override)).check(), message)


@pytest.mark.parametrize("override", [{}, dict(block_backend=dict(bucket="blocks", host=None)),
                                      dict(fs_object_backend=dict(bucket="fs", aws_region=None, use_https=None))],
                         ids=["complete", "aws-region-only", "host-only"])
def test_check_accepts_complete_s3_backends(node, override):
    result = node().configure(s3_conf(**override)).check()
    assert result.returncode == 0, result.stderr


def test_an_s3_backend_refuses_uploads(node):
    server = node().configure(s3_conf())
    assert server.start() is None, server.process.stderr.read()
    put = call("PUT", server.url("a.bin"), CONTENT)
    assert put.status == 501 and json.loads(put.body)["error"] == S3_ERROR
    assert call("GET", server.url("a.bin")).status == 501
    assert not (server.data / "storage").exists()


# Seafile 13: storage backends in conf/.env.

def test_seafile_13_refuses_backends_in_seafile_conf(node):
    refused(node(V13).configure(s3_conf()).check(), "Seafile 13 reads storage backends from conf/.env")


@pytest.mark.parametrize("missing", ["S3_COMMIT_BUCKET", "S3_FS_BUCKET", "S3_BLOCK_BUCKET", "S3_KEY_ID",
                                     "S3_SECRET_KEY"])
def test_seafile_13_refuses_incomplete_s3_env(node, missing):
    env = dict(S3_ENV)
    del env[missing]
    refused(node(V13).configure(env=env).check(), "conf/.env has no %s" % missing)


@pytest.mark.parametrize("change, message", [
    (dict(S3_HOST="", S3_AWS_REGION=""), "conf/.env has neither S3_HOST nor S3_AWS_REGION"),
    (dict(S3_FS_BUCKET="blocks"), "need three different buckets"),
    (dict(S3_USE_HTTPS="on"), "S3_USE_HTTPS in conf/.env must be true or false"),
    (dict(SEAF_SERVER_STORAGE_TYPE="ceph"), "SEAF_SERVER_STORAGE_TYPE in conf/.env must be disk or s3"),
])
def test_seafile_13_refuses_bad_s3_env(node, change, message):
    refused(node(V13).configure(env=dict(S3_ENV, **change)).check(), message)


def test_seafile_13_s3_env_refuses_uploads(node):
    server = node(V13).configure(env=dict(S3_ENV, S3_HOST=""))
    assert server.check().returncode == 0
    assert server.start() is None, server.process.stderr.read()
    put = call("PUT", server.url("a.bin"), CONTENT)
    assert put.status == 501 and json.loads(put.body)["error"] == S3_ERROR


def test_seafile_13_disk_storage_stores_on_the_filesystem(node):
    server = node(V13).configure(env=dict(SEAF_SERVER_STORAGE_TYPE="disk"))
    assert server.start() is None, server.process.stderr.read()
    assert call("PUT", server.url("a.bin"), CONTENT).status == 200
    assert call("GET", server.url("a.bin")).body == CONTENT


def test_seafile_11_ignores_s3_settings_in_env(node):
    server = node(V11).configure()
    (server.top / "conf/.env").write_text("SEAF_SERVER_STORAGE_TYPE=s3\n")
    assert server.check().returncode == 0


# Setup: the database password from the environment.

def setup(top, version, env, *flags):
    script = top / ("seafile-pro-server-%s/setup-seafile-mysql.py" % version)
    base = ["auto", "-n", "seafile", "-i", "seafile.lab", "-p", "8082", "-d", str(top / "seafile-data"), "-e", "1",
            "-o", "127.0.0.1", "-t", str(free_ports(1)[0]), "-u", "seafile", "-c", "ccnet_db", "-s", "seafile_db",
            "-b", "seahub_db"]
    environ = {key: value for key, value in os.environ.items() if key != "MYSQL_USER_PASSWD"}
    environ.update(env)
    return subprocess.run([sys.executable, str(script)] + base + list(flags), capture_output=True, text=True,
                          timeout=60, env=environ, check=False)


@pytest.fixture
def unpacked(node):
    pytest.importorskip("pymysql")
    return node(V11).top


def test_setup_needs_the_password_as_flag_or_environment(unpacked):
    result = setup(unpacked, V11, {})
    assert result.returncode != 0 and "-w (or environment variable MYSQL_USER_PASSWD)" in result.stderr


@pytest.mark.parametrize("env, flags", [({"MYSQL_USER_PASSWD": "from-env"}, ()), ({}, ("-w", "from-flag"))],
                         ids=["environment", "flag"])
def test_setup_takes_the_password_from_the_environment(unpacked, env, flags):
    # Nothing listens on the MySQL port: getting as far as connecting shows the parameters were complete.
    result = setup(unpacked, V11, env, *flags)
    assert result.returncode != 0 and "cannot connect to MySQL" in result.stderr, result.stderr


# Seahub: thumbnails from the stored file, into THUMBNAIL_ROOT.

THUMBNAIL_PROBE = """
import json, django, pymysql
pymysql.install_as_MySQLdb()  # DATABASES is MySQL: the nodes have python3-mysqldb, this test PyMySQL
django.setup()
from django.test import RequestFactory
from django.urls import resolve
out = {}
for name in ("report-1.bin", "missing.bin"):
    match = resolve("/thumbnail/%s/" % name)
    response = match.func(RequestFactory().get("/thumbnail/%s/" % name), **match.kwargs)
    out[name] = [response.status_code, response.content.hex(), response.get("X-Seafile-Node")]
print(json.dumps(out))
"""


@pytest.mark.parametrize("enabled", [True, False])
def test_seahub_thumbnail(node, tmp_path, enabled):
    pytest.importorskip("django")
    server = node().configure()
    assert server.start() is None, server.process.stderr.read()
    assert call("PUT", server.url("report-1.bin"), CONTENT).status == 200
    thumbs = tmp_path / "thumbnails"
    if enabled:
        with (server.top / "conf/seahub_settings.py").open("a") as settings:
            settings.write("ENABLE_THUMBNAIL = True\nTHUMBNAIL_ROOT = %r\n" % str(thumbs))
    install = server.top / ("seafile-pro-server-%s" % V11)
    env = dict(clean_env(), DJANGO_SETTINGS_MODULE="seahub.settings",
               PYTHONPATH=os.pathsep.join([str(install / "seahub"), str(install / "seahub/thirdpart"),
                                           str(server.top / "conf")]))
    result = subprocess.run([sys.executable, "-c", THUMBNAIL_PROBE], capture_output=True, text=True,
                            timeout=60, env=env, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    if not enabled:
        assert out["report-1.bin"][0] == 400 and not thumbs.exists()
        return
    sha1 = hashlib.sha1(CONTENT).hexdigest()
    assert out["report-1.bin"] == [200, CONTENT[:64].hex(), NODE]
    assert (thumbs / (sha1 + ".thumb")).read_bytes() == CONTENT[:64]
    assert out["missing.bin"][0] == 404
