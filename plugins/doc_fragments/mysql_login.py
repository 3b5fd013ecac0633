# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Login options shared by the collection's MariaDB modules."""

from __future__ import annotations


class ModuleDocFragment:
    """Documentation of the login options in plugins/module_utils/mysql_login.py."""

    DOCUMENTATION = r"""
options:
  login_host:
    description:
      - Host of the MariaDB server. Ignored when O(login_unix_socket) is set.
    type: str
    default: localhost
  login_port:
    description:
      - TCP port of the MariaDB server.
    type: int
    default: 3306
  login_user:
    description:
      - User to log in as. With a Unix socket and no password, C(root) uses
        socket authentication on Debian.
    type: str
    default: root
  login_password:
    description:
      - Password of O(login_user).
    type: str
  login_unix_socket:
    description:
      - Unix socket of the MariaDB server, for example C(/run/mysqld/mysqld.sock).
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the connection.
    type: int
    default: 10
requirements:
  - PyMySQL on the host the module runs on.
"""
