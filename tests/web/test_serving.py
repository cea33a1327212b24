"""The web process's garbage collector once it serves (web/serving.py ready_to_serve): its
start-up objects frozen, and young collections rare enough that a page's objects die by
their reference counts instead of being promoted into full collections. Run in a child
process: freezing and thresholds belong to the whole process."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Loads the WSGI application as the server does, then serves 200 "pages", each holding
# 4,000 rows (an object, its dict and a list; one in a hundred in a reference cycle) until
# it answers; counts the full collections.
SERVE = """
import gc, json, os, sys
import config.wsgi  # noqa: F401 - ready_to_serve() runs last in it
threshold = gc.get_threshold()
frozen = gc.get_freeze_count()
if sys.argv[1] == "python":
    gc.set_threshold(700, *threshold[1:])

class Row:
    def __init__(self, number):
        self.number = number
        self.cells = [number, str(number)]
        self.me = self if number % 100 == 0 else None  # a cycle, as cached relations make

full = []
gc.callbacks.append(
    lambda phase, info: phase == "start" and info["generation"] == 2 and full.append(1)
)
for _ in range(200):
    page = [Row(number) for number in range(4000)]
    del page
gc.callbacks.clear()
print(json.dumps({"threshold": threshold, "frozen": frozen, "full": len(full)}))
"""


def _serve(thresholds: str) -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT))
    env.setdefault("SECRET_KEY", "serving-test")
    done = subprocess.run(
        [sys.executable, "-c", SERVE, thresholds],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_serving_process_freezes_start_up_and_collects_the_young_rarely():
    served = _serve("serving")
    assert served["frozen"] > 50_000  # the project's modules, models, URLs, forms
    assert served["threshold"][0] == 10_000
    assert served["full"] == 0


def test_with_pythons_threshold_the_same_pages_meet_full_collections():
    # What the threshold is for: the same pages at Python's 700 promote their rows
    # while they are in use, and the oldest generation fills up.
    assert _serve("python")["full"] >= 2
