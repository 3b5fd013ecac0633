"""What preflight refuses (nothing changes), and what the stand-in refuses as the real image would."""

import os

import pytest

from conftest import refused

MODE = os.environ.get("FILESYNC_SEATABLE_MODE", "prefix")
CONF = "/opt/seatable-server/seatable/conf"
prefix_only = pytest.mark.skipif(MODE != "prefix", reason="prefix mode only")
etcd_only = pytest.mark.skipif(MODE != "etcd", reason="etcd mode only")


@pytest.fixture
def leftover(groups, node):
    """Put a file on a dtable-server for one test, then remove it."""
    host = node(groups["dtable_servers"][0])
    made = []

    def put(path, content="x\n"):
        host.check_output("printf %s > " + path, content)
        made.append(path)

    yield put
    for path in made:
        host.check_output("rm -f " + path)


def test_duplicate_node_ids(playbook):
    refused(playbook("seatable.yml", extra_vars={"seatable_node_id": "dtable-server-01"}), "Two dtable-servers share a seatable_node_id")


def test_two_background_events_nodes(playbook):
    refused(playbook("seatable.yml", extra_vars={"seatable_events_task_mode": "background"}),
            "Only one host may run dtable-events in background mode")


def test_an_empty_redis_password(playbook):
    refused(playbook("seatable.yml", extra_vars={"seatable_redis_password": ""}), "seatable_redis_password is empty")


def test_a_leftover_controller_file(playbook, leftover, groups):
    leftover(CONF + "/seatable-controller.conf", "ENABLE_DTABLE_WEB=true\n")
    refused(playbook("seatable.yml"), "%s has %s/seatable-controller.conf" % (groups["dtable_servers"][0], CONF))


def test_secrets_that_differ_between_nodes(playbook, node, groups):
    host = node(groups["dtable_servers"][0])
    path = "/opt/seatable-compose/.env" if MODE == "prefix" else CONF + "/dtable_web_settings.py"
    edit = "s/^SECRET_KEY = \\\"/SECRET_KEY = \\\"other/; s/^JWT_PRIVATE_KEY='/JWT_PRIVATE_KEY='other/"
    host.check_output("cp %s /tmp/secret-backup && sed -i \"%s\" %s" % (path, edit, path))
    try:
        refused(playbook("seatable.yml"), "The SeaTable nodes hold 2 different")
    finally:
        host.check_output("cp /tmp/secret-backup %s", path)


@prefix_only
def test_a_file_this_version_no_longer_reads(playbook, leftover, groups):
    leftover(CONF + "/dtable-db.conf")
    refused(playbook("seatable.yml"), "which SeaTable 6.2.3 no longer reads")


@prefix_only
def test_a_prefix_map_with_a_gap_and_a_double(playbook, groups):
    servers = groups["dtable_servers"]
    refused(playbook("seatable.yml", extra_vars={"seatable_prefix_routes": {"0123456789": servers[0], "9abcde": servers[-1]}}),
            "no route for f; more than one route for 9")


@etcd_only
def test_a_missing_node_url(playbook):
    refused(playbook("seatable.yml", extra_vars={"seatable_node_url": ""}), "set seatable_node_url")


@etcd_only
def test_an_even_etcd_count(playbook, groups):
    extra = {"etcd": {"hosts": {groups["seatable_lb"][0]: None}}}
    refused(playbook("seatable.yml", extra_inventory=extra), "etcd mode needs an odd number of etcd members")


# The stand-in refuses what the image would: a scratch copy of a node's
# configuration, started once in a throw-away container.
def standin(node, groups, setup, env=""):
    host = node(groups["dtable_servers"][0])
    image = host.check_output("docker inspect -f '{{.Config.Image}}' seatable-server")
    host.check_output("rm -rf /tmp/st-shared && mkdir -p /tmp/st-shared/seatable && cp -a %s /tmp/st-shared/seatable/conf && "
                      "cp /opt/seatable-compose/seatable-license.txt /tmp/st-shared/seatable/ && %s" % (CONF, setup))
    out = host.run("docker run --rm --network none -v /tmp/st-shared:/shared %s %s" % (env, image))
    host.check_output("rm -rf /tmp/st-shared")
    return out


def test_standin_refuses_an_unknown_switch(node, groups):
    env = "-e ENABLE_DTABLE_SERVER=true -e ENABLE_DTABLE_WEB=false -e SEATABLE_START_MODE=cluster -e ENABLE_SEAFILE_SERTVER=true"
    out = standin(node, groups, "true", env)
    assert out.rc == 1 and "REFUSED" in out.stdout + out.stderr and "ENABLE_SEAFILE_SERTVER" in out.stdout + out.stderr


def test_standin_refuses_a_missing_license(node, groups):
    out = standin(node, groups, "rm /tmp/st-shared/seatable/seatable-license.txt", "-e ENABLE_DTABLE_WEB=false -e SEATABLE_START_MODE=cluster")
    assert out.rc == 1 and "REFUSED" in out.stdout + out.stderr and "license" in (out.stdout + out.stderr).lower()


@etcd_only
def test_standin_refuses_json_with_comments(node, groups):
    out = standin(node, groups, "sed -i '1a // comment' /tmp/st-shared/seatable/conf/dtable_server_config.json",
                  "-e ENABLE_DTABLE_WEB=false -e ENABLE_DTABLE_SERVER=true -e SEATABLE_START_MODE=cluster")
    assert out.rc == 1 and "REFUSED" in out.stdout + out.stderr


def test_standin_refuses_a_missing_secret(node, groups):
    if MODE == "prefix":  # 6.2: the JWT key comes from .env
        env = "-e ENABLE_DTABLE_WEB=false -e SEATABLE_START_MODE=cluster -e DB_HOST=db -e DB_ROOT_PASSWD=x -e REDIS_HOST=r -e REDIS_PASSWORD=x"
        out = standin(node, groups, "true", env)
        wanted = "JWT_PRIVATE_KEY"
    else:  # 5.2: from dtable_server_config.json
        out = standin(node, groups, "sed -i '/\"private_key\"/d' /tmp/st-shared/seatable/conf/dtable_server_config.json",
                      "-e ENABLE_DTABLE_WEB=false -e ENABLE_DTABLE_SERVER=true -e SEATABLE_START_MODE=cluster")
        wanted = "private_key"
    assert out.rc == 1 and "REFUSED" in out.stdout and wanted in out.stdout, out.stdout + out.stderr


def test_a_role_refuses_a_debian_release_its_meta_does_not_list(groups, playbook):
    # These nodes run Debian 13; the redis role lists Debian 12 only.
    host = groups["dtable_servers"][0]
    refused(playbook("redis.yml", extra_inventory={"redis": {"hosts": {host: None}}}, limit=host),
            "%s runs Debian 13 (trixie); the redis role supports Debian 12 (bookworm). Run it on one of those; "
            "nothing was changed." % host)
