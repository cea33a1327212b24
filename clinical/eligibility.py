"""The clinic's medical rules as one pure function: may this client have this treatment on
this local date? Plain data in, a Decision out; no database, no clock.

- Waiting periods: the latest injection of each kind on or before the date governs. Before
  `min_days` the booking is refused (earliest date = injection + min_days); from
  `min_days` to the day before `recommended_days` it is allowed with a warning the client
  must acknowledge; from `recommended_days` on it is allowed. Day 0 is the injection date.
- Contraindications: a condition that still applies on the date refuses, or needs the
  practitioner's approval for, a treatment category or any treatment using a resource kind.
- Cautions for the practitioner name the injected areas to avoid, from every injection
  recent enough to matter (clinical/vocabulary.py says how long, per kind).

Each finding remembers whether it rests only on what this request declared, so a caller who
is not the client (or staff) can be told about their own declaration and nothing else.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from clinical import vocabulary

ALLOWED = "allowed"
WARN = "warn"
REFUSED = "refused"

WAITING_PERIOD = "waiting_period"
CONTRAINDICATED = "contraindicated"

REFUSE = "refuse"
NEEDS_APPROVAL = "needs_approval"


@dataclass(frozen=True)
class Injection:
    kind: str
    date: date
    areas: tuple[str, ...] = ()
    declared_now: bool = False  # declared in the request being evaluated, not on record


@dataclass(frozen=True)
class Declaration:
    condition: str
    ended_on: date | None = None
    declared_now: bool = False


@dataclass(frozen=True)
class WaitingRule:
    injectable_kind: str
    treatment_category: str
    min_days: int
    recommended_days: int
    message: str


@dataclass(frozen=True)
class ContraindicationRule:
    condition: str
    action: str  # REFUSE or NEEDS_APPROVAL
    message: str
    treatment_category: str = ""
    resource_kind: str = ""  # a ResourceKind slug


@dataclass(frozen=True)
class TreatmentFacts:
    category: str
    resource_kinds: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Finding:
    outcome: str  # REFUSED or WARN
    code: str  # WAITING_PERIOD or CONTRAINDICATED
    message: str
    declared_now: bool
    earliest_date: date | None = None  # waiting refusals only


@dataclass(frozen=True)
class Decision:
    findings: tuple[Finding, ...] = ()
    earliest_date: date | None = None  # first day allowed, as far as waiting rules go
    recommended_date: date | None = None  # first day without a warning
    cautions: tuple[str, ...] = ()
    needs_approval: bool = False

    @property
    def refusals(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome == REFUSED]

    @property
    def decision(self) -> str:
        if self.refusals:
            return REFUSED
        return WARN if self.findings else ALLOWED

    @property
    def code(self) -> str | None:
        codes = {f.code for f in self.refusals}
        if CONTRAINDICATED in codes:
            return CONTRAINDICATED
        return WAITING_PERIOD if codes else None

    @property
    def warnings(self) -> list[str]:
        return _unique(f.message for f in self.findings if f.outcome == WARN)

    @property
    def reasons(self) -> list[str]:
        return _unique(f.message for f in self.refusals)

    def visible_to_declarant(self) -> "Decision":
        """What a caller who is not the client may learn: only findings resting on what
        this request itself declared, with dates computed from those alone."""
        own = tuple(f for f in self.findings if f.declared_now)
        dates = [f.earliest_date for f in own if f.earliest_date]
        return Decision(
            findings=own,
            earliest_date=max(dates) if dates else None,
            needs_approval=self.needs_approval,
        )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def evaluate(
    *,
    injections: Iterable[Injection],
    declarations: Iterable[Declaration],
    waiting_rules: Iterable[WaitingRule],
    contraindication_rules: Iterable[ContraindicationRule],
    treatment: TreatmentFacts,
    on: date,
) -> Decision:
    """Decide whether `treatment` may be given on local date `on`."""
    injections = [i for i in injections if i.date <= on]  # later ones do not bear on `on`
    findings: list[Finding] = []
    earliest: list[date] = []
    recommended: list[date] = []

    for rule in waiting_rules:
        if rule.treatment_category != treatment.category:
            continue
        of_kind = [i for i in injections if i.kind == rule.injectable_kind]
        if not of_kind:
            continue
        latest_day = max(i.date for i in of_kind)
        # The caller may hear about an injection they declared themselves, even if it is on
        # file too; a later one on file, which they did not declare, stays private.
        declared_now = any(i.declared_now for i in of_kind if i.date == latest_day)
        allowed_from = latest_day + timedelta(days=rule.min_days)
        calm_from = latest_day + timedelta(days=rule.recommended_days)
        earliest.append(allowed_from)
        recommended.append(calm_from)
        if on < allowed_from:
            findings.append(
                Finding(REFUSED, WAITING_PERIOD, rule.message, declared_now, allowed_from)
            )
        elif on < calm_from:
            findings.append(Finding(WARN, WAITING_PERIOD, rule.message, declared_now))

    needs_approval = False
    approvals: list[str] = []
    for declaration in declarations:
        if declaration.ended_on is not None and declaration.ended_on <= on:
            continue
        for rule in contraindication_rules:
            if rule.condition != declaration.condition or not applies_to(rule, treatment):
                continue
            if rule.action == REFUSE:
                findings.append(
                    Finding(REFUSED, CONTRAINDICATED, rule.message, declaration.declared_now)
                )
            else:
                needs_approval = True
                approvals.append(vocabulary.sheet_condition(rule.condition))
                findings.append(
                    Finding(WARN, CONTRAINDICATED, rule.message, declaration.declared_now)
                )

    cautions = [
        _caution(i)
        for i in sorted(injections, key=lambda i: i.date, reverse=True)
        if i.areas and (on - i.date).days <= vocabulary.caution_days(i.kind)
    ]
    if approvals:
        cautions.append(f"needs practitioner approval: {', '.join(_unique(approvals))}")

    return Decision(
        findings=tuple(findings),
        earliest_date=max(earliest) if earliest else None,
        recommended_date=max(recommended) if recommended else None,
        cautions=tuple(_unique(cautions)),
        needs_approval=needs_approval,
    )


def applies_to(rule: ContraindicationRule, treatment: TreatmentFacts) -> bool:
    """Whether a contraindication rule concerns this treatment (its category or a device)."""
    if rule.treatment_category:
        return rule.treatment_category == treatment.category
    return rule.resource_kind in treatment.resource_kinds


def _caution(injection: Injection) -> str:
    areas = ", ".join(vocabulary.sheet_area(area) for area in injection.areas)
    kind = vocabulary.sheet_kind(injection.kind)
    return f"avoid deep pressure: {areas} ({kind} {injection.date:%Y-%m-%d})"
