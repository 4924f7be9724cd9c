"""File helpers of the governed build: paths, delivery order, atomic publish, leftovers.

Kept apart from :mod:`cmokit.warehouse.build` so that the checks (which need
:func:`quarantine_path`) do not import the build.

>>> from pathlib import Path
>>> quarantine_path("build/warehouse.duckdb").name
'warehouse.quarantine.duckdb'
>>> [p.name for p in delivery_order([Path("shop_orders-2026-01-02.csv"), Path("shop_orders.csv")])]
['shop_orders.csv', 'shop_orders-2026-01-02.csv']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
import re
import shutil
from pathlib import Path

from cmokit.errors import BuildError, ConfigError

#: How deliveries of one export are ordered (the later delivery wins a duplicated key).
DELIVERY_ORDERS = ("date", "mtime")

_DATE = re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")

#: Permissions of the IT-side quarantine file: it holds personal data, only its owner reads it.
QUARANTINE_MODE = 0o600


def quarantine_path(out) -> Path:
    """Where the IT-side quarantine of warehouse ``out`` lives."""
    out = Path(out)
    return out.with_name(out.stem + ".quarantine.duckdb")


def refused_quarantine_path(out) -> Path:
    """Where the quarantine of a build refused by a publish gate is kept (IT side, for diagnosis)."""
    out = Path(out)
    return out.with_name(out.stem + ".refused.quarantine.duckdb")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_date(name: str) -> dt.date | None:
    """The delivery date written in a file name (``2026-01-02``, ``20260102``, ``2026_01_02``), else None.

    >>> file_date("shop_orders-2026-01-02.csv"), file_date("shop_orders.csv")
    (datetime.date(2026, 1, 2), None)
    """
    for m in _DATE.finditer(name):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
    return None


def delivery_order(paths, rule: str = "date") -> list[Path]:
    """The deliveries of one export, oldest first.

    ``"date"`` (default): a file without a date in its name is the base export and
    comes first; dated files follow by date, then by modification time, then name.
    ``"mtime"``: by the file's modification time (delivery time), then name.
    """
    paths = [Path(p) for p in paths]
    if rule == "mtime":
        return sorted(paths, key=lambda p: (p.stat().st_mtime_ns, p.name))
    if rule != "date":
        raise ConfigError(f"unknown delivery order {rule!r}; choose one of {', '.join(DELIVERY_ORDERS)}")

    def key(p: Path):
        d = file_date(p.name)
        return (d is not None, d or dt.date.min, p.stat().st_mtime_ns if p.exists() else 0, p.name)

    return sorted(paths, key=key)


def temp_paths(out: Path, pid: int | None = None) -> tuple[Path, Path]:
    """The build's temporary warehouse and quarantine files beside ``out``."""
    pid = os.getpid() if pid is None else pid
    return out.with_name(f".{out.name}.tmp-{pid}"), out.with_name(f".{out.name}.tmp-{pid}.quarantine")


def remove(path: Path) -> None:
    """Remove a file or a directory (DuckDB's spill folder ``<db>.tmp``) if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def leftovers(tmp: Path) -> list[Path]:
    """Everything a build writing ``tmp`` may leave: the file, its WAL and its spill folder."""
    return [tmp, Path(str(tmp) + ".wal"), Path(str(tmp) + ".tmp")]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove temporary files and spill folders left by builds that died (kill -9, power loss)."""
    removed = []
    for p in out.parent.glob(f".{out.name}.tmp-*"):
        try:
            pid = int(p.name.rsplit("-", 1)[1].split(".")[0])
        except ValueError:
            continue
        if not _pid_alive(pid):
            remove(p)
            removed.append(p)
    return removed


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def private_files():
    """Files created inside (a DuckDB file and its WAL) are readable and writable by their owner only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


_DISK_FULL = ("no space left", "disk full", "not enough space", "enospc", "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (an OSError or a DuckDB IO error) means the disk is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()  # DuckDB reports it as IOException, or OutOfMemoryException when spilling fails
    return any(t in text for t in _DISK_FULL)


def disk_full_error(exc: BaseException, out: Path) -> BuildError:
    """A clear error for a build that ran out of disk space."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        free = shutil.disk_usage(out.parent).free / 1e9
        where = f"{out.parent} has {free:.2f} GB free"
    except OSError:
        where = f"{out.parent}"
    return BuildError(f"the disk ran out of space while building {out.name} ({first}); {where}. "
                      "Free space there (the build needs about twice the warehouse size, plus DuckDB's spill "
                      "folder: see --memory-limit), then rerun; nothing was published and the previous "
                      "warehouse is unchanged")


__all__ = ["DELIVERY_ORDERS", "QUARANTINE_MODE", "clean_stale", "delivery_order", "disk_full_error",
           "file_date", "fsync", "is_disk_full", "leftovers", "private_files", "quarantine_path", "refused_quarantine_path", "remove",
           "sha256", "temp_paths"]
