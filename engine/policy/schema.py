"""The JSON Schema of a policy document, built from the vocabulary so there is one list of names.

``schemas/policy.schema.json`` is generated from :func:`build_policy_schema`; regenerate it with
``python -m engine.policy.schema`` whenever the vocabulary, this module or the parts it assembles change
(:mod:`engine.policy.rule_schema` for rules and overrides, :mod:`engine.policy.condition_schema` for
conditions; a test fails until you do). The schema serves two readers: an editor with the YAML language
server, which completes keys and shows each description on hover, and validators (jsonschema,
check-jsonschema), which must accept exactly what docs/policy-format.md describes.

Design choices, because they shape every error an author sees:

* Every key an object may hold is declared once in its ``properties``, with a description, and
  ``additionalProperties: false`` rejects the rest. The YAML language server follows draft 7 and ignores
  ``unevaluatedProperties``, so keys declared only inside ``then`` would be invisible to it.
* Variants (a rule's ``kind``, a deadline's ``within``/``at_least`` form, a condition's form) are chosen
  by ``if``/``then`` on a discriminating key rather than by ``oneOf``: a ``oneOf`` failure reports every
  alternative, while ``then`` reports the one thing wrong with the variant the author was writing.
  Keys that belong to another variant are refused by a ``propertyNames`` list of the variant's keys,
  which only looks at known keys so that an unknown key is reported once, by ``additionalProperties``.
* Event and fact names are a known list *or* any well-formed name: editors complete the known ones, and
  an unknown one is left to ``cpc lint``, which says which known name was probably meant.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.core.durations import Unit
from engine.core.schema_parts import NOT_BLANK, closed_enum, known_names, ref, render, text, write_schema
from engine.core.vocabulary import EVENTS, FACTS, Term
from engine.policy.condition_schema import _condition
from engine.policy.rule_schema import _deadline, _decision, _override, _requirement, _rule

SCHEMA_ID = "https://cpc.example/schemas/policy.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "policy.schema.json"
REGENERATE = "python -m engine.policy.schema"

SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
NAME_PATTERN = r"^[a-z][a-z0-9_.]*$"
# [0-9] rather than \d: Python's \d also matches other scripts' digits, ECMA's does not.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _duration_pattern() -> str:
    """The canonical duration spelling: a whole number, one space, a lower-case unit.

    The singular is for an amount of one (``1 working day``); ``15 working day`` is refused, as
    :func:`engine.core.durations.parse_duration` refuses it. Units come from :class:`Unit`, so a unit added
    there is accepted here after regeneration.
    """
    singular = "|".join(u.singular for u in Unit)
    plural = "|".join(u.value for u in Unit)
    # The plural takes any amount but 1 (written without leading zeros, as procedures write numbers).
    return f"^(1 ({singular})|(0|[2-9]|[1-9][0-9]{{1,3}}) ({plural}))$"


DURATION_PATTERN = _duration_pattern()

NON_WORKING_DAY: dict[str, str] = {
    "keep": "The due date stays where it falls (the default, and what the procedures' words say).",
    "next_working_day": "The due date moves forward to the next working day.",
    "previous_working_day": "The due date moves back to the previous working day.",
}
BANK_HOLIDAYS: dict[str, str] = {
    "england-and-wales": "Bank holidays in England and Wales.",
}
SOURCE_KINDS: dict[str, str] = {
    "statutory": "Statutory guidance or legislation: it can make a time limit statutory.",
    "local_procedure": "A local safeguarding partnership's procedure.",
    "advice": "An advice or background page: national context, not a rule.",
}


def _names(terms: dict[str, Term], noun: str, pattern_note: str) -> dict[str, Any]:
    """A known name from the vocabulary, or any well-formed name left for ``cpc lint`` to judge."""
    return {
        "title": noun,
        "description": (
            f"The name of {pattern_note}, from the vocabulary in engine/core/vocabulary.py. Editors offer the "
            f"known names; `cpc lint` reports any other name with the nearest known one."
        ),
        "anyOf": [
            known_names(terms, f"A known {noun}."),
            {
                "description": f"Another {noun} name (lower case, digits, `_`, `.`), checked by `cpc lint`.",
                "type": "string",
                "pattern": NAME_PATTERN,
            },
        ],
    }


def _one_or_many(title: str, item: str, description: str, *, unique: bool) -> dict[str, Any]:
    """One ``item`` or a non-empty list of them.

    ``if``/``else`` on the type rather than ``anyOf``: the error then comes from the shape written.
    """
    many: dict[str, Any] = {"items": {"$ref": f"#/$defs/{item}"}, "minItems": 1}
    if unique:
        many["uniqueItems"] = True
    return {
        "title": title,
        "description": description,
        "if": {"type": "array"},
        "then": many,
        "else": {"$ref": f"#/$defs/{item}"},
    }


def _calendar() -> dict[str, Any]:
    return {
        "title": "calendar",
        "description": (
            "Working-day settings. A local policy inherits its base's calendar and may change any key of it."
        ),
        "type": "object",
        "properties": {
            "bank_holidays": closed_enum(
                BANK_HOLIDAYS, "The bank holidays that are not working days: `england-and-wales`."
            ),
            "closure_days": {
                "description": (
                    "Local closure days, counted as non-working days. Example: `[2025-12-29, 2025-12-30]`."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/date"},
                "uniqueItems": True,
            },
            "deadline_on_non_working_day": closed_enum(
                NON_WORKING_DAY,
                "When a due date counted in calendar days, weeks, months or hours lands on a weekend, bank "
                "holiday or closure day: `keep` it (the default), or move it to the `next_working_day` or "
                "`previous_working_day`. Due dates counted in working days are always working days.",
            ),
        },
        "additionalProperties": False,
    }


def build_policy_schema() -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of a policy document (docs/policy-format.md)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cpc policy",
        "description": (
            "One version of an area's Child Protection Conference procedure, as rules with citations. "
            "See docs/policy-format.md."
        ),
        "type": "object",
        "properties": {
            "area": ref(
                "slug",
                "The area's slug: lower case with hyphens, the folder name under policies/. Example: `berkshire`.",
            ),
            "title": text("The procedure's title as its readers know it. Example: Child Protection Conferences."),
            "name": text(
                "Optional. The area's short name, for column headings and page headers where the title is too "
                "long. Example: Pan-Berkshire. Without it, the area's slug is used."
            ),
            "publication": {
                "description": (
                    "Optional. Who publishes the procedure page `cpc render` makes, and when it is next reviewed."
                ),
                "type": "object",
                "properties": {
                    "owner": text("Who owns the procedure. Example: Pan-Berkshire Safeguarding Children Partnership."),
                    "contact": text("Where readers send questions. Example: procedures@example.gov.uk."),
                    "review_by": ref("date", "The date the procedure is next due for review, YYYY-MM-DD."),
                },
                "additionalProperties": False,
                "minProperties": 1,
            },
            "version": {
                "description": (
                    'The version of the procedure this document encodes, as a string: quote it ("1.4") '
                    'so YAML does not read a number. Examples: "v97", "1.4".'
                ),
                "type": "string",
                "minLength": 1,
                "pattern": NOT_BLANK,
                "examples": ["v97", "1.4"],
            },
            "effective_from": ref("date", "The date this version is in force from, YYYY-MM-DD. Example: `2025-04-01`."),
            "extends": ref(
                "slug",
                "The area whose policy this one builds on: `england` for every local area. Leave out for the "
                "national baseline.",
                examples=["england"],
            ),
            "sources": {
                "description": (
                    "The documents the policy encodes, keyed by a short id that citations use, lower case "
                    "with hyphens. Example: `berkshire-cpc: {title: …, file: 004_60b6.txt}`."
                ),
                "type": "object",
                "propertyNames": {"pattern": SLUG_PATTERN},
                "additionalProperties": ref("source", "A document the policy encodes: its title and file."),
                "minProperties": 1,
            },
            "calendar": ref("calendar", "Optional working-day settings: bank holidays, closure days."),
            "rules": {
                "description": ("Rules this policy adds. A rule id must not already exist in the policy it extends."),
                "type": "array",
                "items": {"$ref": "#/$defs/rule"},
            },
            "overrides": {
                "description": "Changes to rules inherited from the base policy, each by the rule's id.",
                "type": "array",
                "items": {"$ref": "#/$defs/override"},
            },
            "withdrawn": {
                "description": (
                    "Inherited rules that do not apply in this area, each by id with the reason, which is "
                    "shown wherever the rule would have been."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/withdrawal"},
            },
        },
        "required": ["area", "title", "version", "effective_from", "sources"],
        "additionalProperties": False,
        "$defs": {
            "id": {
                "title": "id",
                "description": "A rule id: lower case letters and digits, words joined by hyphens.",
                "type": "string",
                "pattern": SLUG_PATTERN,
                "examples": ["icpc-timescale"],
            },
            "slug": {
                "title": "slug",
                "description": "Lower case letters and digits, words joined by single hyphens.",
                "type": "string",
                "pattern": SLUG_PATTERN,
            },
            "date": {
                "title": "date",
                "description": "A date written YYYY-MM-DD, e.g. 2025-03-25.",
                "type": "string",
                "format": "date",
                "pattern": DATE_PATTERN,
            },
            "duration": {
                "title": "duration",
                "description": (
                    "A time as the procedure writes it: a whole number and a unit, one of hours, days "
                    "(calendar days), working days, weeks, months, years; singular for one. "
                    "Examples: `15 working days`, `1 month`, `24 hours`."
                ),
                "type": "string",
                "pattern": DURATION_PATTERN,
                "examples": ["15 working days", "1 working day", "3 months", "24 hours"],
            },
            "event": _names(EVENTS, "event", "an event in the case"),
            "events": _one_or_many(
                "events", "event", "An event, or a list of events any of which satisfies.", unique=True
            ),
            "fact": _names(FACTS, "fact", "a fact a condition tests"),
            "condition": _condition(),
            "conditions": {
                "title": "conditions",
                "description": "A list of conditions, all of which must hold.",
                "type": "array",
                "items": {"$ref": "#/$defs/condition"},
            },
            "fact_conditions": {
                "title": "fact conditions",
                "description": (
                    "A list of conditions on facts (`{fact: F, …}`), all of which must hold. A fact the case "
                    "does not record never holds, except with `present: false`."
                ),
                "type": "array",
                "items": {
                    "$ref": "#/$defs/condition",
                    "if": {"required": ["any_of"]},
                    "then": {
                        "properties": {
                            "any_of": {
                                "description": "Here each member tests a fact.",
                                "items": {"description": "A condition on a fact.", "required": ["fact"]},
                            }
                        }
                    },
                    "else": {"required": ["fact"]},
                },
            },
            "sooner_limit": {
                "title": "sooner limit",
                "description": "Another time limit on the same event; whichever due date is sooner applies.",
                "type": "object",
                "properties": {
                    "within": ref("duration", "The most time allowed after `of`. Example: `3 months`."),
                    "of": ref("event", "The event that starts this clock. Example: `pre_birth_conference`."),
                },
                "required": ["within", "of"],
                "additionalProperties": False,
            },
            "later_limit": {
                "title": "later limit",
                "description": "Another time limit on the same event; whichever due date is later applies.",
                "type": "object",
                "properties": {
                    "within": ref("duration", "The most time allowed after `of`. Example: `15 working days`."),
                    "of": ref("event", "The event that starts this clock. Example: `transfer_accepted`."),
                },
                "required": ["within", "of"],
                "additionalProperties": False,
            },
            "deadline": _deadline(partial=False),
            "deadline_change": _deadline(partial=True),
            "requirement": _requirement(partial=False),
            "requirement_change": _requirement(partial=True),
            "decision": _decision(partial=False),
            "decision_change": _decision(partial=True),
            "citation": {
                "title": "citation",
                "description": "A quotation from a source that says what the rule says.",
                "type": "object",
                "properties": {
                    "source": ref(
                        "slug",
                        "The id of a source declared under `sources` here or in a policy this one extends.",
                    ),
                    "quote": text(
                        "Words copied from the source text; `cpc lint --sources DIR` checks they appear "
                        'there and state each number the rule sets. Example: "The Initial Child Protection '
                        'Conference should take place within 15 working days of".'
                    ),
                    "note": text("Optional. A remark about the citation for reviewers."),
                },
                "required": ["source", "quote"],
                "additionalProperties": False,
            },
            "cite": _one_or_many("cite", "citation", "A citation or a non-empty list of them.", unique=False),
            "source": {
                "title": "source",
                "description": "A document the policy encodes.",
                "type": "object",
                "properties": {
                    "title": text("The document's title as published."),
                    "file": {
                        "description": (
                            "The name of the document's text file in the sources folder given to "
                            "`cpc lint --sources DIR`. Example: `004_60b63b0436c08953.txt`."
                        ),
                        "type": "string",
                        "minLength": 1,
                        "pattern": r"^[^/\\]+$",
                    },
                    "publisher": text(
                        "Optional. Who publishes the document. Example: Pan-Berkshire Safeguarding Children "
                        "Partnership."
                    ),
                    "published": ref("date", "Optional. The date the document was published, YYYY-MM-DD."),
                    "note": text(
                        "Optional. Why the policy cites this document, for readers of the published page. Example: "
                        "Quoted for the national timescales it restates from Working Together 2023."
                    ),
                    "kind": closed_enum(
                        SOURCE_KINDS,
                        "Optional. What authority the document has: `statutory`, `local_procedure` or `advice`. "
                        "Only a statutory source can make a time limit `statutory`.",
                    ),
                    "url": {
                        "description": "Optional. Where the document is published, an http(s) address.",
                        "type": "string",
                        "format": "uri",
                        "pattern": r"^https?://\S+$",
                    },
                },
                "required": ["title", "file"],
                "additionalProperties": False,
            },
            "calendar": _calendar(),
            "rule": _rule(),
            "override": _override(),
            "withdrawal": {
                "title": "withdrawal",
                "description": "An inherited rule that does not apply in this area.",
                "type": "object",
                "properties": {
                    "id": ref("id", "The id of the inherited rule that does not apply here."),
                    "reason": text(
                        "Why the rule does not apply, shown wherever it would have been. Example: The "
                        "local procedure has no pre-birth transfer conference."
                    ),
                    "cite": ref("cite", "Optional. The local text that says so."),
                },
                "required": ["id", "reason"],
                "additionalProperties": False,
            },
        },
    }


def render_policy_schema() -> str:
    """The schema file's exact text."""
    return render(build_policy_schema())


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``schemas/policy.schema.json``; with ``--check``, only report whether it is current."""
    return write_schema(SCHEMA_PATH, render_policy_schema(), REGENERATE, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
