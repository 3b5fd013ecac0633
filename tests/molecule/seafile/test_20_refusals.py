"""What the stand-in refuses (as the real server would) and what preflight refuses."""

import pytest

from conftest import refused

STANDIN = "/opt/seafile/seafile-server-latest"


@pytest.fixture
def broken_conf(groups, node):
    """A scratch copy of conf/ the test can break; the live one is untouched."""
    host = node(groups["seafile_nodes"][0])
    host.check_output("rm -rf /tmp/conf-test && cp -a /opt/seafile/conf /tmp/conf-test")
    yield host, "/tmp/conf-test"
    host.check_output("rm -rf /tmp/conf-test")


def check(host, conf):
    return host.run("SEAFILE_CENTRAL_CONF_DIR=%s python3 %s/seafile/bin/seaf-server --check" % (conf, STANDIN))


def test_the_generated_configuration_passes(broken_conf):
    host, conf = broken_conf
    assert check(host, conf).rc == 0


def test_refuses_a_missing_cluster_section(broken_conf):
    host, conf = broken_conf
    host.check_output("python3 -c \"import re; p='%s/seafile.conf'; s=open(p).read(); "
                      "open(p,'w').write(re.sub(r'\\[cluster\\][^\\[]*', '', s))\"" % conf)
    out = check(host, conf)
    assert out.rc == 1 and "seafile.conf has no [cluster] section" in out.stderr


def test_refuses_an_unparsable_config(broken_conf):
    host, conf = broken_conf
    host.check_output("echo 'this is not ini' >> %s/seafile.conf" % conf)
    out = check(host, conf)
    assert out.rc == 1 and "failed to load config file" in out.stderr


def test_refuses_malformed_memcached_options(broken_conf):
    host, conf = broken_conf
    host.check_output("sed -i 's/--POOL-MIN=10/--POOL-MIN=ten/' %s/seafile.conf" % conf)
    out = check(host, conf)
    assert out.rc == 1 and "memcached_options is malformed" in out.stderr


def test_seahub_refuses_file_avatars(broken_conf):
    host, conf = broken_conf
    host.check_output("sed -i 's/^AVATAR_FILE_STORAGE = .*/AVATAR_FILE_STORAGE = \"x\"/' %s/seahub_settings.py" % conf)
    out = host.run("cd %s/seahub && SEAFILE_CENTRAL_CONF_DIR=%s PYTHONPATH=.:thirdpart:%s python3 manage.py check"
                   % (STANDIN, conf, conf))
    assert out.rc != 0 and "must store avatars in the database" in out.stderr


def test_preflight_refuses_no_background_node(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_background_tasks": False}, tags="seafile_node_preflight"),
            "Exactly one Seafile node must run the background tasks")


def test_preflight_refuses_two_background_nodes(playbook, groups):
    two = "{{ inventory_hostname in groups['seafile_nodes'][:2] }}"
    refused(playbook("seafile.yml", extra_vars={"seafile_node_background_tasks": two}, tags="seafile_node_preflight"),
            "now 2 do (%s, %s)" % tuple(groups["seafile_nodes"][:2]))


def test_preflight_refuses_a_node_address_as_server_address(playbook, groups):
    url = "http://%s" % groups["seafile_nodes"][1]
    refused(playbook("seafile.yml", extra_vars={"seafile_node_service_url": url}, tags="seafile_node_preflight"),
            "seafile_node_service_url must be the load balancer's URL")


def test_preflight_refuses_a_url_archive_without_checksum(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_archive": "https://example.invalid/seafile.tar.gz"}, tags="seafile_node_preflight"),
            "Set seafile_node_archive to the Seafile Professional archive")


def test_preflight_refuses_a_missing_database_password(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_db_password": ""}, tags="seafile_node_preflight"),
            "seafile_node_db_password must be set in the inventory or a vault")


def test_preflight_refuses_an_unsupported_version(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_version": "5.1.0"}, tags="seafile_node_preflight"),
            "seafile_node_version '5.1.0' is not supported")


def test_preflight_refuses_an_archive_missing_on_the_controller(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_archive": "/nonexistent/seafile.tar.gz"}, tags="seafile_node_preflight"),
            "seafile_node_archive /nonexistent/seafile.tar.gz does not exist on the controller.")


def test_preflight_refuses_a_cluster_without_a_shared_cache(playbook):
    result = playbook("seafile.yml", extra_vars={"memcached_group": "no_such_group"}, tags="seafile_node_preflight")
    refused(result, "Seafile nodes share sessions through the cache: put the memcached nodes in group")
    assert "no_such_group" in result[1]


def test_preflight_refuses_thumbnails_without_a_shared_folder(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_thumbnails_enabled": True, "seafile_node_thumbnail_root": ""}, tags="seafile_node_preflight"),
            "With thumbnails on, seafile_node_thumbnail_root must be a shared folder.")


def test_preflight_refuses_a_password_the_ini_readers_cannot_share(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_db_password": "50%off"}, tags="seafile_node_preflight"),
            "seafile_node_db_password contains '%'")


def test_preflight_refuses_an_override_with_a_newline(playbook):
    overrides = {"seafevents.conf": {"DATABASE": {"password": "two\nlines"}}}
    refused(playbook("seafile.yml", extra_vars={"seafile_node_config_overrides": overrides}, tags="seafile_node_preflight"),
            "seafile_node_config_overrides[seafevents.conf][DATABASE][password] contains '\\n' (newline")


def test_preflight_refuses_an_incomplete_s3_backend(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_storage": "s3", "seafile_node_s3_commit_bucket": "c"},
                     tags="seafile_node_preflight"),
            "missing seafile_node_s3_fs_bucket, seafile_node_s3_block_bucket, seafile_node_s3_key_id, seafile_node_s3_key")


def test_preflight_refuses_shared_storage_owned_by_someone_else(playbook, groups, node):
    last = groups["seafile_nodes"][-1]
    node(last).check_output("chown 3000:3000 /srv/filesync")
    try:
        refused(playbook("seafile.yml", tags="seafile_node_preflight"),
                "On %s: /srv/filesync is owned by UID 3000 / GID 3000." % last)
    finally:
        node(last).check_output("chown 2000:2000 /srv/filesync")


def test_a_galera_password_an_option_file_cannot_hold_is_refused(playbook):
    refused(playbook("galera.yml", extra_vars={"galera_sst_password": "x" * 4100}, tags="galera_preflight"),
            "more than a MariaDB option file can hold on one line (4000)")


def test_a_galera_override_the_option_file_cannot_hold_is_refused(playbook):
    refused(playbook("galera.yml", extra_vars={"galera_config_overrides": {"mysqld": {"init_connect": "x" * 4100}}},
                     tags="galera_preflight"),
            "galera_config_overrides[mysqld][init_connect] contains 4102 bytes once quoted, more than a MariaDB option file can hold")


def test_preflight_refuses_a_password_pymysql_cannot_log_in_with(playbook):
    refused(playbook("seafile.yml", extra_vars={"seafile_node_db_password": "caf\u00e9"}, tags="seafile_node_preflight"),
            "seafile_node_db_password contains '\u00e9', which a PyMySQL login (it sends the password as Latin-1)")


def test_preflight_refuses_nodes_with_different_secret_keys(playbook, groups, node):
    last = node(groups["seafile_nodes"][-1])
    settings = "/opt/seafile/conf/seahub_settings.py"
    last.check_output("cp -p %s /tmp/seahub_settings.py.bak && sed -i 's/^SECRET_KEY = .*/SECRET_KEY = \"other\"/' %s"
                      % (settings, settings))
    try:
        refused(playbook("seafile.yml", tags="seafile_node_preflight"),
                "The Seafile nodes have different SECRET_KEYs")
    finally:
        last.check_output("cp -p /tmp/seahub_settings.py.bak %s" % settings)


def test_preflight_refuses_a_database_installation_without_any_node_configuration(playbook, groups, node):
    for name in groups["seafile_nodes"]:
        node(name).check_output("mv /opt/seafile/conf /opt/seafile/conf.test-away")
    try:
        refused(playbook("seafile.yml", tags="seafile_node_preflight"),
                "Database ccnet_db already holds a Seafile installation, but no node of 'seafile_nodes' has its "
                "configuration, so setup would make a second SECRET_KEY.")
    finally:
        for name in groups["seafile_nodes"]:
            node(name).check_output("mv /opt/seafile/conf.test-away /opt/seafile/conf")
