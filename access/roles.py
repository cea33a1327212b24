"""The staff roles and what each may do. A role is held at a clinic (clinic.Membership):
front desk at two branches and manager of a third is three memberships, and a role at one
clinic gives nothing at another.

| What                                        | Front desk | Practitioner        | Clinic manager |
| ------------------------------------------- | ---------- | ------------------- | -------------- |
| Log in to the workspace                     | yes        | yes                 | yes            |
| Look up the organisation's clients          | all        | their own clients   | all            |
| See injectables, declarations, eligibility  | all        | their own clients   | all            |
| Record injectables and conditions           | all        | their own clients   | all            |
| Day sheet (day and week) of the clinic      | whole      | their own           | whole          |
| Mark completed / no-show                    | any        | their own           | any            |
| Sign off "needs approval" (approve/decline) | no         | their own           | any            |
| Book, move, cancel for a client; add client | yes        | no                  | yes            |
| Book past a clinical rule (override)        | no         | no                  | yes            |
| The clinic's rules (view and edit)          | no         | no                  | yes            |
| The organisation's rules and vocabulary     | no         | no                  | yes (any of    |
|                                             |            |                     | its clinics)   |
| Audit trail, client export, anonymisation   | no         | no                  | yes            |
| Outbox: messages, errors, retry             | yes        | no                  | yes            |
| Record a payment or refund at the desk      | yes        | no                  | yes            |
| Waive a late-cancellation or no-show fee    | no         | no                  | yes            |
| Payment problems (card calls that failed)   | read-only  | no                  | yes: try again,|
|                                             |            |                     | settle at desk |
| Sell a course at the desk                   | yes        | no                  | yes            |
| Record a course's payment at the desk       | yes        | no                  | yes            |
| Admin (the clinic's records)                | time off,  | nothing             | catalogue*,    |
|                                             | messages   |                     | diary**        |

*Catalogue: the clinic's treatments (and the device settings their records ask for), hours,
closures, practitioners, rooms and devices, payment policies (deposits and fees, money/), the
courses it sells (courses/), and
its own settings (policies, branding, its email address).
**Diary: the clinic's appointments and their history (notes; cancel, completed, no-show
through diary/services.py), the organisation's clients (read-only: their details change
through the workspace, which audits it), the messages, and the calls to the card provider
(read-only).

"Their own clients" come from the clinic's diary: the clients with an appointment (confirmed,
completed or no-show; never a hold) with one of the practitioner rows linked to the user
(Practitioner.user), other than one they asked for themself as the public; see
access.practitioner_clients. Staff act by their role: a client's manage token gives a staff
account nothing more (access.may_change_appointment). The
installation's superuser holds every permission everywhere, and alone edits the default rules
every clinic starts with and sees across organisations.

Each role is a set of Django permission names: access.MembershipBackend answers Django's
`user.has_perm` from them (a permission held at any clinic), and access.can(user, perm,
clinic) answers whether it is held at that clinic. Nothing is stored per permission: changing
this table changes what every member may do at once.
"""

from clinic.models import Membership

FRONT_DESK = Membership.Role.FRONT_DESK
PRACTITIONER = Membership.Role.PRACTITIONER
MANAGER = Membership.Role.MANAGER

_WORKSPACE = ["clinic.use_workspace"]
_DESK = [
    *_WORKSPACE,
    "clinic.see_all_clients",
    "clinic.see_whole_diary",
    "clinic.book_for_clients",
    "clinic.record_health",
]
_OUTBOX = ["aftercare.view_message", "aftercare.change_message"]
_RULES = [
    *(
        f"clinical.{action}_{model}"
        for model in ("waitingrule", "contraindicationrule", "prerequisiterule")
        for action in ("view", "add", "change", "delete")
    ),
    # The organisation's clinical vocabulary (prior procedures, conditions, areas,
    # categories): a manager at any of its clinics edits the organisation's words.
    *(f"clinic.{action}_term" for action in ("view", "add", "change", "delete")),
]
# Consent and intake forms: templates, their versions (added, never changed) and the rules
# saying which treatments need them (consent/).
_FORMS = [
    *(
        f"consent.{action}_{model}"
        for model in ("formtemplate", "formrule")
        for action in ("view", "add", "change", "delete")
    ),
    "consent.view_formversion",
    "consent.add_formversion",
]
# The diary in the admin: appointments (notes and the actions, which call diary/services.py),
# their history, and the clients they are for (read-only there).
_DIARY = [
    "bookings.view_appointment",
    "bookings.change_appointment",
    "bookings.view_appointmentchange",
    "clinic.view_client",
]
_CATALOGUE = [
    f"clinic.{action}_{model}"
    for model in (
        "openinghours",
        "closure",
        "resource",
        "treatment",
        "practitioner",
        "workinghours",
        "timeoff",
    )
    for action in ("view", "add", "change", "delete")
] + [
    f"{app}.{action}_{model}"
    for app, model in (("money", "paymentpolicy"), ("courses", "courseoffer"))
    for action in ("view", "add", "change", "delete")
]

# The device settings a treatment's record asks for (records.DeviceSettingsSchema).
_DEVICE_SETTINGS = [
    f"records.{action}_devicesettingsschema" for action in ("view", "add", "change", "delete")
]

ROLES: dict[str, frozenset[str]] = {
    FRONT_DESK: frozenset(
        [
            *_DESK,
            *_OUTBOX,
            "money.record_payment",
            "clinic.view_timeoff",
            "clinic.add_timeoff",
            "clinic.change_timeoff",
        ]
    ),
    PRACTITIONER: frozenset([*_WORKSPACE, "clinic.record_health", "bookings.sign_off_appointment"]),
    MANAGER: frozenset(
        [
            *_DESK,
            *_OUTBOX,
            "clinic.handle_personal_data",
            "clinic.view_auditentry",
            "bookings.override_eligibility",
            "bookings.sign_off_appointment",
            "money.record_payment",
            "money.waive_fee",
            "money.view_providercall",  # read-only in the admin
            # Their clinic's own settings (opening hours, policies, branding, its email);
            # clinics are added by the installation's superuser.
            "clinic.view_clinic",
            "clinic.change_clinic",
            "clinic.view_resourcekind",
            *_RULES,
            *_FORMS,
            *_CATALOGUE,
            *_DIARY,
            *_DEVICE_SETTINGS,
        ]
    ),
}
