"""The fan-out simulation holds each platform to its source's `concurrency`, as run_units and the FIFO queue do."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import bench_fanout as bf
from sentinelle.sources import SPECS


def peaks(monkeypatch: pytest.MonkeyPatch, cls: Any, **kw: Any) -> tuple[list[int], int, bf.Outcome]:
    """Run one simulation, counting the units in flight per platform and overall."""
    flying, peak, total = [0] * len(bf.PLATFORMS), [0] * len(bf.PLATFORMS), [0, 0]
    take, done = cls.take, cls.done

    def platform(queue: Any, unit: int) -> int:
        return queue.platform[unit] if isinstance(queue, bf.Fifo) else unit

    def counted_take(queue: Any) -> int | None:
        unit = take(queue)
        if unit is not None:
            p = platform(queue, unit)
            flying[p] += 1
            peak[p] = max(peak[p], flying[p])
            total[0] += 1
            total[1] = max(total[1], total[0])
        return unit

    def counted_done(queue: Any, unit: int) -> None:
        flying[platform(queue, unit)] -= 1
        total[0] -= 1
        done(queue, unit)

    monkeypatch.setattr(cls, "take", counted_take)
    monkeypatch.setattr(cls, "done", counted_done)
    out = bf.simulate(300, **kw)
    return peak, total[1], out


def test_caps_are_the_sources_defaults():
    assert bf.CAPS == tuple(SPECS[p.name].default_concurrency for p in bf.PLATFORMS)


@pytest.mark.parametrize(("cls", "fanned", "workers"), [(bf.InProcess, False, 8), (bf.Fifo, True, 5),
                                                         (bf.Fifo, True, 100)])
def test_no_platform_runs_more_than_its_concurrency(monkeypatch, cls, fanned, workers):
    peak, overall, out = peaks(monkeypatch, cls, concurrency=workers, fanned=fanned)
    assert all(p <= c for p, c in zip(peak, bf.CAPS)) and overall <= min(workers, sum(bf.CAPS))
    assert peak == list(bf.CAPS) or workers < sum(bf.CAPS)  # with room for all, each reaches its cap
    assert out.done <= out.units == 300 * len(bf.PLATFORMS)


def test_without_caps_the_workers_are_the_only_limit(monkeypatch):
    peak, overall, _ = peaks(monkeypatch, bf.Fifo, concurrency=40, fanned=True, caps=None)
    assert overall == 40 and max(peak) > max(bf.CAPS)
