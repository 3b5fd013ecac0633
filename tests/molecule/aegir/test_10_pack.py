"""The Pack does what Aegir does: as aegir on the master, push the web server
configuration to each slave over SSH/rsync and reload it through sudo; each
slave then serves the site from platform code only the master wrote."""

import uuid

import pytest
from conftest import http

SITE = "site1.example.com"


def as_aegir(node, host, command):
    return node(host).run("runuser -u aegir -- %s" % command)


@pytest.fixture(scope="module")
def pushed(groups, node):
    """Aegir's push: rsync /var/aegir/config/ to every slave, then reload it."""
    master = groups["aegir_master"][0]
    results = {}
    for slave in groups["aegir_web"]:
        sync = as_aegir(node, master, "rsync -a --delete -e 'ssh -o BatchMode=yes' /var/aegir/config/ %s:/var/aegir/config/" % slave)
        reload = as_aegir(node, master, "ssh -o BatchMode=yes %s sudo -n /usr/sbin/apache2ctl graceful" % slave)
        results[slave] = (sync, reload)
    return results


def test_aegir_pushes_its_configuration_over_ssh_without_a_prompt_and_reloads_through_sudo(groups, node, pushed):
    for slave, (sync, reload) in pushed.items():
        assert sync.rc == 0, sync.stderr
        assert reload.rc == 0, reload.stderr
        vhost = node(slave).file("/var/aegir/config/vhost.d/%s" % SITE)
        assert vhost.exists and vhost.user == "aegir"


def test_every_other_sudo_command_is_refused(groups, node):
    master = groups["aegir_master"][0]
    for slave in groups["aegir_web"]:
        for command in ("/bin/true", "/usr/sbin/apache2ctl2", "/bin/sh -c id", "/usr/bin/systemctl reload apache2"):
            refused = as_aegir(node, master, "ssh -o BatchMode=yes %s sudo -n %s" % (slave, command))
            assert refused.rc != 0 and "a password is required" in refused.stderr, (command, refused.stdout, refused.stderr)
        sudoers = node(slave).file("/etc/sudoers.d/aegir")
        assert sudoers.mode == 0o440 and sudoers.user == "root"


def get(py, host, url):
    """GET url from host with the site's Host header: (status, body)."""
    return tuple(http(py, host, "req = urllib.request.Request(%r, headers={'Host': %r})\n"
                                "r = urllib.request.urlopen(req, timeout=10)\n"
                                "print(json.dumps([r.status, r.read().decode()]))" % (url, SITE)))


def test_each_slave_serves_the_site_from_code_only_the_master_wrote(groups, node, py, pushed):
    master = groups["aegir_master"][0]
    marker = uuid.uuid4().hex
    page = "/var/aegir/platforms/drupal-7.100/%s.php" % marker
    written = as_aegir(node, master, "sh -c \"printf '<?php echo \\\"%s \\\" . gethostname();' > %s\"" % (marker, page))
    assert written.rc == 0, written.stderr
    for slave in groups["aegir_web"]:
        code = node(slave).file(page)
        assert code.user == "aegir" and code.group == "aegir"
        assert get(py, master, "http://%s/%s.php" % (slave, marker)) == (200, "%s %s" % (marker, slave))
        status, index = get(py, master, "http://%s/" % slave)
        assert status == 200 and index.startswith("site %s served by %s from /var/aegir/platforms/drupal-7.100/index.php"
                                                  % (SITE, slave)), index


def test_the_aegir_user_is_the_same_everywhere_with_a_login_shell_in_the_web_group(groups, node):
    for name in groups["aegir_master"] + groups["aegir_web"]:
        user = node(name).user("aegir")
        assert user.uid == 2300 and user.gid == 2300 and user.home == "/var/aegir"
        assert user.shell == "/bin/bash"
    for name in groups["aegir_web"]:
        assert "www-data" in node(name).user("aegir").groups


def test_apache_has_rewrite_and_includes_aegirs_file(groups, node):
    for name in groups["aegir_web"]:
        modules = node(name).check_output("apache2ctl -M")
        assert "rewrite_module" in modules and "php" in modules
        link = node(name).file("/etc/apache2/conf-enabled/aegir.conf")
        assert link.is_symlink and link.linked_to == "/var/aegir/config/apache.conf"
        for package in ("rsync", "php-mysql", "default-mysql-client", "sudo"):
            assert node(name).package(package).is_installed


def test_the_master_exports_the_platforms_to_the_slaves_only(groups, node, address):
    master = groups["aegir_master"][0]
    config = node(master).file("/etc/ganesha/ganesha.conf").content_string
    clients = [line.split("=", 1)[1].strip(" ;") for line in config.splitlines() if line.strip().startswith("Clients =")]
    assert clients == [", ".join(address(name) for name in groups["aegir_web"])]
    assert 'Path = "/var/aegir/platforms";' in config and "Squash = Root_Squash;" in config
    for slave in groups["aegir_web"]:
        listing = node(slave).run("nfs-ls 'nfs://%s/var/aegir/platforms?uid=2300&gid=2300'" % address(master))
        assert listing.rc == 0 and "drupal-7.100" in listing.stdout, listing.stderr
        unit = node(slave).file("/etc/systemd/system/var-aegir-platforms.mount").content_string
        assert "What=%s:/var/aegir/platforms" % address(master) in unit and "Where=/var/aegir/platforms" in unit


def test_the_master_knows_each_slave_by_its_own_host_key(groups, node, address):
    master = groups["aegir_master"][0]
    known = node(master).file("/var/aegir/.ssh/known_hosts")
    assert known.user == "aegir"
    for slave in groups["aegir_web"]:
        key = " ".join(node(slave).file("/etc/ssh/ssh_host_ed25519_key.pub").content_string.split()[:2])
        assert "%s %s" % (slave, key) in known.content_string
        assert "%s %s" % (address(slave), key) in known.content_string
