# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection helpers shared by the collection's MariaDB modules (PyMySQL)."""

from __future__ import annotations

import traceback

PYMYSQL_IMPORT_ERROR = None
try:
    import pymysql
except ImportError:  # pragma: no cover - reported through the module
    pymysql = None
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()


def login_argument_spec():
    """The login options, as documented in the mysql_login doc fragment."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=3306),
        login_user=dict(type="str", default="root"),
        login_password=dict(type="str", no_log=True),
        login_unix_socket=dict(type="path"),
        connect_timeout=dict(type="int", default=10),
    )


def quote_identifier(name):
    """Quote a database, table or column name for MariaDB (backticks doubled)."""
    return "`%s`" % name.replace("`", "``")


def connect(module, database=None):
    """Open a PyMySQL connection from the module's login options, or fail_json."""
    if pymysql is None:
        module.fail_json(msg="PyMySQL is required on %s: install python3-pymysql (Debian) or pip install PyMySQL."
                         % "the target host", exception=PYMYSQL_IMPORT_ERROR)
    params = module.params
    kwargs = dict(
        user=params["login_user"],
        password=params["login_password"] or "",
        connect_timeout=params["connect_timeout"],
        charset="utf8mb4",
        autocommit=True,
    )
    if database:
        kwargs["database"] = database
    if params["login_unix_socket"]:
        kwargs["unix_socket"] = params["login_unix_socket"]
    else:
        kwargs["host"] = params["login_host"]
        kwargs["port"] = params["login_port"]
    try:
        return pymysql.connect(**kwargs)
    except pymysql.err.MySQLError as exc:
        where = params["login_unix_socket"] or "%s:%s" % (params["login_host"], params["login_port"])
        module.fail_json(msg="Cannot log in to MariaDB at %s as %s: %s. Check login_user/login_password "
                             "(or login_unix_socket) and that the server is running." % (where, params["login_user"], exc))
    return None  # not reached: fail_json exits
