"""Every role refuses a system its meta/main.yml does not list (filter filesync.cluster.platform_problems)."""


import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.filesync.cluster.plugins.filter.platform import platform_problems
from render import PROJECT, ROLES

# pki runs on the controller only (any system that runs Ansible): no host to check.
CONTROLLER_ROLES = {"pki"}


def meta(role):
    return yaml.safe_load((PROJECT / "roles" / role / "meta" / "main.yml").read_text())


def facts(name="Debian", release="bookworm", version="12.11"):
    return {"distribution": name, "distribution_release": release, "distribution_version": version}


ONLY_BOOKWORM = {"galaxy_info": {"platforms": [{"name": "Debian", "versions": ["bookworm"]}]}}
BOTH = {"galaxy_info": {"platforms": [{"name": "Debian", "versions": ["bookworm", "trixie"]}]}}


def test_a_listed_release_passes():
    assert platform_problems(facts(), ONLY_BOOKWORM, "n1", "memcached") == []
    assert platform_problems(facts(release="trixie", version="13.2"), BOTH, "n1", "galera") == []


def test_a_debian_release_the_role_does_not_list_is_refused_with_numbers():
    assert platform_problems(facts(release="trixie", version="13.2"), ONLY_BOOKWORM, "n1", "memcached") == [
        "n1 runs Debian 13 (trixie); the memcached role supports Debian 12 (bookworm). "
        "Run it on one of those; nothing was changed."]
    assert platform_problems(facts(release="bullseye", version="11.9"), BOTH, "n2", "galera") == [
        "n2 runs Debian 11 (bullseye); the galera role supports Debian 12 (bookworm), Debian 13 (trixie). "
        "Run it on one of those; nothing was changed."]


def test_another_system_is_refused_naming_its_version():
    assert platform_problems(facts("Ubuntu", "noble", "24.04"), BOTH, "n1", "galera") == [
        "n1 runs Ubuntu 24.04 (noble); the galera role supports Debian 12 (bookworm), Debian 13 (trixie). "
        "Run it on one of those; nothing was changed."]
    # Same code name, another distribution: still refused.
    assert platform_problems(facts("Devuan", "bookworm", "5"), BOTH, "n1", "galera")


def test_without_distribution_facts_it_says_how_to_gather_them():
    for missing in ({}, None, {"distribution": "Debian"}):
        (problem,) = platform_problems(missing, ONLY_BOOKWORM, "n1", "nfs")
        assert problem.startswith("No distribution facts for n1: gather them (ansible.builtin.setup, gather_subset distribution)")
        assert problem.endswith("It supports Debian 12 (bookworm).")


@pytest.mark.parametrize("bad", [None, [], {"galaxy_info": {}}, {"galaxy_info": {"platforms": []}}])
def test_a_role_without_platforms_is_an_error_not_a_pass(bad):
    with pytest.raises(AnsibleFilterError):
        platform_problems(facts(), bad, "n1", "x")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_supports_bookworm_and_trixie_only_where_listed_and_refuses_other_systems(role):
    listed = [v for p in meta(role)["galaxy_info"]["platforms"] for v in p["versions"]]
    assert set(listed) <= {"bookworm", "trixie"}, listed
    for release, version in (("bookworm", "12.11"), ("trixie", "13.2")):
        assert (platform_problems(facts(release=release, version=version), meta(role), "h", role) == []) == (release in listed)
    assert platform_problems(facts("Ubuntu", "noble", "24.04"), meta(role), "h", role)


@pytest.mark.parametrize("role", sorted(set(ROLES) - CONTROLLER_ROLES))
def test_each_role_s_preflight_checks_the_platform_first(role):
    first = yaml.safe_load((PROJECT / "roles" / role / "tasks" / "preflight.yml").read_text())[0]
    assert first["name"] == "Refuse a system this role does not support (the platforms of its meta/main.yml)"
    problems = "__%s_platform_problems" % role
    assert first["ansible.builtin.assert"]["that"] == ["%s | length == 0" % problems]
    expression = " ".join(first["vars"][problems].split())
    assert expression == ("{{ ansible_facts | filesync.cluster.platform_problems(lookup('ansible.builtin.file', "
                          "role_path ~ '/meta/main.yml') | from_yaml, inventory_hostname, '%s') }}" % role)
