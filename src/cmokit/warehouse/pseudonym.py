"""Keyed pseudonymisation of customer ids (HMAC-SHA256).

The marketing ``customer_id`` is ``HMAC-SHA256(key, source_id)``, hex,
truncated to 24 characters (96 bits: collisions are negligible below billions
of customers) and prefixed ``c_``. The key is IT's secret: it comes from
``$CMOKIT_PSEUDONYM_KEY`` or a key file and is never written to the warehouse.

>>> pseudonymise(["CRM-0000001"], DEV_KEY)[0]
'c_...'

The build computes the same pseudonyms inside DuckDB (:func:`hmac_sql`): HMAC written out
with DuckDB's ``sha256`` over blobs, the key's inner and outer pads as bound parameters.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cmokit.errors import ConfigError

#: The documented development key for the bundled sample. Never use it for real data.
DEV_KEY = b"cmokit-dev-key-not-for-production"

ENV_VAR = "CMOKIT_PSEUDONYM_KEY"
PREFIX = "c_"
HEX_CHARS = 24


def load_key(key_file: str | os.PathLike | None = None, dev_key: bool = False) -> bytes:
    """The pseudonymisation key: ``key_file``, else the dev key when ``dev_key``
    is asked for explicitly, else ``$CMOKIT_PSEUDONYM_KEY``, else a :class:`ConfigError`."""
    if key_file:
        p = Path(key_file)
        if not p.exists():
            raise ConfigError(f"key file {p} does not exist")
        key = p.read_bytes().strip()
        if len(key) < 16:
            raise ConfigError(f"key file {p} holds fewer than 16 bytes; use a long random secret")
        return key
    if dev_key:
        return DEV_KEY
    env = os.environ.get(ENV_VAR)
    if env:
        if len(env) < 16:
            raise ConfigError(f"${ENV_VAR} is shorter than 16 characters; use a long random secret")
        return env.encode()
    raise ConfigError(
        f"no pseudonymisation key: set ${ENV_VAR}, pass --key-file FILE, "
        "or (for the bundled sample only) --dev-key"
    )


def pseudonymise(source_ids, key: bytes) -> list[str]:
    """Keyed pseudonyms for source customer ids (``None`` stays ``None``)."""
    out = []
    new = hmac.new
    for sid in source_ids:
        if sid is None:
            out.append(None)
            continue
        digest = new(key, str(sid).encode("utf-8"), hashlib.sha256).hexdigest()
        out.append(PREFIX + digest[:HEX_CHARS])
    return out


#: SHA-256's block size in bytes (RFC 2104: the key is padded, or first hashed, to this length).
_BLOCK = 64


def hmac_sql(column: str, key: bytes) -> tuple[str, dict]:
    """DuckDB SQL computing :func:`pseudonymise` of the VARCHAR ``column`` (an already quoted
    identifier), and its bound parameters.

    HMAC(K, m) = H((K' xor opad) || H((K' xor ipad) || m)) (RFC 2104), with ``sha256`` over blobs and
    ``encode`` giving the id's UTF-8 bytes; the padded key reaches DuckDB only as parameters (never as
    SQL text, never stored). A NULL id gives NULL.

    >>> import duckdb
    >>> expr, params = hmac_sql("id", DEV_KEY)
    >>> sql = f"SELECT {expr} FROM (SELECT 'CRM-0000001' AS id)"
    >>> duckdb.sql(sql, params=params).fetchone()[0] == pseudonymise(["CRM-0000001"], DEV_KEY)[0]
    True
    """
    k = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    k = k.ljust(_BLOCK, b"\0")
    params = {"hmac_ipad": bytes(b ^ 0x36 for b in k), "hmac_opad": bytes(b ^ 0x5C for b in k),
              "hmac_prefix": PREFIX, "hmac_chars": HEX_CHARS}
    inner = f"unhex(sha256($hmac_ipad || encode({column})))"
    return f"$hmac_prefix || left(sha256($hmac_opad || {inner}), $hmac_chars)", params
