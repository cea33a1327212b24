"""The aftercare drain's figures from the SMTP sink's record (bench/outbox_drain.py)."""

import os
import time

import pytest

from bench import cpu
from bench.outbox_drain import Sink, figures


def test_the_messages_per_smtp_connection_are_the_batches_sizes():
    # (outbox id, arrival time, connection): connection 0 carried two, 1 and 2 one each,
    # and message 3 came twice.
    arrivals = [(1, 11.0, 0), (2, 12.0, 0), (3, 12.5, 1), (3, 12.6, 2)]

    found = figures(arrivals, expected={1, 2, 3, 4}, due=10.5)

    assert (found["delivered"], found["lost"], found["duplicated"]) == (3, 1, 1)
    assert found["batches"] == {
        "count": 3,
        "mean": 1.3,
        "median": 1,
        "of_one": 2,
        "under_ten": 3,
        "max": 2,
    }


def test_the_sink_counts_each_message_once_whatever_its_connections():
    sink = Sink(port=0)  # never started
    sink.arrivals += [(1, 11.0, 0), (2, 12.0, 0), (2, 12.5, 1)]

    assert sink.delivered() == 2


def test_a_process_groups_cpu_is_read_from_proc():
    if not cpu.PROC.joinpath("stat").exists():
        pytest.skip("no /proc")
    before = cpu.groups_seconds({os.getpgrp()})
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass

    assert cpu.groups_seconds({os.getpgrp()}) > before
    assert cpu.groups_seconds({-1}) == 0
