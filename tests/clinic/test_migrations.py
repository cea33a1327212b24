"""The migrations of issue 13, run on the suite's database against rows written with the
models of their time (the historical models of the migration state), then read back with
the models of the state after:

- clinic/0008 and 0009, on a database where one email is a client at two clinics in a
  different case: one organisation holds both clinics, and the two records are one, the older
  (its name and email, the newer one's phone and login, its clinic as home), holding both
  records' appointments, injectables, declarations, messages and audit entries, with a
  "merge" entry naming the merged record. Every other row is still there, and the new
  constraint refuses the email again, in any case, in the organisation;
- 0009 keeps an opt-out from aftercare emails made on the merged record only;
- 0010 turns the role groups into memberships, the widest role winning, and removes them;
- 0011 gives every client a login, one per address across organisations, keeping a login a
  client had and never taking a staff account;
- an empty database (no clinic) migrates without making an organisation.

Each test empties every table, then migrates the database to the state just before the
migration under test. Moving along the graph is the cost here (Django renders the models of
every state passed), so the database stays where a test left it for the next one, which is
mostly a few migrations away (the tests are in graph order), and goes back to the latest
state once, when the module ends (the `module_migrator` fixture's teardown), so the rest of
the suite runs on the schema of the code. The module's tests run in one process under
pytest -n (tests/conftest.py groups a module with a module-scoped fixture).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management.color import no_style
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE_ORGANISATIONS = ("clinic", "0007_auditentry")
CLIENTS_MERGED = ("clinic", "0009_clients_per_organisation")
ROLES_AS_MEMBERSHIPS = ("clinic", "0010_memberships_from_roles")
CLIENT_LOGINS = ("clinic", "0011_client_login_per_address")

ROLE_GROUPS = ("Front desk", "Practitioner", "Clinic manager")

# The rows that point at a client, which a merge moves: (app label, model).
POINTING_AT_A_CLIENT = [
    ("bookings", "Appointment"),
    ("clinical", "InjectableRecord"),
    ("clinical", "HealthDeclaration"),
    ("aftercare", "Message"),
    ("clinic", "AuditEntry"),
]
# Models the states before and after 0008-0009 share, counted on both sides.
KEPT = [
    ("auth", "User"),
    ("clinic", "Clinic"),
    ("clinic", "Treatment"),
    ("clinic", "Practitioner"),
    ("clinic", "Client"),
    *POINTING_AT_A_CLIENT,
]


class Migrator:
    """Moves the test database along the migration graph: the clinic app to a given
    migration, every other app at its latest that the state allows.
    Each move answers the historical models (an Apps registry) of the state reached."""

    def __init__(self):
        self.executor = MigrationExecutor(connection)

    def _targets(self, clinic_migration):
        """Clinic at `clinic_migration`; every other app at its latest migration that needs
        no later one of clinic's (aftercare/0004 needs clinic/0011, say)."""
        self.executor.loader.build_graph()  # what is applied now
        graph = self.executor.loader.graph
        reached = set(graph.forwards_plan(clinic_migration))
        later = {node for node in graph.nodes if node[0] == "clinic"} - reached
        targets = [clinic_migration]
        for node in graph.leaf_nodes():
            if node[0] == "clinic":
                continue
            app = node[0]
            while node is not None and later & set(graph.forwards_plan(node)):
                parents = [p for p in graph.node_map[node].parents if p[0] == app]
                node = parents[0] if parents else None
            targets.append(node or (app, None))
        return targets

    def to(self, clinic_migration):
        targets = self._targets(clinic_migration)
        self.executor.migrate(targets)
        self.executor.loader.build_graph()
        # An app taken back to before its first migration (consent/0001 needs clinic/0014)
        # has no state to project.
        reached = [target for target in targets if target[1] is not None]
        return self.executor.loader.project_state(reached).apps

    def to_latest(self):
        self.executor.loader.build_graph()
        self.executor.migrate(self.executor.loader.graph.leaf_nodes())


def _empty_every_table():
    """Every row of every table, in whatever state the database is: the rows of the test
    before (and of the migrations' data steps) must not meet the next test's. Content types
    and permissions stay, as after the flush of a transactional test."""
    kept = {"django_migrations", "django_content_type", "auth_permission"}
    tables = [t for t in connection.introspection.table_names() if t not in kept]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))


@pytest.fixture(scope="module")
def module_migrator(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        migrator = Migrator()
        try:
            yield migrator
        finally:
            try:
                migrator.to_latest()
            except DatabaseError:
                # Old rows left in the old schema by a failed forward migration would fail
                # the next attempt the same way.
                _empty_every_table()
                Migrator().to_latest()
            _empty_every_table()


@pytest.fixture
def migrator(transactional_db, module_migrator):
    _empty_every_table()
    return module_migrator


def at(day, hour=9):
    return datetime(2026, 6, day, hour, tzinfo=UTC)


def counts(apps):
    return {
        f"{app_label}.{model}": apps.get_model(app_label, model).objects.count()
        for app_label, model in KEPT
    }


def clinic_in_diary(apps, slug, name):
    """A clinic of the old state, with a treatment and a practitioner to book."""
    clinic = apps.get_model("clinic", "Clinic").objects.create(slug=slug, name=name)
    treatment = apps.get_model("clinic", "Treatment").objects.create(
        clinic=clinic,
        slug=f"{slug}-facial",
        name="Manual facial massage",
        category="facial_massage",
        duration_minutes=60,
        price=Decimal("80.00"),
    )
    practitioner = apps.get_model("clinic", "Practitioner").objects.create(
        clinic=clinic, name=f"{name} practitioner"
    )
    practitioner.treatments.add(treatment)
    return clinic, treatment, practitioner


def client_with_history(apps, clinic, treatment, practitioner, *, reference, created, **fields):
    """A client of the old state (one clinic's record) with one of each row that points at a
    client: an appointment, an injectable, a declaration, a message and an audit entry."""
    Client = apps.get_model("clinic", "Client")
    client = Client.objects.create(clinic=clinic, **fields)
    Client.objects.filter(pk=client.pk).update(created_at=created)  # auto_now_add otherwise
    start = created + timedelta(days=2)
    apps.get_model("bookings", "Appointment").objects.create(
        clinic=clinic,
        reference=reference,
        client=client,
        treatment=treatment,
        practitioner=practitioner,
        start=start,
        end=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1, minutes=15),
    )
    apps.get_model("clinical", "InjectableRecord").objects.create(
        client=client, kind="filler", date=date(2026, 5, 1), source="client_declared"
    )
    apps.get_model("clinical", "HealthDeclaration").objects.create(
        client=client, condition="pacemaker", declared_on=date(2026, 5, 1), source="staff"
    )
    apps.get_model("aftercare", "Message").objects.create(
        key=f"confirmation:{reference}",
        clinic=clinic,
        client=client,
        kind="confirmation",
        due_at=created,
    )
    apps.get_model("clinic", "AuditEntry").objects.create(
        username="frontdesk",
        action="view",
        what="client page",
        client=client,
        via="workspace",
        path=f"/workspace/clients/{client.pk}/",
    )
    return client


def rows_of(apps, client_id):
    """The pks of every row pointing at a client, by model."""
    return {
        f"{app_label}.{model}": set(
            apps.get_model(app_label, model)
            .objects.filter(client_id=client_id)
            .values_list("pk", flat=True)
        )
        for app_label, model in POINTING_AT_A_CLIENT
    }


def old_world_with_duplicates(apps):
    """Before organisations: Lumière (the older clinic) and Lumière North, with Olivia Turner
    recorded at each under one email in a different case; the newer record holds her phone
    and her login. Sam Patel, at North, has an email of his own."""
    older_clinic, older_treatment, older_practitioner = clinic_in_diary(apps, "lumiere", "Lumière")
    newer_clinic, newer_treatment, newer_practitioner = clinic_in_diary(
        apps, "lumiere-north", "Lumière North"
    )
    login = apps.get_model("auth", "User").objects.create(
        username="olivia", email="olivia.turner@example.com"
    )
    older = client_with_history(
        apps,
        older_clinic,
        older_treatment,
        older_practitioner,
        reference="OLDER001",
        created=at(1),
        name="Olivia Turner",
        email="Olivia.Turner@example.com",
        phone="",
    )
    newer = client_with_history(
        apps,
        newer_clinic,
        newer_treatment,
        newer_practitioner,
        reference="NEWER001",
        created=at(3),
        name="Liv Turner",
        email="olivia.turner@example.com",
        phone="07700 900123",
        user=login,
    )
    other = client_with_history(
        apps,
        newer_clinic,
        newer_treatment,
        newer_practitioner,
        reference="OTHER001",
        created=at(2),
        name="Sam Patel",
        email="sam.patel@example.com",
        phone="07700 900456",
    )
    return older, newer, other, login


def test_it_merges_one_email_at_two_clinics_into_the_older_record(migrator):
    old = migrator.to(BEFORE_ORGANISATIONS)
    older, newer, other, login = old_world_with_duplicates(old)
    before = counts(old)
    rows_before = {c.pk: rows_of(old, c.pk) for c in (older, newer, other)}

    new = migrator.to(CLIENTS_MERGED)

    Client = new.get_model("clinic", "Client")
    Clinic = new.get_model("clinic", "Clinic")
    organisation = new.get_model("clinic", "Organisation").objects.get()
    assert organisation.name == "Lumière"
    assert set(Clinic.objects.values_list("pk", flat=True)) == {
        older.clinic_id,
        newer.clinic_id,
    }
    assert set(Clinic.objects.values_list("organisation_id", flat=True)) == {organisation.pk}

    olivia = Client.objects.get(email__iexact="olivia.turner@example.com")
    assert olivia.pk == older.pk
    assert (olivia.name, olivia.email) == ("Olivia Turner", "Olivia.Turner@example.com")
    assert olivia.phone == "07700 900123"
    assert olivia.user_id == login.pk
    assert olivia.home_clinic_id == older.clinic_id
    assert olivia.organisation_id == organisation.pk
    assert not Client.objects.filter(pk=newer.pk).exists()

    merge = new.get_model("clinic", "AuditEntry").objects.get(action="merge")
    assert (merge.client_id, merge.clinic_id, merge.via) == (older.pk, older.clinic_id, "system")
    assert merge.details == {"merged_client_ids": [newer.pk]}
    held = rows_of(new, olivia.pk)
    for model, pks in held.items():
        wanted = rows_before[older.pk][model] | rows_before[newer.pk][model]
        if model == "clinic.AuditEntry":
            wanted = wanted | {merge.pk}
        assert pks == wanted, model
    assert len(held["bookings.Appointment"]) == 2

    sam = Client.objects.get(pk=other.pk)
    assert (sam.name, sam.email, sam.phone, sam.user_id, sam.unsubscribed_at) == (
        "Sam Patel",
        "sam.patel@example.com",
        "07700 900456",
        None,
        None,
    )
    assert sam.home_clinic_id == other.clinic_id
    assert sam.organisation_id == organisation.pk
    assert rows_of(new, sam.pk) == rows_before[other.pk]

    after = counts(new)
    assert after == {
        **before,
        "clinic.Client": before["clinic.Client"] - 1,
        "clinic.AuditEntry": before["clinic.AuditEntry"] + 1,
    }

    with pytest.raises(IntegrityError, match="client_email_unique_per_organisation"):
        with transaction.atomic():
            Client.objects.create(
                organisation=organisation,
                home_clinic_id=newer.clinic_id,
                name="Olivia Again",
                email="OLIVIA.TURNER@EXAMPLE.COM",
            )


def test_it_keeps_an_opt_out_made_only_on_the_merged_record(migrator):
    old = migrator.to(BEFORE_ORGANISATIONS)
    older, newer, *_ = old_world_with_duplicates(old)
    opted_out = at(5, 14)
    old.get_model("clinic", "Client").objects.filter(pk=newer.pk).update(unsubscribed_at=opted_out)

    new = migrator.to(CLIENTS_MERGED)

    survivor = new.get_model("clinic", "Client").objects.get(email__iexact=older.email)
    assert survivor.pk == older.pk
    assert survivor.unsubscribed_at == opted_out


def test_it_keeps_the_earliest_opt_out_when_both_records_had_one(migrator):
    old = migrator.to(BEFORE_ORGANISATIONS)
    older, newer, *_ = old_world_with_duplicates(old)
    Client = old.get_model("clinic", "Client")
    Client.objects.filter(pk=older.pk).update(unsubscribed_at=at(20))
    Client.objects.filter(pk=newer.pk).update(unsubscribed_at=at(6))

    new = migrator.to(CLIENTS_MERGED)

    survivor = new.get_model("clinic", "Client").objects.get(pk=older.pk)
    assert survivor.unsubscribed_at == at(6)


def test_it_turns_the_role_groups_into_memberships_at_every_clinic(migrator):
    old = migrator.to(CLIENTS_MERGED)
    User = old.get_model("auth", "User")
    Group = old.get_model("auth", "Group")
    organisation = old.get_model("clinic", "Organisation").objects.create(
        name="Lumière", slug="lumiere-group"
    )
    Clinic = old.get_model("clinic", "Clinic")
    north, south, west = (
        Clinic.objects.create(organisation=organisation, slug=slug, name=slug.title())
        for slug in ("north", "south", "west")
    )
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS}
    groups["Auditors"] = Group.objects.create(name="Auditors")  # not a role: it stays

    def user(username, *group_names):
        made = User.objects.create(username=username, is_staff=True)
        made.groups.set([groups[name] for name in group_names])
        return made

    desk = user("desk", "Front desk")
    manager = user("manager", "Clinic manager")
    both = user("both", "Front desk", "Clinic manager")
    in_diaries = user("in-diaries", "Practitioner")
    Practitioner = old.get_model("clinic", "Practitioner")
    Practitioner.objects.create(clinic=north, user=in_diaries, name="In Diaries")
    Practitioner.objects.create(clinic=west, user=in_diaries, name="In Diaries")
    in_no_diary = user("in-no-diary", "Practitioner")
    desk_and_practitioner = user("desk-practitioner", "Practitioner", "Front desk")
    Practitioner.objects.create(clinic=south, user=desk_and_practitioner, name="Desk Too")
    user("auditor", "Auditors")

    new = migrator.to(ROLES_AS_MEMBERSHIPS)

    def roles(user):
        return dict(
            new.get_model("clinic", "Membership")
            .objects.filter(user_id=user.pk)
            .values_list("clinic_id", "role")
        )

    every = (north.pk, south.pk, west.pk)
    assert roles(desk) == dict.fromkeys(every, "front_desk")
    assert roles(manager) == dict.fromkeys(every, "manager")
    assert roles(both) == dict.fromkeys(every, "manager")
    assert roles(in_diaries) == {north.pk: "practitioner", west.pk: "practitioner"}
    assert roles(in_no_diary) == dict.fromkeys(every, "practitioner")
    assert roles(desk_and_practitioner) == dict.fromkeys(every, "front_desk")
    assert new.get_model("clinic", "Membership").objects.count() == 3 * 5 + 2
    NewGroup = new.get_model("auth", "Group")
    assert not NewGroup.objects.filter(name__in=ROLE_GROUPS).exists()
    assert list(NewGroup.objects.values_list("name", flat=True)) == ["Auditors"]
    assert new.get_model("auth", "User").objects.count() == 7


def test_it_gives_every_client_one_login_per_address(migrator):
    old = migrator.to(ROLES_AS_MEMBERSHIPS)
    User = old.get_model("auth", "User")
    Organisation = old.get_model("clinic", "Organisation")
    Clinic = old.get_model("clinic", "Clinic")
    Client = old.get_model("clinic", "Client")
    clinics = [
        Clinic.objects.create(
            organisation=Organisation.objects.create(name=name, slug=name), slug=name, name=name
        )
        for name in ("lumiere", "northside", "south")
    ]

    def client(clinic, email, user=None):
        return Client.objects.create(
            organisation_id=clinic.organisation_id,
            home_clinic=clinic,
            name="Olivia",
            email=email,
            user=user,
        )

    had_login = User.objects.create(username="olivia", email="olivia@example.com")
    olivia = [
        client(clinics[0], "olivia@example.com", had_login),
        client(clinics[1], "Olivia@Example.com"),
    ]
    # Noah had two logins, one per organisation: the older record's wins.
    noah_first = User.objects.create(username="noah-1")
    noah = [
        client(clinics[1], "noah@example.com", noah_first),
        client(clinics[2], "NOAH@example.com", User.objects.create(username="noah-2")),
    ]
    # Dee is staff, and a client with the same address: her staff account stays out of it.
    staff = User.objects.create(username="dee", email="dee@example.com", is_staff=True)
    dee = client(clinics[0], "dee@example.com", staff)
    nobody = client(clinics[2], "ava@example.com")

    new = migrator.to(CLIENT_LOGINS)

    NewClient = new.get_model("clinic", "Client")
    EmailAddress = new.get_model("account", "EmailAddress")

    def login(record):
        return NewClient.objects.get(pk=record.pk).user_id

    assert {login(c) for c in olivia} == {had_login.pk}
    assert {login(c) for c in noah} == {noah_first.pk}
    assert login(dee) not in (None, staff.pk)
    assert not new.get_model("auth", "User").objects.get(pk=login(dee)).is_staff
    made = new.get_model("auth", "User").objects.get(pk=login(nobody))
    assert not made.password.startswith("pbkdf2") and made.password.startswith("!")
    addresses = dict(EmailAddress.objects.values_list("email", "user_id"))
    assert addresses == {
        "olivia@example.com": had_login.pk,
        "noah@example.com": noah_first.pk,
        "dee@example.com": login(dee),
        "ava@example.com": login(nobody),
    }
    assert not EmailAddress.objects.filter(verified=True).exists()


def test_it_migrates_a_database_with_no_clinic_without_making_an_organisation(migrator):
    old = migrator.to(BEFORE_ORGANISATIONS)
    assert not old.get_model("clinic", "Clinic").objects.exists()

    migrator.to_latest()

    latest = migrator.executor.loader.project_state(
        migrator.executor.loader.graph.leaf_nodes()
    ).apps
    assert not latest.get_model("clinic", "Organisation").objects.exists()
    assert not latest.get_model("clinic", "Client").objects.exists()
    assert not latest.get_model("clinic", "AuditEntry").objects.filter(action="merge").exists()


BEFORE_TERMS = ("clinic", "0014_admin_indexes")


def test_the_vocabulary_becomes_rows_every_code_in_use_keeps_its_word(migrator):
    """clinic/0015 (and clinical/0002): the enums' codes become the installation's default
    words, so every record, rule and treatment written with them names a word; existing rules
    become the defaults' or a clinic's as they were, for no treatment and no organisation."""
    old = migrator.to(BEFORE_TERMS)
    Organisation = old.get_model("clinic", "Organisation")
    Clinic = old.get_model("clinic", "Clinic")
    Client = old.get_model("clinic", "Client")
    Treatment = old.get_model("clinic", "Treatment")
    clinic = Clinic.objects.create(
        organisation=Organisation.objects.create(name="Lumière", slug="lumiere"),
        slug="lumiere",
        name="Lumière",
    )
    client = Client.objects.create(
        organisation_id=clinic.organisation_id, home_clinic=clinic, name="Ann", email="a@x.eu"
    )
    Treatment.objects.create(
        clinic=clinic,
        slug="led",
        name="LED",
        category="light_therapy",
        duration_minutes=30,
        price=Decimal("80"),
    )
    old.get_model("clinical", "InjectableRecord").objects.create(
        client=client,
        kind="thread_lift",
        date=date(2026, 5, 1),
        areas=["tear_trough"],
        source="staff",
    )
    old.get_model("clinical", "HealthDeclaration").objects.create(
        client=client, condition="epilepsy", declared_on=date(2026, 5, 1), source="staff"
    )
    old.get_model("clinical", "WaitingRule").objects.create(
        clinic=clinic,
        injectable_kind="thread_lift",
        treatment_category="light_therapy",
        min_days=3,
        recommended_days=5,
        message="Three days.",
    )

    migrator.to_latest()

    from clinic.models import Clinic as ClinicNow
    from clinical.rules import clinic_rules
    from clinical.terms import vocabulary_for

    words = vocabulary_for(clinic.organisation_id)
    assert words.name("procedure", "thread_lift") == "Thread lift"
    assert words.caution_days("thread_lift") == 180
    assert words.sheet_area("tear_trough") == "tear trough"
    assert words.word("condition", "epilepsy").asked == "I have epilepsy"
    assert words.name("category", "light_therapy") == "LED light therapy"
    rules = clinic_rules(ClinicNow.objects.get(pk=clinic.pk))
    ours = [r for r in rules.waiting if r.treatment_category == "light_therapy"]
    assert [(r.injectable_kind, r.min_days, r.treatment_id) for r in ours] == [
        ("thread_lift", 3, None)
    ]
