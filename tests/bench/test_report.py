"""results.md after a run of some benchmarks (`make bench ARGS="--only ..."`)."""

from bench import report

EARLIER = """# Benchmark results (`make bench`)

## Machine

| what | value |
| --- | --- |
| date | 2026-11-29 19:30 UTC |

## Availability: generated clinic

| N | ms |
| --- | --- |
| 5,000 | 9.9 |

## Booking under contention

| bookings/s | 47.7 |
"""


def test_a_partial_run_keeps_the_other_sections_with_their_date(tmp_path, monkeypatch):
    results = tmp_path / "results.md"
    results.write_text(EARLIER)
    monkeypatch.setattr(report, "RESULTS", results)
    monkeypatch.setattr(report.pgadmin, "server_version", lambda: "PostgreSQL 15.20 on x86")
    run = report.Report("full")
    run.add(report.Section("Availability: generated clinic", ["N", "ms"], [["5,000", "6.3"]]))

    text = run.write(keep_others=True).read_text()

    # This run's availability replaces the old (the machine section, printing the load
    # average, may hold any figure: read the section itself).
    availability = text.split("## Availability: generated clinic")[1].split("## ")[0]
    assert "6.3" in availability and "9.9" not in availability
    assert "2026-11-29 19:30" not in text.split("## Booking")[0]  # the machine is this run's
    booking = text.split("## Booking under contention")[1]
    assert "47.7" in booking and "_From the run of 2026-11-29 19:30 UTC._" in booking

    again = report.Report("full")  # kept again: still dated by its own run, once
    again.add(report.Section("Availability: generated clinic", ["N", "ms"], [["5,000", "6.1"]]))
    text = again.write(keep_others=True).read_text()
    assert text.count("_From the run of 2026-11-29 19:30 UTC._") == 1


def test_a_full_run_writes_only_its_own(tmp_path, monkeypatch):
    results = tmp_path / "results.md"
    results.write_text(EARLIER)
    monkeypatch.setattr(report, "RESULTS", results)
    monkeypatch.setattr(report.pgadmin, "server_version", lambda: "PostgreSQL 15.20 on x86")

    text = report.Report("full").write().read_text()

    assert "Booking under contention" not in text
