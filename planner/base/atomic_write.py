"""Files that appear whole or not at all: write a temporary file beside the target, then rename.

The temporary file is `.NAME.XXXXXXXX.tmp` beside the target, held under an exclusive `flock`
while it is written. A run killed with `kill -9` leaves it behind, unlocked: the next write of
the same target removes such leftovers, and only those (a file another live process still
holds locked is in use, not stale; nothing else in the folder is touched).

A target that exists and is not a regular file (a terminal, a pipe, `/dev/stdout`) is written
in place: a stream cannot be replaced, only written to. A target that is a folder is refused.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Union

try:  # POSIX; without it (Windows) temporary files are still cleaned up by a run that fails, not by the next one
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

Content = Union[str, bytes, Iterable[str]]
_BLOCK = 1 << 20  # streamed text is written in blocks of about this many bytes
_TMP_RANDOM = r"[a-z0-9_]{8}"  # what tempfile puts between prefix and suffix


def temp_name_pattern(name: str) -> "re.Pattern[str]":
    """The names of this module's temporary files for a target called `name`."""
    return re.compile(rf"\.{re.escape(name)}\.{_TMP_RANDOM}\.tmp")


def write_atomic(path: Union[str, Path], content: Content) -> None:
    """Write text, bytes or text chunks (streamed) so that `path` appears whole or not at all.

    Raises :class:`OSError` (with the file name) when the folder cannot be written, the disk is
    full, or `path` is a folder; the target is then unchanged.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_stream(path, content)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        lock(fd)
        write_fd(fd, content)
        os.fsync(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the mode open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def write_fd(fd: int, content: Content) -> None:
    """Write all of `content` to a file descriptor (text as UTF-8, LF line ends)."""
    for block in _blocks(content):
        view = memoryview(block)
        while view:
            view = view[os.write(fd, view):]


def _blocks(content: Content) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
        return
    if isinstance(content, str):
        yield content.encode("utf-8")
        return
    buf: list[bytes] = []
    size = 0
    for chunk in content:
        data = chunk.encode("utf-8")
        buf.append(data)
        size += len(data)
        if size >= _BLOCK:
            yield b"".join(buf)
            buf, size = [], 0
    if buf:
        yield b"".join(buf)


def _write_stream(path: Path, content: Content) -> None:
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        write_fd(fd, content)
    finally:
        os.close(fd)


def lock(fd: int, wait: bool = True) -> bool:
    """Take an exclusive `flock` on `fd`: True when held, False when another process holds it and `wait` is False.

    On a file system without locks it returns True unlocked; :func:`is_stale` never calls such files stale.
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def is_stale(path: Path) -> bool:
    """Whether the temporary file or folder `path` was left by a process that is gone (nobody holds its lock)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held by a live writer, or no locks on this file system: not provably stale
    finally:
        os.close(fd)
    return True


def remove_stale_temp_files(path: Path) -> list[Path]:
    """Remove the temporary files an earlier, killed write of `path` left beside it; return what was removed."""
    pattern = temp_name_pattern(path.name)
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) and is_stale(Path(entry.path)):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


_REASONS = {errno.EISDIR: "it is a folder", errno.ENOTDIR: "a part of the path is a file, not a folder",
            errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded", errno.EFBIG: "the file is too large",
            errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.EEXIST: "a file is in the way"}


def describe(exc: OSError) -> str:
    """Why a write failed, in a few words (`the file system is read-only`)."""
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def write_error(path: Union[str, Path], exc: OSError) -> str:
    """One line for people: `cannot write PATH: REASON`."""
    return f"cannot write {path}: {describe(exc)}"


__all__ = ["describe", "is_stale", "lock", "remove_stale_temp_files", "temp_name_pattern", "write_atomic", "write_error",
           "write_fd"]
