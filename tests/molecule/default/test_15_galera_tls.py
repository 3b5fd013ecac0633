"""MariaDB Galera over TLS (galera_tls_enabled, on by default): replication and
state transfer with the certificates the pki role made for the lab."""

PROVIDER_OPTIONS = "mariadb --batch --skip-column-names --execute 'SELECT @@GLOBAL.wsrep_provider_options'"


def test_every_member_replicates_over_tls_only(groups, node):
    for name in groups["galera"]:
        options = node(name).check_output(PROVIDER_OPTIONS)
        assert "socket.ssl = YES" in options, (name, options)
        assert "socket.ssl_ca = /etc/galera-tls/ca.crt" in options, (name, options)
        # The bridge of a switch from plain is gone: no plain peer is accepted.
        assert "socket.dynamic = YES" not in options, (name, options)


def test_the_key_is_private_to_mariadb_and_state_transfers_are_encrypted(groups, node):
    for name in groups["galera"]:
        host = node(name)
        key = host.file("/etc/galera-tls/host.key")
        assert key.mode == 0o640 and key.user == "root" and key.group == "mysql", name
        config = host.file("/etc/mysql/mariadb.conf.d/99-filesync-galera.cnf").content_string
        assert '[sst]\nencrypt = "3"\ntca = "/etc/galera-tls/ca.crt"' in config, name
