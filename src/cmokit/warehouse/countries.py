"""Countries, from one maintained table: ``country_converter``'s country data.

The contract's accepted ``country`` codes (:data:`cmokit.warehouse.contract.ISO_COUNTRIES`)
and the mapping of a source's country names, aliases and ISO-3 codes to ISO-2 in
``sources.yml`` (:func:`to_iso2`) read the same table, so every value :func:`to_iso2`
returns is one the contract accepts. Codes are the ISO-3166-1 alpha-2 codes of current
countries plus ``XK`` (Kosovo: user-assigned, not in ISO-3166-1, but the code the
European Commission, banks and shop systems use); obsolete entries (``AN``, ``SU``) are left
out. The table is read directly from the package's data file: its ``CountryConverter``
class reads Namibia's ``NA`` as missing under pandas 3.

>>> codes = iso2_codes()
>>> "DE" in codes, "XK" in codes, "XX" in codes, "UK" in codes, "AN" in codes, len(codes)
(True, True, False, False, False, 250)
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1)
def country_table() -> tuple[tuple[str, str, str], ...]:
    """(name regex, ISO-2, ISO-3) of every current country in ``country_converter``'s table."""
    import csv
    import importlib.resources

    rows = []
    text = importlib.resources.files("country_converter").joinpath("country_data.tsv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines(), delimiter="\t"):
        codes = re.findall(r"[A-Z]{2}", row["ISO2"])
        if codes and not row.get("obsolete"):
            rows.append((row["regex"], codes[0], row["ISO3"]))
    return tuple(rows)


@lru_cache(maxsize=1)
def iso2_codes() -> frozenset[str]:
    """The ISO-2 codes the contract accepts (see the module docstring for ``XK``)."""
    return frozenset(c for _, c, _ in country_table())


@lru_cache(maxsize=1)
def _compiled():
    return tuple((re.compile(rx, re.IGNORECASE), c) for rx, c, _ in country_table())


def to_iso2(values) -> dict:
    """Country names, aliases and ISO-2/ISO-3 codes -> ISO-2 (``None`` when unknown or ambiguous).

    >>> to_iso2(["United Kingdom", "USA", "Deutschland", "fr", "Unspecified"])["Unspecified"] is None
    True
    >>> [to_iso2(["United Kingdom", "USA", "fr", "DEU", "Kosovo"])[v] for v in ["United Kingdom", "USA", "fr", "DEU", "Kosovo"]]
    ['GB', 'US', 'FR', 'DE', 'XK']
    """
    iso2 = iso2_codes()
    iso3 = {i3: c for _, c, i3 in country_table()}
    out = {}
    for v in values:
        s = (v or "").strip()
        if s.upper() in iso2:
            out[v] = s.upper()
        elif s.upper() in iso3:
            out[v] = iso3[s.upper()]
        else:
            hits = {c for rx, c in _compiled() if rx.search(s)}
            out[v] = hits.pop() if len(hits) == 1 else None
    return out


__all__ = ["country_table", "iso2_codes", "to_iso2"]
