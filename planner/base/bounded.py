"""The one door every file the planner reads goes through: regular files only, each kind within a byte limit.

A named pipe, a device, a socket or a folder is refused with its name and what it is, never opened for
reading (so never waited on); a file larger than its limit is refused before a byte is read. Each limit
has a setting that raises it (:func:`env_limit`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


class RefusedFile(OSError):
    """A file the planner will not read: not a regular file, or larger than its limit (exit 2 where it is input).

    An OSError, so every reader's existing `cannot read PATH (REASON)` handling reports it.
    """

    def __init__(self, path: str | Path, reason: str, too_large: bool = False):
        super().__init__(None, reason, str(path))
        self.too_large = too_large  # a regular file over its limit, rather than something that is not a file


def env_limit(name: str, default: int) -> int:
    """A limit a user may raise with the environment variable `name` (a whole number, `_` allowed); else `default`."""
    raw = os.environ.get(name, "").replace("_", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return default


def kind_of(mode: int) -> str:
    """What a file of this `st_mode` is, for a message: a folder, a named pipe, a device, a socket."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: str | Path, limit: int, setting: str = "") -> BinaryIO:
    """`path` opened for reading if it is a regular file of at most `limit` bytes; else :class:`RefusedFile`.

    Opened without blocking and checked on the open descriptor, so a named pipe or a device is refused, never waited
    on or read; `setting` names what raises the limit.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        before = os.stat(path)
    except OSError:
        before = None
    if before is not None and not stat.S_ISREG(before.st_mode):
        raise RefusedFile(path, f"{kind_of(before.st_mode)}, not a file the planner reads")
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFile(path, f"{kind_of(info.st_mode)}, not a file the planner reads")
        if info.st_size > limit:
            raise RefusedFile(path, f"{info.st_size:,} bytes, more than the {limit:,} this file may hold"
                                    + (f" (raise it with {setting})" if setting else ""), too_large=True)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: str | Path, limit: int, setting: str = "") -> bytes:
    """A regular file's bytes, at most `limit` of them (a file that grows while read is refused too)."""
    with open_regular(path, limit, setting) as fh:
        # read() allocates what it is asked for up front: ask for the size the file has, then what it grew by
        parts = [fh.read(os.fstat(fh.fileno()).st_size + 1)]
        total = len(parts[0])
        while total <= limit and (more := fh.read(min(1 << 20, limit + 1 - total))):
            parts.append(more)
            total += len(more)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if len(data) > limit:
        raise RefusedFile(path, f"more than the {limit:,} bytes this file may hold"
                                + (f" (raise it with {setting})" if setting else ""), too_large=True)
    return data


__all__ = ["RefusedFile", "env_limit", "kind_of", "open_regular", "read_bounded"]
