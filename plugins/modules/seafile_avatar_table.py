#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create Seafile's avatar_uploaded table."""

from __future__ import annotations

DOCUMENTATION = r"""
module: seafile_avatar_table
short_description: Create the avatar_uploaded table a Seafile cluster stores avatars in
version_added: 0.1.0
description:
  - In a Seafile Professional cluster seahub keeps avatars in the database
    (C(AVATAR_FILE_STORAGE = 'seahub.base.database_storage.DatabaseStorage')),
    in a table named C(avatar_uploaded) of the seahub database.
  - Creates that table with exactly the vendor's schema when it is missing.
    Reports C(changed) only when it created it.
  - Fails, naming every difference, when a table of that name exists with
    another schema; it never alters or drops a table.
  - Run it once per cluster (C(run_once)); Galera replicates the table.
options:
  database:
    description:
      - The seahub database.
    type: str
    required: true
extends_documentation_fragment:
  - filesync.cluster.mysql_login
attributes:
  check_mode:
    support: full
    description: Reports whether the table would be created.
  diff_mode:
    support: full
    description: Shows the table definition it creates.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Create the avatar table in the seahub database
  filesync.cluster.seafile_avatar_table:
    database: seahub_db
    login_unix_socket: /run/mysqld/mysqld.sock
  run_once: true

- name: The same through the load balancer with a password
  filesync.cluster.seafile_avatar_table:
    database: seahub_db
    login_host: db.example.com
    login_user: seafile
    login_password: "{{ vault_seafile_db_password }}"
  run_once: true
"""

RETURN = r"""
created:
  description: Whether the table was (or in check mode would be) created.
  returned: always
  type: bool
  sample: true
statement:
  description: The CREATE TABLE statement of the vendor's schema.
  returned: always
  type: str
  sample: CREATE TABLE `avatar_uploaded` (...)
columns:
  description: The table's columns after the run, as name, type, nullable and key.
  returned: when the table exists after the run
  type: list
  elements: dict
  sample: [{"name": "filename", "type": "text", "nullable": false, "key": ""}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.filesync.cluster.plugins.module_utils.mysql_login import (
    connect,
    login_argument_spec,
    quote_identifier,
)

TABLE = "avatar_uploaded"
# The vendor's schema (Seafile cluster manual, "Update Seahub Database").
STATEMENT = (
    "CREATE TABLE `avatar_uploaded` (`filename` TEXT NOT NULL, `filename_md5` CHAR(32) NOT NULL PRIMARY KEY, "
    "`data` MEDIUMTEXT NOT NULL, `size` INTEGER NOT NULL, `mtime` datetime NOT NULL)"
)
EXPECTED = [
    {"name": "filename", "type": "text", "nullable": False, "key": ""},
    {"name": "filename_md5", "type": "char(32)", "nullable": False, "key": "PRI"},
    {"name": "data", "type": "mediumtext", "nullable": False, "key": ""},
    {"name": "size", "type": "int(11)", "nullable": False, "key": ""},
    {"name": "mtime", "type": "datetime", "nullable": False, "key": ""},
]


def read_columns(cursor, database):
    cursor.execute(
        "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (database, TABLE),
    )
    return [
        {"name": name, "type": column_type.lower(), "nullable": nullable == "YES", "key": key}
        for name, column_type, nullable, key in cursor.fetchall()
    ]


def differences(columns):
    """What differs from the vendor's schema, in words."""
    problems = []
    found = {c["name"]: c for c in columns}
    for want in EXPECTED:
        have = found.get(want["name"])
        if have is None:
            problems.append("column %s is missing" % want["name"])
            continue
        # int and int(11) are the same type; MariaDB shows the display width.
        if have["type"].replace("int(11)", "int") != want["type"].replace("int(11)", "int"):
            problems.append("column %s is %s, not %s" % (want["name"], have["type"], want["type"]))
        if have["nullable"]:
            problems.append("column %s allows NULL" % want["name"])
        if have["key"] != want["key"]:
            problems.append("column %s has key '%s', not '%s'" % (want["name"], have["key"], want["key"]))
    for name in found:
        if name not in [w["name"] for w in EXPECTED]:
            problems.append("unexpected column %s" % name)
    return problems


def main():
    argument_spec = login_argument_spec()
    argument_spec.update(database=dict(type="str", required=True))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    database = module.params["database"]

    connection = connect(module)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,))
            if cursor.fetchone() is None:
                module.fail_json(msg="Database %s does not exist: run the Seafile setup (it creates the seahub "
                                     "database) before creating the avatar table." % database)
            columns = read_columns(cursor, database)
            result = dict(changed=False, created=False, statement=STATEMENT)
            if columns:
                problems = differences(columns)
                if problems:
                    module.fail_json(
                        msg="Table %s.%s exists with another schema than Seafile's: %s. Seahub cannot store avatars "
                            "in it; rename or drop it after checking its data, then re-run."
                            % (database, TABLE, "; ".join(problems)),
                        columns=columns, **result)
                module.exit_json(columns=columns, **result)
            result.update(changed=True, created=True,
                          diff=dict(before="", after=STATEMENT + "\n",
                                    before_header="%s.%s (missing)" % (database, TABLE),
                                    after_header="%s.%s" % (database, TABLE)))
            if module.check_mode:
                module.exit_json(**result)
            cursor.execute("USE %s" % quote_identifier(database))
            cursor.execute(STATEMENT)
            result["columns"] = read_columns(cursor, database)
            module.exit_json(**result)
    finally:
        connection.close()


if __name__ == "__main__":
    main()
