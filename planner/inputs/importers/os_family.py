"""Windows or Linux from the OS text an inventory gives (licence pricing needs no more than that).

Sources spell the OS many ways: ``Microsoft Windows Server 2019 (64-bit)``, ``Windows``,
``Red Hat Enterprise Linux 8.8 (Ootpa)``, ``RHEL``, ``Ubuntu 22.04.3 LTS``, ``SLES 15 SP4``,
``CentOS 7``, ``Debian GNU/Linux 12``, ``Oracle Linux 8``, ``Other 3.x or later Linux
(64-bit)``. Anything else (FreeBSD, Solaris, ``Other (64-bit)``, a blank cell) cannot be told:
the importer leaves ``os`` out and warns, rather than guess a licence.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

OsFamily = Literal["linux", "windows"]

_WINDOWS = re.compile(r"\bwindows\b|\bwin\s?(?:2k\d*|20[01]\d|nt|xp|vista|7|8|10|11)\b|\bhyper-v server\b")
# Distributions and their usual short forms; every one is a Linux (licence-free) guest.
_LINUX = re.compile(
    r"\blinux\b|\bgnu\b|\brhel\d*\b|\bred ?hat\b|\bcentos\b|\bubuntu\b|\bdebian\b|\b(?:open)?suse\b|\bsles\d*\b"
    r"|\bsled\b|\bfedora\b|\brocky\b|\balma(?:linux)?\b|\bphoton\b|\bcoreos\b|\bflatcar\b|\balpine\b|\bmint\b"
    r"|\bgentoo\b|\basianux\b|\bkylin\b|\bopeneuler\b|\bmageia\b|\bmandriva\b|\bcbl-mariner\b|\boracle ?linux\b"
    r"|\bol\d+\b|\bamzn\b|\bclear linux\b"
)


def os_family(name: str) -> Optional[OsFamily]:
    """``windows`` or ``linux`` for an OS name, None when the text does not say which."""
    lowered = " ".join(name.lower().split())
    if not lowered:
        return None
    if _WINDOWS.search(lowered):
        return "windows"
    if _LINUX.search(lowered):
        return "linux"
    return None


def unknown_os_message(name: str) -> str:
    """The warning for an OS that is neither Windows nor Linux (or not given)."""
    if not name.strip():
        return "no OS given: os left out (the planner prices it as linux; add os: windows if it is)"
    return (f"cannot tell Windows from Linux by the OS {name!r}: os left out "
            "(the planner prices it as linux; add os: windows if it is)")
