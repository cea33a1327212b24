"""Two organisations for the scoping tests: "Alpha Group" with two clinics, Alpha and Beta, and
"Zeta Studio" with one, Zeta. Each clinic has its catalogue, a practitioner, a room, its own
waiting rule, time off and a closure, a client with a health record and an appointment, and
staff in each role; the superuser sees everything.

Every row that belongs to one clinic carries words no other clinic's rows carry (`markers`),
so a page can be searched for what it must not show. A client is the organisation's: Beta's
client may be seen by Alpha's front desk, so clients' words are the organisation's markers.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from access.roles import FRONT_DESK, MANAGER, PRACTITIONER
from clinic.models import Closure, Organisation, Term, TimeOff
from clinical.models import WaitingRule
from diary.services import appointment_book
from tests import factories
from tests.conftest import open_every_day, works_every_day

VISIT_DAY = date(2027, 3, 4)  # a Thursday after conftest.NOW


@dataclass
class Branch:
    slug: str
    clinic: object = None
    treatment: object = None
    practitioner: object = None
    client: object = None
    visit: object = None  # the client's appointment at this clinic
    injectable: object = None
    rule: object = None
    time_off: object = None
    staff: dict = field(default_factory=dict)  # role -> user
    markers: list[str] = field(default_factory=list)  # words of this clinic's rows only
    # Words of rows its organisation owns (its clinical vocabulary, its rules for all its
    # clinics): a sister clinic's staff may see them, another business's may not.
    organisation_words: list[str] = field(default_factory=list)


@dataclass
class Group:
    alpha: Branch
    beta: Branch
    zeta: Branch
    superuser: object

    @property
    def branches(self) -> list[Branch]:
        return [self.alpha, self.beta, self.zeta]

    def organisation_markers(self, branch: Branch) -> list[str]:
        """The words of everything of `branch`'s organisation, its clients included."""
        same = [
            b for b in self.branches if b.clinic.organisation_id == branch.clinic.organisation_id
        ]
        return [
            word
            for b in same
            for word in (
                *b.markers,
                *b.organisation_words,
                b.clinic.name,
                b.client.name,
                b.client.email,
            )
        ]


def make_branch(organisation, slug: str, name: str, *, client_name: str, kind) -> Branch:
    branch = Branch(slug)
    clinic = factories.ClinicFactory(organisation=organisation, slug=slug, name=f"{name} Clinic")
    open_every_day(clinic)
    factories.ResourceFactory(clinic=clinic, kind=kind, name=f"{name} room")
    treatment = factories.TreatmentFactory(
        clinic=clinic, slug=f"{slug}-massage", name=f"{name} massage", kinds=[kind]
    )
    practitioner = factories.PractitionerFactory(
        clinic=clinic, name=f"{name} Practitioner", treatments=[treatment]
    )
    works_every_day(practitioner)
    staff = {
        role: factories.StaffFactory(username=f"{slug}-{role}", roles=[role], clinics=[clinic])
        for role in (FRONT_DESK, PRACTITIONER, MANAGER)
    }
    practitioner.user = staff[PRACTITIONER]
    practitioner.save(update_fields=["user"])
    email = f"{client_name.split()[0].lower()}@{slug}.example.com"
    client = factories.ClientFactory(clinic=clinic, name=client_name, email=email)
    injectable = factories.InjectableRecordFactory(
        client=client, date=date(2027, 1, 4), product=f"{name}Fill", areas=["lips"]
    )
    factories.HealthDeclarationFactory(client=client, declared_on=date(2026, 6, 1))
    visit = appointment_book(
        treatment=treatment,
        start=datetime.combine(VISIT_DAY, time(10), tzinfo=clinic.tzinfo),
        client=client,
        by=staff[FRONT_DESK],
        acknowledge_warnings=True,
    ).appointment
    rule = WaitingRule.objects.create(
        clinic=clinic,
        injectable_kind="filler",
        treatment_category="facial_massage",
        min_days=21,
        recommended_days=35,
        message=f"{name} rule: three weeks after filler.",
    )
    time_off = TimeOff.objects.create(
        practitioner=practitioner,
        start=datetime(2027, 4, 5, 9, tzinfo=UTC),
        end=datetime(2027, 4, 5, 17, tzinfo=UTC),
        reason=f"{name} leave",
    )
    Closure.objects.create(
        clinic=clinic, date=VISIT_DAY + timedelta(days=30), reason=f"{name} closure"
    )
    branch.__dict__.update(
        clinic=clinic,
        treatment=treatment,
        practitioner=practitioner,
        client=client,
        visit=visit,
        injectable=injectable,
        rule=rule,
        time_off=time_off,
        staff=staff,
        markers=[
            f"{name} massage",
            f"{name} Practitioner",
            f"{name} room",
            f"{name} rule",
            f"{name} leave",
            f"{name} closure",
            f"{name}Fill",
            visit.reference,
        ],
    )
    Term.objects.create(
        organisation=organisation,
        vocabulary="procedure",
        code=f"{slug}_rf",
        name=f"{name}Word RF",
    )
    WaitingRule.objects.create(
        organisation=organisation,
        injectable_kind=f"{slug}_rf",
        treatment_category="facial_massage",
        min_days=7,
        recommended_days=14,
        message=f"{name}Org rule: a week after RF.",
    )
    branch.organisation_words = [f"{name}Word RF", f"{name}Org rule"]
    return branch


def make_group() -> Group:
    """Call with the clock frozen at conftest.NOW and the default rules in place."""
    kind = factories.ResourceKindFactory(slug="treatment-room")
    group = Organisation.objects.create(name="Alpha Group", slug="alpha-group")
    studio = Organisation.objects.create(name="Zeta Studio", slug="zeta-studio")
    return Group(
        alpha=make_branch(group, "alpha", "Alpha", client_name="Avery Ashdown", kind=kind),
        beta=make_branch(group, "beta", "Beta", client_name="Blake Bramley", kind=kind),
        zeta=make_branch(studio, "zeta", "Zeta", client_name="Zed Zimmer", kind=kind),
        superuser=factories.UserFactory(
            username="root", is_staff=True, is_superuser=True, email="root@example.com"
        ),
    )
