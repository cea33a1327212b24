"""The clinic's medical rules as one pure function: may this client have this treatment on
this local date? Plain data in, a Decision out; no database, no clock.

- Waiting periods: the latest injection of each kind on or before the date governs. Before
  `min_days` the booking is refused (earliest date = injection + min_days); from
  `min_days` to the day before `recommended_days` it is allowed with a warning the client
  must acknowledge; from `recommended_days` on it is allowed. Day 0 is the injection date.
- Contraindications: a condition that still applies on the date refuses, or needs the
  practitioner's approval for, a treatment category, any treatment using a resource kind, or
  one treatment.
- The more specific rule wins: a rule naming the treatment replaces its category's (and its
  devices') rules for the same procedure or condition. (Between a clinic's, its
  organisation's and the default rule for the same target, clinical/rules.py keeps the
  clinic's before handing them here.)
- Cautions for the practitioner name the injected areas to avoid, from every injection
  recent enough to matter (the vocabulary says how long, per kind, and in which words).

Each finding remembers whether it rests only on what this request declared, so a caller who
is not the client (or staff) can be told about their own declaration and nothing else.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from clinical.vocabulary import DEFAULT_VOCABULARY, Vocabulary

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
    treatment_id: int | None = None  # a rule for one treatment (then no category)


@dataclass(frozen=True)
class ContraindicationRule:
    condition: str
    action: str  # REFUSE or NEEDS_APPROVAL
    message: str
    treatment_category: str = ""
    resource_kind: str = ""  # a ResourceKind slug
    treatment_id: int | None = None


@dataclass(frozen=True)
class TreatmentFacts:
    category: str
    resource_kinds: frozenset[str] = frozenset()
    id: int | None = None


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
    words: Vocabulary = DEFAULT_VOCABULARY,
) -> Decision:
    """Decide whether `treatment` may be given on local date `on`; `words` say the cautions."""
    injections = [i for i in injections if i.date <= on]  # later ones do not bear on `on`
    findings: list[Finding] = []
    earliest: list[date] = []
    recommended: list[date] = []

    for rule in waiting_for(waiting_rules, treatment):
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
    contraindications = contraindications_for(contraindication_rules, treatment)
    for declaration in declarations:
        if declaration.ended_on is not None and declaration.ended_on <= on:
            continue
        for rule in contraindications:
            if rule.condition != declaration.condition:
                continue
            if rule.action == REFUSE:
                findings.append(
                    Finding(REFUSED, CONTRAINDICATED, rule.message, declaration.declared_now)
                )
            else:
                needs_approval = True
                approvals.append(words.sheet_condition(rule.condition))
                findings.append(
                    Finding(WARN, CONTRAINDICATED, rule.message, declaration.declared_now)
                )

    cautions = [
        _caution(i, words)
        for i in sorted(injections, key=lambda i: i.date, reverse=True)
        if i.areas and (on - i.date).days <= words.caution_days(i.kind)
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
    """Whether a contraindication rule concerns this treatment (itself, its category or a
    device it uses), before the more specific rules are preferred (contraindications_for)."""
    if rule.treatment_id is not None:
        return rule.treatment_id == treatment.id
    if rule.treatment_category:
        return rule.treatment_category == treatment.category
    return rule.resource_kind in treatment.resource_kinds


def waiting_for(rules: Iterable[WaitingRule], treatment: TreatmentFacts) -> list[WaitingRule]:
    """The waiting rules that govern `treatment`: per prior procedure, the treatment's own
    rules if it has any, else its category's."""
    own = [r for r in rules if r.treatment_id is not None and r.treatment_id == treatment.id]
    named = {r.injectable_kind for r in own}
    category = [
        r
        for r in rules
        if r.treatment_id is None
        and r.treatment_category == treatment.category
        and r.injectable_kind not in named
    ]
    return own + category


def contraindications_for(
    rules: Iterable[ContraindicationRule], treatment: TreatmentFacts
) -> list[ContraindicationRule]:
    """The contraindication rules that govern `treatment`: per condition, the treatment's own
    rules if it has any, else those for its category and its devices."""
    relevant = [r for r in rules if applies_to(r, treatment)]
    named = {r.condition for r in relevant if r.treatment_id is not None}
    return [r for r in relevant if r.treatment_id is not None or r.condition not in named]


def _caution(injection: Injection, words: Vocabulary) -> str:
    areas = ", ".join(words.sheet_area(area) for area in injection.areas)
    kind = words.sheet_kind(injection.kind)
    return f"avoid deep pressure: {areas} ({kind} {injection.date:%Y-%m-%d})"
