"""The project side of the bench, one command per run: `python -m bench.worker COMMAND ARGS`.

It runs under the project's virtualenv with DATABASE_URL pointing at a bench database
(see bench/procs.py) and prints one line of JSON for bench/run.py to read. Keeping every
Django process separate lets run.py move between databases, and keeps our Django apart from
the peer's, which runs the same way from its own virtualenv.
"""

import json
import os
import sys


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def migrate() -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return {"migrated": True}


def seed_generated(appointments: str) -> dict:
    from bench import gen_clinic

    return gen_clinic.seed(appointments=int(appointments))


def availability(repeats: str, seeded: str) -> dict:
    """The availability table's rows on the generated clinic: P, then range length, then
    one practitioner over 90 days (the "next available" question)."""
    from bench.measure import search_rows

    seeded = json.loads(seeded)
    slugs = seeded["treatments"]
    plan = [{"label": f"P={size}, 14 days", "slug": slugs[size], "days": 14} for size in slugs]
    plan += [
        {"label": f"P=10, {days} day(s)", "slug": slugs["10"], "days": days} for days in (1, 62)
    ]
    plan.append(
        {
            "label": "1 of 50 practitioners, 90 days",
            "slug": slugs["50"],
            "days": 90,
            "practitioner": seeded["practitioner"],
        }
    )
    rows = search_rows(plan, repeats=int(repeats))
    return {"rows": rows}


def seed_peer_clinic(spec_path: str) -> dict:
    from bench import clinic_spec, peer_clinic

    return peer_clinic.seed(clinic_spec.load(spec_path))


def peer_question(spec_path: str, repeats: str) -> dict:
    from bench import clinic_spec, peer_clinic

    return peer_clinic.ask(clinic_spec.load(spec_path), repeats=int(repeats))


def seed_booking(practitioners: str, rooms: str, days: str) -> dict:
    from bench import booking_clinic

    return booking_clinic.seed(practitioners=int(practitioners), rooms=int(rooms), days=int(days))


def seed_outbox(messages: str) -> dict:
    from bench import outbox_clinic

    return outbox_clinic.seed(messages=int(messages))


COMMANDS = {
    "migrate": migrate,
    "seed-generated": seed_generated,
    "availability": availability,
    "seed-peer-clinic": seed_peer_clinic,
    "peer-question": peer_question,
    "seed-booking": seed_booking,
    "seed-outbox": seed_outbox,
}


def main(argv: list[str]) -> None:
    command, *args = argv
    setup()
    print(json.dumps(COMMANDS[command](*args), default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
