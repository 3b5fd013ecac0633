"""The systemd readers of config_value_problems against systemd itself: every
hostile value the rules let through comes back unchanged from a unit file
(user and group names have rules of their own: USER_NAME below, what roles
check them against)."""

import re
import shlex

import pytest
from conftest import PROJECT

UNIT = "/run/systemd/system/filesync-reader-test.service"
USER_NAME = r"^[a-z_][a-z0-9_-]{0,31}$"
HOSTILE = ["Sst#2024", "p%w", "%(here)s", "back\\slash", 'quote"s', "it's", "sp ace", " lead", "trail ",
           "semi;colon", "non-ASCII é ü 中", "tab\there", "$HOME", "=eq", "col:on", "' # '", "/opt/pf-1.2/bin/start@x+y", "powerfolder", "_svc-1"]


def problems(value, reader):
    import sys
    sys.path.insert(0, str(PROJECT / "collections"))
    from ansible_collections.filesync.cluster.plugins.filter.config_value import config_value_problems
    return config_value_problems(value, [reader])


@pytest.mark.parametrize("value", HOSTILE)
def test_values_the_systemd_rules_accept_come_back_from_systemd(groups, node, value):
    host = node(groups["galera"][0])
    text_ok, word_ok = not problems(value, "systemd_text"), not problems(value, "systemd_word")
    if not text_ok and not word_ok:
        pytest.skip("refused by both rules")
    user_ok = word_ok and re.match(USER_NAME, value)
    path = value if value.startswith("/") else "/" + value
    unit = "[Unit]\nDescription=%s\n[Service]\nType=oneshot\nExecStart=/bin/true\n%s%s" % (
        value if text_ok else "x", "WorkingDirectory=%s\nEnvironment=HOME=%s\n" % (path, path) if word_ok else "",
        "User=%s\n" % value if user_ok else "")
    host.check_output("printf '%%s' %s > %s && systemctl daemon-reload" % (shlex.quote(unit), UNIT))
    try:
        def show(prop):
            return host.check_output("systemctl show --property=%s --value filesync-reader-test.service" % prop)
        if text_ok:
            assert show("Description") == value
        if user_ok:
            assert show("User") == value
        if word_ok:
            assert show("WorkingDirectory") == path
            assert show("Environment") == "HOME=" + path
    finally:
        host.check_output("rm -f %s && systemctl daemon-reload" % UNIT)
