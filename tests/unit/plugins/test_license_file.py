"""license_file: naming, mode, checksums, expiry."""

import datetime
import grp
import os
import pwd

from ansible_collections.filesync.cluster.plugins.modules import license_file as module

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def seafile_license(expires):
    return ('Name = "Example"\nLicencetype = "User"\nLicenceKEY = "abc"\nProductID = "Seafile server"\n'
            'Expiration = "%s"\nMaxUsers = "100"\nMode = "subscription"\n' % expires)


def future():
    return (datetime.date.today() + datetime.timedelta(days=365)).isoformat()


def test_installs_seafile_license_under_the_name_seafile_reads(run_module, tmp_path):
    result = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME))
    path = tmp_path / "seafile-license.txt"
    assert result["changed"] and result["path"] == str(path)
    assert result["expiration"] == future()
    assert path.read_text() == seafile_license(future())
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    again = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME))
    assert not again["changed"] and again["checksum"] == result["checksum"]


def test_check_and_diff_mode_change_nothing(run_module, tmp_path):
    result = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME),
                        check_mode=True, diff=True)
    assert result["changed"]
    assert result["diff"]["after"] == seafile_license(future())
    assert not (tmp_path / "seafile-license.txt").exists()


def test_mode_drift_is_repaired(run_module, tmp_path):
    run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME, group=MY_GROUP))
    os.chmod(tmp_path / "seafile-license.txt", 0o644)
    result = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME, group=MY_GROUP))
    assert result["changed"]
    assert oct((tmp_path / "seafile-license.txt").stat().st_mode & 0o777) == "0o640"


def test_refuses_an_expired_seafile_license(run_module, tmp_path):
    result = run_module(module, dict(content=seafile_license("2020-01-31"), dest=str(tmp_path), owner=ME))
    assert result["failed"]
    assert result["msg"].startswith("The Seafile license expired on 2020-01-31")
    assert not (tmp_path / "seafile-license.txt").exists()


def test_refuses_an_empty_or_missing_source(run_module, tmp_path):
    empty = run_module(module, dict(content="  \n", dest=str(tmp_path), owner=ME))
    assert empty["failed"] and empty["msg"].startswith("The license source is empty")
    missing = run_module(module, dict(src=str(tmp_path / "nope"), dest=str(tmp_path), owner=ME))
    assert missing["failed"] and missing["msg"] == "License source %s does not exist on this host." % (tmp_path / "nope")


def test_refuses_a_seafile_license_without_expiration(run_module, tmp_path):
    result = run_module(module, dict(content="just text\n", dest=str(tmp_path), owner=ME))
    assert result["failed"] and "has no Expiration" in result["msg"]


def test_generic_license_from_a_file_with_its_own_name(run_module, tmp_path):
    source = tmp_path / "pf.lic"
    source.write_text("powerfolder-license-key\n")
    dest = tmp_path / "app"
    dest.mkdir()
    result = run_module(module, dict(application="generic", src=str(source), dest=str(dest),
                                     filename="PowerFolder.license", owner=ME, mode="0600"))
    assert result["changed"] and "expiration" not in result
    assert (dest / "PowerFolder.license").read_text() == "powerfolder-license-key\n"
    assert oct((dest / "PowerFolder.license").stat().st_mode & 0o777) == "0o600"
