"""seafile_avatar_table against a real MariaDB."""

import pymysql
import pytest

from ansible_collections.filesync.cluster.plugins.modules import seafile_avatar_table as module


@pytest.fixture
def database(mariadb):
    name = "seahub_test"
    conn = pymysql.connect(unix_socket=mariadb["login_unix_socket"], user="root", autocommit=True)
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS seahub_test")
        cur.execute("CREATE DATABASE seahub_test")
    yield name, conn
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS seahub_test")
    conn.close()


def columns(conn):
    with conn.cursor() as cur:
        cur.execute("SHOW CREATE TABLE seahub_test.avatar_uploaded")
        return cur.fetchone()[1]


def test_creates_the_vendor_schema_once(run_module, mariadb, database):
    name, conn = database
    first = run_module(module, dict(database=name, **mariadb))
    assert first["changed"] and first["created"]
    ddl = columns(conn)
    assert "`filename` text NOT NULL" in ddl
    assert "`filename_md5` char(32) NOT NULL" in ddl
    assert "`data` mediumtext NOT NULL" in ddl
    assert "`size` int(11) NOT NULL" in ddl
    assert "`mtime` datetime NOT NULL" in ddl
    assert "PRIMARY KEY (`filename_md5`)" in ddl
    second = run_module(module, dict(database=name, **mariadb))
    assert not second["changed"] and not second["created"]


def test_check_mode_reports_without_creating(run_module, mariadb, database):
    name, conn = database
    result = run_module(module, dict(database=name, **mariadb), check_mode=True, diff=True)
    assert result["changed"] and result["created"]
    assert result["diff"]["after"].startswith("CREATE TABLE `avatar_uploaded`")
    with conn.cursor() as cur:
        cur.execute("SHOW TABLES FROM seahub_test")
        assert cur.fetchall() == ()


def test_refuses_a_table_with_another_schema(run_module, mariadb, database):
    name, conn = database
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE seahub_test.avatar_uploaded (filename TEXT, data BLOB NOT NULL)")
    result = run_module(module, dict(database=name, **mariadb))
    assert result["failed"]
    assert result["msg"].startswith("Table seahub_test.avatar_uploaded exists with another schema than Seafile's: ")
    for problem in ("column filename allows NULL", "column filename_md5 is missing", "column data is blob, not mediumtext"):
        assert problem in result["msg"]
    assert "CREATE TABLE `avatar_uploaded` (\n  `filename` text DEFAULT NULL" in columns(conn)


def test_quotes_the_database_name(run_module, mariadb):
    conn = pymysql.connect(unix_socket=mariadb["login_unix_socket"], user="root", autocommit=True)
    odd = "seahub`; DROP DATABASE mysql; --"
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE `seahub``; DROP DATABASE mysql; --`")
    try:
        result = run_module(module, dict(database=odd, **mariadb))
        assert result["created"]
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE 'mysql'")
            assert cur.fetchone() == ("mysql",)
    finally:
        with conn.cursor() as cur:
            cur.execute("DROP DATABASE `seahub``; DROP DATABASE mysql; --`")
        conn.close()


def test_fails_clearly_on_a_missing_database(run_module, mariadb):
    result = run_module(module, dict(database="nope", **mariadb))
    assert result["failed"]
    assert result["msg"] == ("Database nope does not exist: run the Seafile setup (it creates the seahub database) "
                             "before creating the avatar table.")


def test_fails_clearly_when_it_cannot_log_in(run_module, mariadb):
    result = run_module(module, dict(database="x", login_unix_socket="/nonexistent.sock"))
    assert result["failed"]
    assert result["msg"].startswith("Cannot log in to MariaDB at /nonexistent.sock as root:")
