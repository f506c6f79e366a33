"""`cpc new AREA`: the skeleton of a new area's policy, which lints clean as written."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

AREA_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

TEMPLATE = """\
# yaml-language-server: $schema=../../schemas/policy.schema.json
#
# {area}: Child Protection Conference procedure.
# Every rule of '{base}' applies here until this file overrides or withdraws it.
# Add the area's own rules under `rules`, change inherited ones under `overrides` (by id; see
# `cpc show {base}` for the ids), and cite the sentence of the local procedure for every value.
# Check it with: cpc lint policies/{area} --sources <folder holding the procedure text>
area: {area}
title: {title}
version: "0.1"
effective_from: {today}
extends: {base}
sources:
  {area}-procedure:
    title: {title}
    file: {area}-procedure.txt
rules: []
overrides: []
withdrawn: []
"""


class ScaffoldError(Exception):
    pass


def new_area(area: str, base: str, policies_dir: Path, today: dt.date | None = None) -> Path:
    """Write ``policies_dir/area/policy.yaml``; refuse to overwrite anything."""
    if not AREA_PATTERN.match(area):
        raise ScaffoldError(f"'{area}' is not an area name: use lower case letters, digits and hyphens")
    if not (policies_dir / base).is_dir():
        raise ScaffoldError(f"'{base}' has no policy folder in {policies_dir}")
    target = policies_dir / area / "policy.yaml"
    if target.exists():
        raise ScaffoldError(f"{target} already exists; nothing was written")
    title = f"{area.replace('-', ' ').title()} Child Protection Conferences"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as out:
        out.write(TEMPLATE.format(area=area, base=base, title=title, today=(today or dt.date.today()).isoformat()))
    return target
