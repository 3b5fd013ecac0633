"""Unit-test helpers: the collection on sys.path, modules run in-process."""

import contextlib
import json
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

PROJECT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT / "tests"))
# collections/ansible_collections/filesync/cluster links to this checkout;
# Ansible's collection loader serves it (modules, module_utils and filters).
from render import install_collection_loader  # noqa: E402

install_collection_loader()


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


@contextlib.contextmanager
def _patch_module_args(args):
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with the given arguments; return its JSON result."""
    try:  # ansible-core 2.19 and later
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # older ansible-core reads the arguments from basic._ANSIBLE_ARGS
        patch_module_args = _patch_module_args

    def run(module, args, check_mode=False, diff=False):
        args = dict(args)
        if check_mode:
            args["_ansible_check_mode"] = True
        if diff:
            args["_ansible_diff"] = True
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        return json.loads(capsys.readouterr().out)

    return run


def _scratch_dir():
    return tempfile.mkdtemp(prefix="filesync-mariadb-")


@pytest.fixture(scope="session")
def mariadb():
    """A throw-away MariaDB server on a Unix socket (mariadb-server-core's mariadbd).

    `make test` installs mariadb-server-core; without it these tests fail, they
    are not skipped.
    """
    mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    install_db = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
    assert os.path.exists(mariadbd), "mariadbd is missing: apt-get install mariadb-server-core (make test does)"
    base = _scratch_dir()
    datadir, sock = os.path.join(base, "data"), os.path.join(base, "mysqld.sock")
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run([install_db, "--no-defaults", "--datadir=" + datadir, "--auth-root-authentication-method=normal",
                    "--skip-test-db"] + user, check=True, capture_output=True)
    server = subprocess.Popen([mariadbd, "--no-defaults", "--datadir=" + datadir, "--socket=" + sock,
                               "--skip-networking", "--pid-file=" + os.path.join(base, "pid")] + user,
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(base, "log"), "w"))
    deadline = time.time() + 60
    while not os.path.exists(sock):
        assert server.poll() is None and time.time() < deadline, open(os.path.join(base, "log")).read()
        time.sleep(0.2)
    time.sleep(0.5)
    yield {"login_unix_socket": sock, "login_user": "root"}
    server.terminate()
    server.wait(30)
    shutil.rmtree(base, ignore_errors=True)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _certificates(base):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl; their paths.

    The server's certificate allows client authentication too: etcd's JSON
    gateway connects to its own gRPC port with it.
    """
    files = {name: os.path.join(base, name) for name in ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key")}
    ext = os.path.join(base, "ext.cnf")
    with open(ext, "w") as out:
        out.write("[server]\nsubjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth, clientAuth\n"
                  "[client]\nextendedKeyUsage = clientAuth\n")

    def openssl(*argv):
        subprocess.run(["openssl"] + list(argv), check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=filesync unit CA", "-keyout", files["ca.key"], "-out", files["ca.crt"])
    for name in ("server", "client"):
        csr = os.path.join(base, name + ".csr")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                "-keyout", files[name + ".key"], "-out", csr)
        openssl("x509", "-req", "-in", csr, "-CA", files["ca.crt"], "-CAkey", files["ca.key"], "-CAcreateserial", "-days", "2",
                "-extfile", ext, "-extensions", name, "-out", files[name + ".crt"])
    return files


def _etcd(tls):
    """A throw-away single-member etcd (etcd-server's /usr/bin/etcd) on 127.0.0.1, random ports, temporary data.

    `make test` installs etcd-server; without it these tests fail, they are
    not skipped. Yields the client endpoint as host:port and as a URL; with
    tls, client certificates are required and the CA and the client's
    certificate and key are given too.
    """
    binary = shutil.which("etcd") or "/usr/bin/etcd"
    assert os.path.exists(binary), "etcd is missing: apt-get install etcd-server (make test does)"
    base = tempfile.mkdtemp(prefix="filesync-etcd-")
    scheme = "https" if tls else "http"
    client, peer = "%s://127.0.0.1:%d" % (scheme, _free_port()), "http://127.0.0.1:%d" % _free_port()
    extra, files = [], {}
    if tls:
        files = _certificates(base)
        extra = ["--cert-file", files["server.crt"], "--key-file", files["server.key"], "--trusted-ca-file", files["ca.crt"],
                 "--client-cert-auth"]
    log = open(os.path.join(base, "log"), "w")
    server = subprocess.Popen([binary, "--name", "unit", "--data-dir", os.path.join(base, "data"),
                               "--listen-client-urls", client, "--advertise-client-urls", client,
                               "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                               "--initial-cluster", "unit=" + peer, "--initial-cluster-state", "new"] + extra,
                              stdout=subprocess.DEVNULL, stderr=log)
    handlers = [urllib.request.ProxyHandler({})]
    if tls:
        context = ssl.create_default_context(cafile=files["ca.crt"])
        context.load_cert_chain(files["client.crt"], files["client.key"])
        handlers.append(urllib.request.HTTPSHandler(context=context))
    direct = urllib.request.build_opener(*handlers)
    deadline = time.time() + 60
    while True:
        assert server.poll() is None and time.time() < deadline, open(os.path.join(base, "log")).read()
        try:
            with direct.open(client + "/health", timeout=2) as answer:
                if json.loads(answer.read()).get("health") == "true":
                    break
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    yield {"endpoint": client[len(scheme) + 3:], "url": client, "ca": files.get("ca.crt"), "cert": files.get("client.crt"),
           "key": files.get("client.key")}
    server.terminate()
    server.wait(30)
    log.close()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def etcd():
    """etcd over plain HTTP (see _etcd)."""
    yield from _etcd(tls=False)


@pytest.fixture(scope="session")
def etcd_tls():
    """etcd over HTTPS with client certificates required (see _etcd)."""
    yield from _etcd(tls=True)
