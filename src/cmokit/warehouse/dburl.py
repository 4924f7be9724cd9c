"""Database URLs of ``sources.yml``: SQLAlchemy-style or Ibis-style, read through Ibis.

A source's ``database:`` may be written the way SQLAlchemy writes it
(``dialect+driver://user:password@host/db``, ``sqlite:///relative.db``,
``sqlite:////absolute.db``) or the way Ibis does (``postgres://...``,
``duckdb:///file.duckdb``). :func:`to_ibis_url` turns either into the URL
``ibis.connect`` takes: the ``+driver`` part is dropped (Ibis brings its own
driver for each backend; SQLAlchemy is not a dependency), dialect names map to
Ibis backend names (``postgresql`` -> ``postgres``, ``mariadb`` -> ``mysql``),
and a file database's path follows SQLAlchemy: three slashes are a path
relative to the raw folder, four an absolute path (Ibis itself reads three
slashes as absolute).

Passwords never leave this module in clear: :func:`mask` replaces the
password of a URL, and every occurrence of it in a driver's error text, by
``***``.

>>> to_ibis_url("postgresql+psycopg2://ana:s3cret@db.example:5432/shop")
'postgres://ana:s3cret@db.example:5432/shop'
>>> to_ibis_url("mysql+pymysql://ana@db/shop?charset=utf8mb4")
'mysql://ana@db/shop?charset=utf8mb4'
>>> to_ibis_url("sqlite+pysqlite:///exports/shop.db", base="/data/raw")
'sqlite:///data/raw/exports/shop.db'
>>> to_ibis_url("duckdb:////srv/crm.duckdb")
'duckdb:///srv/crm.duckdb'
>>> mask("postgresql://ana:s3cret@db/shop")
'postgresql://ana:***@db/shop'
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from cmokit.errors import ConfigError

#: SQLAlchemy dialect names -> Ibis backend names (the others are spelt the same).
DIALECTS = {"postgresql": "postgres", "postgres": "postgres", "psql": "postgres", "mariadb": "mysql",
            "mysql": "mysql", "mssql": "mssql", "sqlserver": "mssql", "oracle": "oracle", "sqlite": "sqlite",
            "duckdb": "duckdb", "snowflake": "snowflake", "trino": "trino", "clickhouse": "clickhouse",
            "bigquery": "bigquery", "databricks": "databricks", "exasol": "exasol", "druid": "druid",
            "impala": "impala", "risingwave": "risingwave", "singlestoredb": "singlestoredb"}
FILE_BACKENDS = ("sqlite", "duckdb")


def scheme(url: str) -> tuple[str, str]:
    """``(dialect, Ibis backend)`` of a URL (``"postgresql+psycopg2://..."`` -> ``("postgresql", "postgres")``)."""
    m = re.match(r"([A-Za-z][A-Za-z0-9_.-]*)(\+[A-Za-z0-9_.-]+)?://", url)
    if not m:
        raise ValueError(f"not a database URL: {mask(url)!r}")
    dialect = m.group(1).lower()
    return dialect, DIALECTS.get(dialect, dialect)


def file_path(url: str, base=None) -> Path | None:
    """The database file of a ``sqlite``/``duckdb`` URL (``None`` for an in-memory or server database):
    ``sqlite:///shop.db`` is ``base/shop.db``, ``sqlite:////srv/shop.db`` is ``/srv/shop.db``."""
    _, backend = scheme(url)
    if backend not in FILE_BACKENDS:
        return None
    rest = url.split("://", 1)[1].split("?", 1)[0]
    if not rest.startswith("/"):  # sqlite://relative.db (Ibis's form): relative too
        rel = rest
    elif rest.startswith("//"):
        return Path(rest[1:])
    else:
        rel = rest[1:]
    if rel in ("", ":memory:"):
        return None
    rel = urllib.parse.unquote(rel)
    return Path(rel) if Path(rel).is_absolute() or base is None else Path(base) / rel


def to_ibis_url(url: str, base=None) -> str:
    """The URL ``ibis.connect`` takes for a SQLAlchemy- or Ibis-style ``url`` (see the module docstring);
    a file database's path is made absolute against ``base`` (the raw folder)."""
    dialect, backend = scheme(url)
    rest = url.split("://", 1)[1]
    if backend in FILE_BACKENDS:
        path = file_path(url, base)
        query = ("?" + rest.split("?", 1)[1]) if "?" in rest else ""
        if path is None:
            return f"{backend}://{query}"
        return f"{backend}://{Path(path).absolute().as_posix()}{query}"  # Ibis: three slashes and an absolute path
    return f"{backend}://{rest}"


def mask(text: str, url: str | None = None) -> str:
    """``text`` with the password of ``url`` (default: of ``text`` itself, a URL) replaced by ``***``, both in
    the URL's user info and anywhere else in the text (drivers quote connection strings in their errors).

    >>> mask("cannot connect: password 'p@ss' refused for mysql://ana:p%40ss@db/shop", "mysql://ana:p%40ss@db/shop")
    "cannot connect: password '***' refused for mysql://ana:***@db/shop"
    """
    text = str(text)
    url = text if url is None else url
    try:
        password = urllib.parse.urlsplit(url).password
    except ValueError:
        password = None
    if password:
        for secret in sorted({password, urllib.parse.unquote(password), urllib.parse.unquote_plus(password)},
                             key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
    return text


def check(url: str, where: str) -> None:
    """A ``ConfigError`` naming ``where`` (file and line) when ``url`` names no Ibis backend."""
    from importlib.metadata import entry_points

    try:
        dialect, backend = scheme(url)
    except ValueError:
        raise ConfigError(f"{where}: database {mask(url)!r} is not a URL (expected e.g. sqlite:///shop.db, "
                          "duckdb:///crm.duckdb or postgresql://user@host/db)") from None
    known = sorted(e.name for e in entry_points(group="ibis.backends"))
    if backend not in known:
        raise ConfigError(f"{where}: database URL {mask(url)}: no Ibis backend for dialect {dialect!r} "
                          f"(backends: {', '.join(known)})")


__all__ = ["DIALECTS", "check", "file_path", "mask", "scheme", "to_ibis_url"]
