"""The policy language's constructs for rules with exceptions, each explained with a refused and an accepted
example: what `cpc lint --explain NAME` prints for a construct, as it prints a code's documentation.

Every example is a rule of a small policy; ``tests/test_lint_constructs.py`` lints each, so the refused one
stays refused (with the code named here) and the accepted one stays clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Construct:
    name: str
    summary: str
    meaning: str
    refused: str  # one or more rules, as written under `rules:`
    code: str  # the code `cpc lint` reports for ``refused``
    accepted: str


_BASE = """\
- id: after-birth
  title: A core group within 10 working days of the birth.
  kind: deadline
  topic: timescales
  deadline: {what: core_group_meeting, within: 10 working days, of: birth}
  cite: {source: wt, quote: "within 10 working days of the birth"}
"""

_EXCEPTION = """\
- id: after-birth-mother-unfit
  exception_of: {base}
  title: 20 days if the mother is not medically fit.
  kind: deadline
  topic: timescales
  when:
    - {{fact: mother.medically_fit, equals: false}}
  deadline: {{what: core_group_meeting, within: 20 days, of: birth}}
  cite: {{source: wt, quote: "(20 days if the mother is not medically fit)"}}
"""


_TITLES = {
    "strategy-after-change": "A strategy meeting within 10 days of a significant change, while the plan lasts.",
    "twenty-weeks": "A pre-birth conference is held at least 20 weeks into the pregnancy.",
    "before-expiry": "The conference is held before the emergency protection order expires.",
    "transfer-in": "The transfer-in conference within 15 working days of notification or of acceptance, if later.",
    "icpc-timescale": "The initial conference within 15 working days of the strategy discussion.",
    "report-shared": "Reports are shared with the parents 2 working days before the conference.",
}


def _deadline(body: str, rule: str = "strategy-after-change", what: str = "strategy_meeting") -> str:
    # The quote states each time the body sets, as cpc lint asks of every citation (CPC404).
    times = re.findall(r"(?:within|not_before|at_least): ([1-9][0-9]* [a-z ]+?)(?=[,}\n])", body)
    quote = "the time is " + " and ".join(dict.fromkeys(times)) if times else "held before the order expires"
    return (
        f"- id: {rule}\n  title: {_TITLES[rule]}\n  kind: deadline\n  topic: timescales\n  deadline:\n"
        f'    what: {what}\n{body}  cite: {{source: wt, quote: "{quote}"}}\n'
    )


def _decision(when: str) -> str:
    return (
        "- id: convene\n  title: Convene a strategy meeting.\n  kind: decision\n  topic: step-down\n"
        f"  when:\n{when}  decision: {{action: convene_strategy_meeting, directs: Convene one.}}\n"
        '  cite: {source: wt, quote: "a multi-agency strategy meeting should be convened"}\n'
    )


CONSTRUCTS: dict[str, Construct] = {
    c.name: c
    for c in (
        Construct(
            "exception_of",
            "A rule that replaces another where its own conditions hold.",
            "An exception to the base rule it names. Where the base's conditions and all of its own `when`\n"
            "conditions hold, its parameters (its whole `deadline`, `requirement` or `decision`) replace the\n"
            "base's; where one of its conditions does not hold or is not recorded, the base applies. So an\n"
            "unknown fact never takes a rule away. Two exceptions of one base that could both apply with\n"
            "different parameters are an error (CPC305).",
            _BASE + _EXCEPTION.format(base="after-birth-meeting"),
            "CPC205",
            _BASE + _EXCEPTION.format(base="after-birth"),
        ),
        Construct(
            "disapplies",
            "An exception under which the base rule does not apply at all.",
            "With `exception_of`: where the exception's conditions hold, the base gives no result (the text's\n"
            '"unless" or "except where"). It has no parameter block of its own.',
            _BASE + "- id: not-for-looked-after\n  exception_of: after-birth\n  title: Not for a looked-after child.\n"
            "  kind: deadline\n  topic: timescales\n  when:\n    - {fact: child.looked_after, equals: true}\n"
            "  disapplies: true\n  deadline: {what: core_group_meeting, within: 10 working days, of: birth}\n"
            '  cite: {source: wt, quote: "except for a looked-after child"}\n',
            "CPC100",
            _BASE + "- id: not-for-looked-after\n  exception_of: after-birth\n  title: Not for a looked-after child.\n"
            "  kind: deadline\n  topic: timescales\n  when:\n    - {fact: child.looked_after, equals: true}\n"
            '  disapplies: true\n  cite: {source: wt, quote: "except for a looked-after child"}\n',
        ),
        Construct(
            "not_before",
            "A lower bound: the event must not happen before a time after another.",
            '`what` must not happen before `not_before` after `after` ("at least 20 weeks into the\n'
            'pregnancy", "open for a minimum of 3 months"). Judged once `what` has happened: too early is\n'
            "`breached`, with `earliest` and `early` in the result; nothing is due before then.",
            _deadline(
                "    not_before: 20 weeks\n    before: pregnancy_start\n", "twenty-weeks", "pre_birth_conference"
            ),
            "CPC100",
            _deadline("    not_before: 20 weeks\n    after: pregnancy_start\n", "twenty-weeks", "pre_birth_conference"),
        ),
        Construct(
            "boundary",
            "Whether the boundary day itself counts.",
            "`inclusive` (the default): an event on the due date is on time, one on the earliest date is not\n"
            'early. `exclusive`: the due date itself is late and the earliest date itself is early ("before\n'
            'the order expires", "a minimum of 3 months"). Also on a timed condition in `when`.',
            _deadline(
                "    at_least: 0 days\n    before: epo_expiry\n    boundary: strict\n",
                "before-expiry",
                "initial_conference",
            ),
            "CPC100",
            _deadline(
                "    at_least: 0 days\n    before: epo_expiry\n    boundary: exclusive\n",
                "before-expiry",
                "initial_conference",
            ),
        ),
        Construct(
            "whichever_later",
            "Another clock for the same event; the later due date applies.",
            "Beside `within` and `of`, more clocks: the latest due date among those whose events the case\n"
            'records applies ("15 working days of notification or of the formal acceptance"). A deadline\n'
            "has `whichever_sooner` or `whichever_later`, not both.",
            _deadline(
                "    within: 15 working days\n    of: move_notified\n"
                "    whichever_sooner: [{within: 1 month, of: move_notified}]\n"
                "    whichever_later: [{within: 15 working days, of: transfer_accepted}]\n",
                "transfer-in",
                "transfer_in_conference",
            ),
            "CPC100",
            _deadline(
                "    within: 15 working days\n    of: move_notified\n"
                "    whichever_later: [{within: 15 working days, of: transfer_accepted}]\n",
                "transfer-in",
                "transfer_in_conference",
            ),
        ),
        Construct(
            "until",
            "Events that stop a deadline's clock.",
            "An event (or list) that stops the clock once it happens before `what` is done: before the due\n"
            "date there is then no result; after it, the deadline is `missed`, closed that day.",
            _deadline("    within: 10 days\n    of: significant_change\n    until: plan_ended\n"),
            "CPC201",
            _deadline("    within: 10 days\n    of: significant_change\n    until: plan_end\n"),
        ),
        Construct(
            "happened",
            "A condition that an event has not happened (since another).",
            "`{event: E, happened: false}` holds while E has not happened; with `since: E2`, while it has not\n"
            'happened since the latest E2 ("unless a strategy meeting has been held"). It takes no `within`.',
            _decision(
                "    - {event: significant_change}\n"
                "    - {event: strategy_meeting, happened: false, within: 3 months, of: significant_change}\n"
            ),
            "CPC100",
            _decision(
                "    - {event: significant_change}\n"
                "    - {event: strategy_meeting, happened: false, since: significant_change}\n"
            ),
        ),
        Construct(
            "any_of",
            'Either of several conditions: the text\'s "or".',
            "`{any_of: [C1, C2, …]}` holds when one member holds; it is not recorded when none holds and a\n"
            "member's fact is not recorded. Its members test facts of one kind (the case's, a conference's, a\n"
            "report's or a request's) or events, never a mix.",
            _decision(
                "    - any_of:\n        - {fact: plan.ended_by, equals: manager}\n"
                "        - {fact: conference.plan_made, equals: false}\n"
            ),
            "CPC309",
            _decision(
                "    - any_of:\n        - {fact: plan.ended_by, equals: manager}\n"
                "        - {fact: plan.open, equals: false}\n"
            ),
        ),
        Construct(
            "recorded_by",
            "An excuse that counts only if recorded by the due date.",
            "`recorded_by: due` on a dated fact in a deadline's `optional_when`: the excuse holds only if the\n"
            "fact was recorded on or before the due date. Recorded later, a `what` not done stays `missed`,\n"
            "closed the day it was recorded. Only dated facts have a date (`s47.no_conference`,\n"
            "`report.withholding_agreed`).",
            _deadline(
                "    within: 15 working days\n    of: strategy_discussion\n    optional_when:\n"
                "      - {fact: child.looked_after, equals: true, recorded_by: due}\n",
                "icpc-timescale",
                "initial_conference",
            ),
            "CPC307",
            _deadline(
                "    within: 15 working days\n    of: strategy_discussion\n    optional_when:\n"
                "      - {fact: s47.no_conference, equals: true, recorded_by: due}\n",
                "icpc-timescale",
                "initial_conference",
            ),
        ),
        Construct(
            "report",
            "Facts on each report (`report.*`), tested report by report.",
            "A deadline on `report_to_chair` or `report_shared_with_parents` is judged for each report of the\n"
            "conference; conditions on `report.*` facts in its `optional_when` are asked of that report (a\n"
            "report withheld with the chair's agreement in time is neither late nor missing). Anywhere else\n"
            "there is no report to ask.",
            _decision("    - {fact: report.withheld, equals: true}\n"),
            "CPC308",
            _deadline(
                "    at_least: 2 working days\n    before: conference\n    optional_when:\n"
                "      - {fact: report.withholding_agreed, equals: true, recorded_by: due}\n",
                "report-shared",
                "report_shared_with_parents",
            ),
        ),
    )
}


def documentation(construct: Construct) -> str:
    """What `cpc lint --explain NAME` prints for a construct, in the sections a code's documentation has."""

    def block(text: str) -> str:
        return "    ```yaml\n" + "".join(f"    {line}\n" for line in text.splitlines()) + "    ```"

    meaning = "".join(f"    {line}\n" for line in construct.meaning.splitlines())
    return (
        f"{construct.summary}\n\nWhat it means:\n{meaning}\nExample (cpc lint reports {construct.code}):\n"
        f"{block(construct.refused)}\n\nUse instead:\n{block(construct.accepted)}\n\n"
        "See docs/policy-format.md for the whole language.\n"
    )
