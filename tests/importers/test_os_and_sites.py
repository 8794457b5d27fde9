"""Telling Windows from Linux by the OS text, and turning site templates into site ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.inputs.importers.os_family import os_family
from planner.inputs.importers.sites import TemplateError, parse_template, site_part
from planner.inputs.load import validate_workload


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("Microsoft Windows Server 2019 (64-bit)", "windows"), ("Windows Server 2022 Datacenter", "windows"),
        ("Microsoft Windows 10 Enterprise", "windows"), ("WINDOWS", "windows"), ("win2k19", "windows"),
        ("Red Hat Enterprise Linux 8.8 (Ootpa)", "linux"), ("RHEL 9.2", "linux"), ("rhel8", "linux"),
        ("Ubuntu 22.04.3 LTS", "linux"), ("SUSE Linux Enterprise Server 15 SP4", "linux"), ("SLES 12 SP5", "linux"),
        ("openSUSE Leap 15.5", "linux"), ("CentOS Linux 7 (Core)", "linux"), ("Debian GNU/Linux 12", "linux"),
        ("Oracle Linux Server 8.7", "linux"), ("Rocky Linux 9", "linux"), ("AlmaLinux 9.3", "linux"),
        ("VMware Photon OS (64-bit)", "linux"), ("Other 3.x or later Linux (64-bit)", "linux"), ("Linux", "linux"),
        ("FreeBSD 13.2-RELEASE", None), ("Other (64-bit)", None), ("Oracle Solaris 11 (64-bit)", None),
        ("", None), ("   ", None), ("VMware ESXi 7.0", None),
    ],
)  # fmt: skip
def test_os_family(name: str, family: object):
    assert os_family(name) == family


@given(st.text(max_size=60))
def test_os_family_never_fails_and_windows_wins_when_named(text: str):
    assert os_family(text) in (None, "linux", "windows")
    assert os_family(f"Microsoft Windows {text}") == "windows" or "windows" not in f"microsoft windows {text}".lower()


@pytest.mark.parametrize(
    ("value", "part"),
    [("DC Madrid", "dc-madrid"), ("CL-MAD-PROD 01", "cl-mad-prod-01"), ("esx01.corp.example", "esx01.corp.example"),
     ("Zürich / Süd", "zurich-sud"), ("  --Edge--  ", "edge"), ("***", "")],
)
def test_site_parts(value: str, part: str):
    assert site_part(value) == part


def test_templates_render_and_refuse():
    template = parse_template("{datacenter}-{cluster}", ("datacenter", "cluster", "host"))
    assert template.placeholders == ("datacenter", "cluster")
    assert template.render({"datacenter": "DC Madrid", "cluster": "CL-MAD-PROD 01"}) == "dc-madrid-cl-mad-prod-01"
    assert parse_template("mad-dc1", ()).render({}) == "mad-dc1"
    for bad, message in [("az-{region}", "unknown placeholder {region}"), ("{cluster", "unmatched brace"),
                         ("mad dc1", "is not a site id"), ("-{host}", "is not a site id")]:
        with pytest.raises(TemplateError, match=message.replace("{", r"\{")):
            parse_template(bad, ("datacenter", "cluster", "host"))


_NAMES = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40)


@given(_NAMES, _NAMES)
def test_a_rendered_site_is_always_a_valid_site_id(datacenter: str, cluster: str):
    template = parse_template("{datacenter}-{cluster}", ("datacenter", "cluster"))
    if site_part(datacenter) and site_part(cluster):
        site = template.render({"datacenter": datacenter, "cluster": cluster})
        validate_workload({"id": "w", "app": "a", "env": "prod", "vcpu": 1, "memory_gb": 1,
                                 "current_site": site})
        assert site == site.lower()
