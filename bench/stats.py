"""Timing and small statistics for the figures (standard library only: the peer's script
in its own virtualenv uses them too)."""

import statistics
import time

WARMUP = 3


def timed(call, *, repeats: int, warmup: int = WARMUP) -> list[float]:
    """Milliseconds per call, after `warmup` untimed calls: the steady state of a running
    server, its caches and the database's buffers warm."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least `fraction` of the
    samples at or below it (no interpolation, so it is a latency that really happened)."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def summary(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "median": round(statistics.median(samples), 2),
        "p95": round(percentile(samples, 0.95), 2),
    }
