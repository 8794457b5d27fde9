"""Publishing a plan folder: plan.json and its reports, so that a reader never sees plan.json beside another plan's reports.

The folder DIR is locked (`flock` on the folder itself) for the whole step, so two runs into the
same DIR take turns. Then:

1. anything our own earlier, killed runs left in DIR is removed: staging folders
   `.planner-staging-XXXXXXXX` (with only our own file names inside) and temporary files
   `.NAME.XXXXXXXX.tmp` of the names this step writes; nothing else is touched;
2. every new file is written, in full and synced, into a fresh staging folder inside DIR (same
   file system, so the moves below are renames); a write error stops here and DIR is unchanged;
3. the old plan.json is removed first: from now on no plan.json claims the reports;
4. the new reports are moved in, and reports of the old plan that this run does not write
   (`--no-reports`, a format not asked for) are removed;
5. the new plan.json is moved in last, and the staging folder removed.

A run killed between 3 and 5 leaves DIR without a plan.json (reports without a plan claim
nothing); the next run cleans up. Whenever DIR holds a plan.json, every report beside it belongs to it.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Optional, Union

from planner.base.atomic_write import (
    describe,
    is_stale,
    lock,
    remove_stale_temp_files,
    write_fd,
)
from planner.base.errors import PlannerError

PLAN_FILE = "plan.json"
REPORT_NAMES = ("executive", "roadmap", "compliance")
REPORT_FORMATS = ("html", "md", "pdf")
# Every per-workload compliance check of a plan, beside its reports: CSV, or Parquet when too long for a spreadsheet.
EVIDENCE_FILES = ("compliance-evidence.csv", "compliance-evidence.parquet")
REPORT_FILES = tuple(f"{name}.{ext}" for name in REPORT_NAMES for ext in REPORT_FORMATS) + EVIDENCE_FILES
STAGING_PREFIX = ".planner-staging-"
_STAGING = re.compile(re.escape(STAGING_PREFIX) + r"[a-z0-9_]{8}")


class PublishError(PlannerError):
    """The folder cannot be written; DIR is as it was, or (a failure between the moves) holds no plan.json."""


def publish(out_dir: Union[str, Path], files: Mapping[str, Union[str, bytes]], *, last: Optional[str] = None,
            remove: Iterable[str] = (), skip_unchanged: bool = False) -> list[Path]:
    """Write `files` (name -> content) into `out_dir` by the steps above; return the paths written, `last` last.

    `last` (plan.json) is removed before anything moves and moved in after everything else; the
    names in `remove` are deleted from `out_dir` before it. With `skip_unchanged`, a folder that
    already holds exactly these bytes and none of `remove` is left untouched (no file is rewritten,
    so timestamps stay) and nothing is returned. Raises :class:`PublishError`.
    """
    out = Path(out_dir)
    names = sorted(files)
    gone = sorted(set(remove) - set(files))
    owned = set(names) | set(gone)
    _check_targets(out, owned)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(f"cannot write {out}: {describe(exc)}") from exc
    dir_fd = _open_dir(out)
    try:
        if dir_fd is not None:
            lock(dir_fd)
        _clean_stale(out, owned)
        if skip_unchanged and _holds(out, files, gone):
            return []
        staging = _stage(out, files)
        order = [n for n in names if n != last] + ([last] if last in files else [])
        try:
            if last in files:
                _unlink(out / last)  # first: from here on no plan.json claims the reports beside it
            for name in order:
                if name == last:
                    break
                os.replace(staging / name, out / name)
            for old in gone:
                _unlink(out / old)
            if last in files:
                os.replace(staging / last, out / last)
            _sync(dir_fd)
        except OSError as exc:
            raise PublishError(f"cannot write {out}: {describe(exc)} ({exc.filename or out})") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)  # releases the lock
    return [out / n for n in order]


def _clean_stale(out_dir: Path, names: Iterable[str]) -> list[Path]:
    """Remove staging folders and temporary files that killed runs of ours left in `out_dir`; return what was removed.

    Called holding DIR's lock, so no live run is using a staging folder; one goes only when it
    holds nothing but files named in `names` (and when locks work here: :func:`is_stale`). A
    temporary file goes only when it is named like ours for one of `names` and no writer holds it.
    """
    names = set(names)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return removed
    for entry in entries:
        if not (_STAGING.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)):
            continue
        path = Path(entry.path)
        if not is_stale(path):
            continue
        inside = list(path.iterdir())
        if all(p.name in names and p.is_file() and not p.is_symlink() for p in inside):
            for p in inside:
                _unlink(p)
            try:
                path.rmdir()
                removed.append(path)
            except OSError:
                pass
    for name in sorted(names):
        removed += remove_stale_temp_files(out_dir / name)
    return removed


def _holds(out: Path, files: Mapping[str, Union[str, bytes]], gone: Iterable[str]) -> bool:
    """Whether `out` already holds every file with these very bytes, and none of the names in `gone`."""
    for name in gone:
        if os.path.lexists(out / name):
            return False
    for name, content in sorted(files.items()):
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            if os.path.getsize(out / name) != len(data) or (out / name).read_bytes() != data:
                return False
        except OSError:
            return False
    return True


def _check_targets(out: Path, names: Iterable[str]) -> None:
    """Refuse before any change: DIR must be a folder (or absent) and no target a folder."""
    if out.exists() and not out.is_dir():
        raise PublishError(f"cannot write {out}: it is a file, not a folder")
    for name in sorted(names):
        target = out / name
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise PublishError(f"cannot write {target}: {describe(exc)}") from exc
        if stat.S_ISDIR(mode):
            raise PublishError(f"cannot write {target}: it is a folder; move it away or choose another output folder")


def _stage(out: Path, files: Mapping[str, Union[str, bytes]]) -> Path:
    try:
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as exc:
        raise PublishError(f"cannot write {out}: {describe(exc)}") from exc
    try:
        for name in sorted(files):
            target = staging / name
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
                try:
                    write_fd(fd, files[name])
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise PublishError(f"cannot write {out / name}: {describe(exc)}") from exc
        return staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _open_dir(path: Path) -> Optional[int]:
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None  # e.g. Windows: no folder descriptors; publish without the lock


def _sync(dir_fd: Optional[int]) -> None:
    if dir_fd is None:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


__all__ = ["EVIDENCE_FILES", "PLAN_FILE", "REPORT_FILES", "REPORT_FORMATS", "REPORT_NAMES", "PublishError", "publish"]
