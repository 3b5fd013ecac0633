"""playbooks/status.yml on the Aegir scenario: exit 0, a row per Pack host and the platforms share."""

from status_rows import healthy, hosts_of


def test_status_has_the_aegir_rows_and_exits_0(playbook, groups):
    rows = healthy(playbook("status.yml"))
    pack = sorted(groups["aegir_master"] + groups["aegir_web"])
    for tier in ("aegir", "nfs"):
        assert hosts_of(rows, tier) == pack, (tier, rows)
