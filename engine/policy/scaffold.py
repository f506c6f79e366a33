"""`cpc new AREA`: the skeleton of a new area's policy, which lints clean as written.

The skeleton's first line points editors at the policy schema by a relative path,
``../../schemas/policy.schema.json``: in this repository that is the shipped schema, and in an area's own
repository `cpc new` writes the installed cpc's schema there, so that the header works on every colleague's
machine (a path into one machine's site-packages would not).
"""

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
# Check it with: cpc lint {folder} --sources <folder holding the procedure text>
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


def schema_file(policies_dir: Path) -> Path:
    """Where a skeleton's ``$schema`` header points: ``schemas/policy.schema.json`` beside the policies folder."""
    return policies_dir.parent / "schemas" / "policy.schema.json"


def new_area(area: str, base: str, policies_dir: Path, today: dt.date | None = None) -> list[Path]:
    """Write ``policies_dir/area/policy.yaml``, and the policy schema its header names if that is missing.

    ``base`` may be an area under ``policies_dir`` or one shipped with cpc. Refuses to overwrite anything;
    returns the files written, the policy first.
    """
    from engine.core.resources import schema_text
    from engine.policy.library import Library
    from engine.policy.policies import policy_roots

    if not AREA_PATTERN.match(area):
        raise ScaffoldError(f"'{area}' is not an area name: use lower case letters, digits and hyphens")
    library, _ = Library.from_folders(policy_roots(policies_dir))
    if base not in library.areas:
        known = ", ".join(library.areas)
        raise ScaffoldError(f"'{base}' is not an area in {policies_dir} or shipped with cpc (known: {known})")
    target = policies_dir / area / "policy.yaml"
    if target.exists():
        raise ScaffoldError(f"{target} already exists; nothing was written")
    title = f"{area.replace('-', ' ').title()} Child Protection Conferences"
    text = TEMPLATE.format(
        area=area, base=base, title=title, folder=target.parent, today=(today or dt.date.today()).isoformat()
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as out:
        out.write(text)
    written = [target]
    schema = schema_file(policies_dir)
    if not schema.exists():
        schema.parent.mkdir(parents=True, exist_ok=True)
        with schema.open("x", encoding="utf-8") as out:
            out.write(schema_text("policy"))
        written.append(schema)
    return written
