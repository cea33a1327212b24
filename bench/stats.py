"""Timing and small statistics for the figures (standard library only: the peer's script
in its own virtualenv uses them too)."""

import statistics
import time

WARMUP = 3


def interleaved(calls: list, *, repeats: int, warmup: int = WARMUP) -> list[list[float]]:
    """Milliseconds per call for each of `calls`, timed in turn round after round (after
    `warmup` untimed rounds: caches and the database's buffers warm, as in a running
    server). On a shared machine a burst of load then touches every line alike instead of
    whichever one happened to be running."""
    for _ in range(warmup):
        for call in calls:
            call()
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for call, times in zip(calls, samples, strict=True):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return samples


def timed(call, *, repeats: int, warmup: int = WARMUP) -> list[float]:
    """Milliseconds per call of one call (see interleaved)."""
    return interleaved([call], repeats=repeats, warmup=warmup)[0]


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least `fraction` of the
    samples at or below it (no interpolation, so it is a latency that really happened)."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def summary(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "min": round(min(samples), 2),
        "median": round(statistics.median(samples), 2),
        "p95": round(percentile(samples, 0.95), 2),
    }
