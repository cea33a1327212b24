"""Which forms an appointment still needs signed: a pure function of the rules that apply to
its treatment, the client's signatures and the visit's time (no database)."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    template_id: int
    treatment_id: int | None  # None: a category's rule
    category: str
    valid_days: int | None
    new_version_needs_signature: bool


@dataclass(frozen=True)
class Need:
    """A form to sign: its template and the version to sign now (the newest)."""

    template_id: int
    template_name: str
    version_id: int
    valid_days: int | None
    new_version_needs_signature: bool


@dataclass(frozen=True)
class Signed:
    template_id: int
    version_id: int
    signed_at: datetime


def rules_for(rules: list[Rule], *, treatment_id: int, category: str) -> list[Rule]:
    """The rules that apply to a treatment, one per template: the treatment's own beats its
    category's."""
    chosen: dict[int, Rule] = {}
    for rule in rules:
        if rule.treatment_id == treatment_id:
            chosen[rule.template_id] = rule
        elif rule.treatment_id is None and rule.category == category:
            chosen.setdefault(rule.template_id, rule)
    return list(chosen.values())


def counts(need: Need, signed: Signed, *, at: datetime) -> bool:
    """Does this signature meet the need for a visit at `at`?"""
    if signed.template_id != need.template_id:
        return False
    if need.new_version_needs_signature and signed.version_id != need.version_id:
        return False
    return need.valid_days is None or signed.signed_at >= at - timedelta(days=need.valid_days)


def missing(needs: list[Need], signatures: list[Signed], *, at: datetime) -> list[Need]:
    """The needs no signature meets, in the order given."""
    return [need for need in needs if not any(counts(need, s, at=at) for s in signatures)]
