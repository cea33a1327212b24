"""Profile one page of the page benchmark in process (bench/pages.py), on a database holding
the seeded group, and write its bodies out to compare two checkouts byte for byte.

    DATABASE_URL=... python -m bench.page_profile profile 'diary, a busy week' [N]
    DATABASE_URL=... python -m bench.page_profile cpu 'diary, a busy*' 'week sheet*' [--passes N]
    DATABASE_URL=... python -m bench.page_profile dump DIR 'diary, a busy*' 'week sheet*'

`cpu` prints each page's median CPU ms over interleaved passes; `dump` writes each body
(the CSRF token blanked) to DIR/<label>.html.
"""

import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")|(csrf[-_]?token"?[:=] ?")[^"]*')


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.test.utils import override_settings

    from bench import group, pages

    override_settings(PASSWORD_HASHERS=group.FAST_HASHERS).enable()
    world = pages.seeded()
    return pages, world, pages._clients(world), pages.page_list(world)


def main(argv: list[str]) -> None:
    command, *rest = argv
    pages, world, clients, everything = _setup()
    if command == "dump":
        target = Path(rest[0])
        target.mkdir(parents=True, exist_ok=True)
        for page in pages.chosen(everything, rest[1:]):
            body = pages._ask(clients[page.who], page).content
            body = CSRF.sub(b"CSRF", body)
            (target / f"{page.label}.html").write_bytes(body)
        return
    if command == "cpu":
        passes = 15
        if "--passes" in rest:
            index = rest.index("--passes")
            passes = int(rest[index + 1])
            rest = rest[:index] + rest[index + 2 :]
        chosen = pages.chosen(everything, rest)
        cpu = {page.label: [] for page in chosen}
        for number in range(passes + 2):
            for page in chosen:
                started = time.process_time()
                pages._ask(clients[page.who], page)
                if number >= 2:
                    cpu[page.label].append((time.process_time() - started) * 1000)
        for label, values in cpu.items():
            print(f"{label}: CPU median {statistics.median(values):.1f} ms, min {min(values):.1f}")
        return
    page = pages.chosen(everything, rest[:1])[0]
    repeat = int(rest[1]) if len(rest) > 1 else 5
    client = clients[page.who]
    for _ in range(2):
        pages._ask(client, page)
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(repeat):
        pages._ask(client, page)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main(sys.argv[1:])
