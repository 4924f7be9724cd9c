"""One country table: the contract's accepted codes and sources.yml's name mapping agree (issue 13)."""

from __future__ import annotations

import csv
import importlib.resources

from cmokit.warehouse.contract import CONTRACT, ISO_COUNTRIES
from cmokit.warehouse.countries import country_table, to_iso2


def test_every_mapped_name_is_a_code_the_contract_accepts():
    """A country name that maps (every short and official name in the table) lands on an accepted code:
    otherwise the build would map a name and then null its code."""
    text = importlib.resources.files("country_converter").joinpath("country_data.tsv").read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(text.splitlines(), delimiter="\t") if not r.get("obsolete")]
    names = [r["name_short"] for r in rows] + [r["name_official"] for r in rows]
    mapped = to_iso2(names)
    assert {c for c in mapped.values() if c is not None} <= set(ISO_COUNTRIES)
    assert sum(c is None for c in mapped.values()) == 0, [n for n, c in mapped.items() if c is None][:5]


def test_the_accepted_codes_are_iso_3166_and_kosovo():
    codes = set(ISO_COUNTRIES)
    assert len(codes) == 250 == len({c for _, c, _ in country_table()})  # 249 ISO-3166-1 + XK
    assert {"DE", "GB", "US", "IE", "NA", "XK", "AQ", "BV"} <= codes  # NA: Namibia, not a missing value
    assert not {"XX", "UK", "EU", "EL", "AN", "SU", "ZZ"} & codes  # not codes, or obsolete
    assert CONTRACT["customers"].column("country").accepted is ISO_COUNTRIES
    assert to_iso2(["Kosovo", "XK", "UK", "Namibia"]) == {"Kosovo": "XK", "XK": "XK", "UK": "GB", "Namibia": "NA"}
