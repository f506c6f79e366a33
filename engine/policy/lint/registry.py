"""The one place that maps lint codes to rules."""

from __future__ import annotations

from engine.policy.lint.base import LintRule
from engine.policy.lint.rules.cpc001_yaml_syntax import YamlSyntax
from engine.policy.lint.rules.cpc002_duplicate_key import DuplicateKey
from engine.policy.lint.rules.cpc003_unsafe_tag import UnsafeTag
from engine.policy.lint.rules.cpc004_oversized_input import OversizedInput
from engine.policy.lint.rules.cpc100_schema_violation import SchemaViolation
from engine.policy.lint.rules.cpc201_unknown_event import UnknownEvent
from engine.policy.lint.rules.cpc202_unknown_rule import UnknownRule
from engine.policy.lint.rules.cpc203_unknown_source import UnknownSource
from engine.policy.lint.rules.cpc204_unknown_base import UnknownBase
from engine.policy.lint.rules.cpc205_invalid_exception_base import InvalidExceptionBase
from engine.policy.lint.rules.cpc301_malformed_duration import MalformedDuration
from engine.policy.lint.rules.cpc302_loosened_statutory_limit import LoosenedStatutoryLimit
from engine.policy.lint.rules.cpc303_duplicate_rule_id import DuplicateRuleId
from engine.policy.lint.rules.cpc304_closure_day_outside_calendar import ClosureDayOutsideCalendar
from engine.policy.lint.rules.cpc305_ambiguous_exceptions import AmbiguousExceptions
from engine.policy.lint.rules.cpc306_exception_kind_mismatch import ExceptionKindMismatch
from engine.policy.lint.rules.cpc307_misplaced_recorded_by import MisplacedRecordedBy
from engine.policy.lint.rules.cpc308_report_fact_out_of_context import ReportFactOutOfContext
from engine.policy.lint.rules.cpc309_mixed_any_of import MixedAnyOf
from engine.policy.lint.rules.cpc401_missing_citation import MissingCitation
from engine.policy.lint.rules.cpc402_quote_not_in_source import QuoteNotInSource
from engine.policy.lint.rules.cpc403_source_not_found import SourceNotFound
from engine.policy.lint.rules.cpc404_quote_does_not_state_value import QuoteDoesNotStateValue
from engine.policy.lint.rules.cpc405_unsourced_statutory_limit import UnsourcedStatutoryLimit
from engine.policy.lint.rules.cpc501_override_of_missing_rule import OverrideOfMissingRule
from engine.policy.lint.rules.cpc502_inheritance_cycle import InheritanceCycle
from engine.policy.lint.rules.cpc503_area_mismatch import AreaMismatch
from engine.policy.lint.rules.cpc504_duplicate_version import DuplicateVersion
from engine.policy.lint.rules.cpc505_exception_to_inherited_rule import ExceptionToInheritedRule

RULES: dict[str, type[LintRule]] = {
    rule.code: rule
    for rule in (
        YamlSyntax,
        DuplicateKey,
        UnsafeTag,
        OversizedInput,
        SchemaViolation,
        UnknownEvent,
        UnknownRule,
        UnknownSource,
        UnknownBase,
        InvalidExceptionBase,
        MalformedDuration,
        LoosenedStatutoryLimit,
        DuplicateRuleId,
        ClosureDayOutsideCalendar,
        AmbiguousExceptions,
        ExceptionKindMismatch,
        MisplacedRecordedBy,
        ReportFactOutOfContext,
        MixedAnyOf,
        MissingCitation,
        QuoteNotInSource,
        SourceNotFound,
        QuoteDoesNotStateValue,
        UnsourcedStatutoryLimit,
        OverrideOfMissingRule,
        InheritanceCycle,
        AreaMismatch,
        DuplicateVersion,
        ExceptionToInheritedRule,
    )
}


def lookup(code_or_name: str) -> type[LintRule] | None:
    """A rule by code (`CPC302`, case-insensitive) or by name (`loosened-statutory-limit`)."""
    wanted = code_or_name.strip()
    rule = RULES.get(wanted.upper())
    if rule:
        return rule
    return next((r for r in RULES.values() if r.name == wanted.lower()), None)
