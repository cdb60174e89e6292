"""Fan-out: a simulated scan of protected people × six platforms, single invocation against SQS fan-out.

A discrete-event simulation (no network, no AWS): each work unit is one profile search of one
person on one platform (one request, then detection of the page). Requests wait for their
platform's rate-limit window and take the platform's answer time; detection takes CPU time at the
rate this repository measures. Each platform runs at most its source's `concurrency` units at
once, as the code does: `pipeline.run_units` with a semaphore per source under its eight fetches,
the FIFO work queue with one message group per source slot under `WorkerConcurrency`. It answers
how long a run takes, what it costs in Lambda, and the largest watchlist that finishes within a
15-minute schedule, for each design.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sentinelle.sources import SPECS

COMMAND = "python -m benchmarks fanout"
SCHEDULE_S = 900.0  # a 15-minute schedule; also Lambda's longest invocation

# Per platform: rate-limit window (requests per seconds) from ../shared/design/PLATFORM-APIS.md,
# and the answer time of one request. No latencies are recorded anywhere in this repository or in
# ../shared/data, so these are assumptions, stated here and in docs/benchmarks.md.
@dataclass(frozen=True)
class Platform:
    name: str
    limit: int  # requests per window
    window_s: float
    latency_s: float  # assumed answer time of one request
    basis: str


PLATFORMS = (
    Platform("mastodon", 300, 300.0, 0.35, "300 requests / 5 min per account and IP"),
    Platform("bluesky", 3_000, 300.0, 0.30, "3,000 requests / 5 min per IP"),
    Platform("reddit", 1_000, 600.0, 0.50, "100 queries / min per client, averaged over 10 min"),
    Platform("x", 300, 900.0, 0.40, "GET /2/users/by/username: 300 / 15 min per app"),
    Platform("youtube", 104, 900.0, 0.25, "10,000 units / day ÷ 96 runs = 104 channels.list calls per run"),
    Platform("rss", 10**9, 1.0, 0.40, "no platform limit (one feed per person)"),
)

# The same platforms with their limits lifted (more credentials, instances or apps).
UNLIMITED = tuple(Platform(p.name, 10**9, 1.0, p.latency_s, p.basis) for p in PLATFORMS)

# Each platform's units in flight at once: its source type's default `concurrency` (sources/__init__.py).
CAPS = tuple(SPECS[p.name].default_concurrency for p in PLATFORMS)

ITEMS_PER_UNIT = 20  # profiles on one search page
# The impersonation detector's rate per core with 1,000 protected identities: docs/benchmarks.md,
# "As the watchlist grows" (`benchmarks.bench_impersonation.bench_scaling()`, measured 2026-12-04:
# 11,172 profiles/s). The one place this simulation takes it from: update it with that table.
DETECT_RATE = 11_172.0
DETECT_BASIS = "11,172 profiles/s per core with 1,000 identities (\"As the watchlist grows\" below, 2026-12-04)"
MEMORY_GB = 0.5  # template.yaml MemorySize 512
VCPU = 512 / 1769  # Lambda's share of a vCPU at 512 MB
LAMBDA_GB_S = 0.0000133334  # USD per GB-second, arm64 (list price, November 2026)
LAMBDA_REQUEST = 0.20 / 1e6
SQS_REQUEST = 0.40 / 1e6
SQS_PER_UNIT = 0.1 + 1 + 1  # a tenth of a SendMessageBatch, one receive, one delete
SINGLE_CONCURRENCY = 8  # pipeline.scan's default
MAX_WAIT_S = 90.0  # a live source's wait budget for rate limits (sources: max_wait)
UNIT_OVERHEAD_S = 0.15  # per worker invocation: checkpoint read and write, the record, SQS round trip
COLD_START_S = 0.5  # first unit of each concurrent worker (imports; docs/benchmarks.md "cold start")


class Gate:
    """A platform's fixed rate-limit window: past its limit a request waits for the next window."""

    def __init__(self, platform: Platform):
        self.p = platform
        self.start, self.count = 0.0, 0

    def admit(self, t: float) -> float | None:
        """When the request is answered, or None when the platform answers 429 with a reset further
        than the source's wait budget (the unit is deferred to the next run, its checkpoint kept)."""
        if t >= self.start + self.p.window_s:
            self.start, self.count = t, 0
        begin = t
        if self.count >= self.p.limit:
            reset = self.start + self.p.window_s
            if reset - t > MAX_WAIT_S:
                return None
            self.start, self.count, begin = reset, 0, reset
        self.count += 1
        return begin


@dataclass
class Outcome:
    wall_s: float  # until every unit is done or deferred (or the single invocation's deadline)
    billed_s: float  # Lambda seconds billed (sum of invocation durations)
    invocations: int
    done: int  # units done within the schedule's 15 minutes
    units: int

    @property
    def complete(self) -> bool:
        return self.done == self.units

    def cost(self, units: int, fanned: bool) -> float:
        usd = self.billed_s * MEMORY_GB * LAMBDA_GB_S + self.invocations * LAMBDA_REQUEST
        return usd + (units * SQS_PER_UNIT * SQS_REQUEST if fanned else 0.0)


class InProcess:
    """`pipeline.run_units`: each unit waits for a slot of its source (a semaphore of its
    `concurrency`), then for one of the run's fetch slots, first come first served (asyncio's
    semaphores); units enter in plan order, source by source."""

    def __init__(self, people: int, caps: tuple[int, ...]):
        self.pending = [people - min(people, c) for c in caps]
        self.waiting = deque(p for p, c in enumerate(caps) for _ in range(min(people, c)))

    def take(self) -> int | None:
        return self.waiting.popleft() if self.waiting else None

    def done(self, platform: int) -> None:
        if self.pending[platform]:  # the source's next unit takes the freed source slot
            self.pending[platform] -= 1
            self.waiting.append(platform)


class Fifo:
    """The FIFO work queue: a platform's units spread over as many message groups as its
    `concurrency` (a stable hash: here a seeded draw), one message of a group in flight at a time.
    SQS promises no order between groups: a free worker takes the head of any group not in flight,
    drawn at random. With no cap, each unit is its own group (any order, as a standard queue)."""

    def __init__(self, people: int, caps: tuple[int, ...] | None, platforms: int, rng: random.Random):
        self.platform: list[int] = []
        self.left: list[int] = []
        for p in range(platforms):
            if caps is None:
                sizes = [1] * people
            else:
                sizes = [0] * caps[p]
                for _ in range(people):
                    sizes[rng.randrange(caps[p])] += 1
            self.platform += [p] * len(sizes)
            self.left += sizes
        self.ready = [g for g, n in enumerate(self.left) if n]
        self.rng = rng

    def take(self) -> int | None:
        if not self.ready:
            return None
        i = self.rng.randrange(len(self.ready))
        self.ready[i], self.ready[-1] = self.ready[-1], self.ready[i]
        group = self.ready.pop()
        self.left[group] -= 1
        return group

    def done(self, group: int) -> None:
        if self.left[group]:  # the group's next message becomes visible
            self.ready.append(group)


def simulate(people: int, *, concurrency: int, fanned: bool, detect_rate: float = DETECT_RATE,
             platforms: tuple[Platform, ...] = PLATFORMS, caps: tuple[int, ...] | None = CAPS,
             seed: int = 17) -> Outcome:
    """Run every unit of `people` × platforms, each platform at most `caps` units at once (None:
    no cap). Single invocation: `concurrency` fetch slots (`run_units`) sharing one process's CPU,
    stopped at 15 minutes (Lambda's longest invocation). Fan-out: `concurrency` workers (the
    queue's MaximumConcurrency) taking units from the FIFO queue's groups, each with its own CPU
    and billed for its own duration."""
    queue: InProcess | Fifo = (Fifo(people, caps, len(platforms), random.Random(seed)) if fanned else
                               InProcess(people, caps if caps is not None else (people,) * len(platforms)))
    platform_of: Callable[[int], int] = (lambda g: queue.platform[g]) if isinstance(queue, Fifo) else (lambda p: p)
    gates = [Gate(p) for p in platforms]
    cpu_s = ITEMS_PER_UNIT / (detect_rate * VCPU)
    cpu_free = billed = end = 0.0
    done = 0
    # (time, slot, unit in hand (its group, or its platform in-process; -1 for a free slot), step
    # (0 request, 1 detection, 2 deferred, 3 done: its platform's slot is freed), when it started)
    events: list[tuple[float, int, int, int, float]] = [(0.0, slot, -1, 0, 0.0) for slot in range(concurrency)]
    heapq.heapify(events)
    warm: set[int] = set()
    while events:
        t, slot, unit, step, started = heapq.heappop(events)
        if not fanned and t >= SCHEDULE_S:  # the single invocation's deadline: what is left waits
            end = SCHEDULE_S
            continue
        if step == 3:  # the unit is over: its platform's slot (or group) is free again
            queue.done(unit)
            unit = -1
        if unit < 0:  # the slot is free: take the next unit that may start
            nxt = queue.take()
            if nxt is None:  # none left, or all wait for their platform's cap; a unit that
                end = max(end, t)  # ends frees one place, and its own slot takes the next
                continue
            begin = t
            if fanned and slot not in warm:
                warm.add(slot)
                t += COLD_START_S
            heapq.heappush(events, (t, slot, nxt, 0, begin))
            continue
        platform = platform_of(unit)
        latency = platforms[platform].latency_s
        if step == 0:  # the request: its rate-limit window, then its answer
            answered = gates[platform].admit(t)
            if answered is None:  # deferred to the next run after one 429
                heapq.heappush(events, (t + latency, slot, unit, 2, started))
            else:
                heapq.heappush(events, (answered + latency, slot, unit, 1, started))
            continue
        finish = t
        if step == 1:  # detection, then record and checkpoint
            if fanned:
                finish = t + cpu_s + UNIT_OVERHEAD_S
            else:  # one process: detection waits for the CPU
                cpu_free = max(cpu_free, t) + cpu_s
                finish = cpu_free
            done += finish <= SCHEDULE_S
        if fanned:
            billed += finish - started
        heapq.heappush(events, (finish, slot, unit, 3, 0.0))
    if not fanned:
        billed = end
    units = people * len(platforms)
    return Outcome(wall_s=end, billed_s=billed, invocations=units if fanned else 1, done=done, units=units)


def largest(fits: Callable[[int], bool], high: int = 200_000) -> int:
    """The largest watchlist (people) for which `fits` holds, by bisection."""
    lo, hi = 0, 1
    while hi < high and fits(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min"


def run() -> str:
    people = 1_000
    designs = ((f"single invocation ({SINGLE_CONCURRENCY} concurrent fetches, one process)", SINGLE_CONCURRENCY, False),
               ("fan-out, WorkerConcurrency 5 (the template's default)", 5, True),
               ("fan-out, WorkerConcurrency 20", 20, True),
               ("fan-out, WorkerConcurrency 100", 100, True))
    total = people * len(PLATFORMS)
    caps = ", ".join(f"{p.name} {c}" for p, c in zip(PLATFORMS, CAPS))
    lines = ["## Fan-out: single invocation against SQS work units", "",
             f"`{COMMAND}`. A discrete-event simulation (benchmarks/bench_fanout.py), not a live run: "
             f"{people:,} protected people × {len(PLATFORMS)} platforms = {total:,} work units, each one "
             f"profile search (one request, {ITEMS_PER_UNIT} profiles to check). A request waits for its platform's "
             f"rate-limit window when the reset is at most {MAX_WAIT_S:.0f} s away (the sources' `max_wait`), else the "
             "unit is deferred to the next run with its checkpoint (one 429 answered); detection takes CPU at the "
             f"impersonation detector's rate, {DETECT_BASIS}, on {VCPU:.2f} vCPU (512 MB). "
             f"Each platform runs at most its source's `concurrency` units at once (the defaults: {caps}; "
             f"{sum(CAPS)} in all), as the code does: the single invocation (`run_units`) holds each source to its "
             f"limit under its {SINGLE_CONCURRENCY} fetch slots, first come first served; fan-out spreads each "
             "source's units over as many FIFO message groups, one message of a group in flight at a time, a free "
             "worker taking any group's next message (SQS promises no order between groups: drawn at random). Rows "
             "\"no per-source limit\" lift that cap (the earlier standard queue). The single invocation stops at "
             f"15 minutes (Lambda's longest; the template gives it 300 s). Fan-out adds {UNIT_OVERHEAD_S} s per unit "
             f"(checkpoint, record, SQS), a {COLD_START_S} s cold start per worker, and bills each worker for its "
             "waits. Costs: Lambda arm64 GB-s and requests, SQS requests.", "",
             "Platform assumptions (limits from ../shared/design/PLATFORM-APIS.md; answer times assumed, "
             "since none are recorded in this repository or ../shared/data):", "",
             "| platform | limit used | assumed answer time | `concurrency` (default) |", "|---|---|---|---|"]
    for p, c in zip(PLATFORMS, CAPS):
        lines.append(f"| {p.name} | {p.basis} | {p.latency_s:.2f} s | {c} |")
    lines += ["", f"| design | {people:,} people: units done in 15 min | wall time | Lambda cost per run | "
              "largest watchlist done in one 15-min run (platform rate limits) | same, rate limits lifted |",
              "|---|---|---|---|---|---|"]
    fitting: dict[tuple[int, bool, bool], int] = {}  # (concurrency, fanned, capped): largest, rate limits lifted
    for name, conc, fanned in designs:
        for cap_label, cap in (("per-source limits", CAPS), ("no per-source limit", None)):
            def fits(n: int, platforms: tuple[Platform, ...] = PLATFORMS, conc: int = conc,
                     fanned: bool = fanned, cap: tuple[int, ...] | None = cap) -> bool:
                return simulate(n, concurrency=conc, fanned=fanned, platforms=platforms, caps=cap).complete

            out = simulate(people, concurrency=conc, fanned=fanned, caps=cap)
            cost = out.cost(total, fanned)
            fitting[conc, fanned, cap is not None] = lifted = largest(lambda n: fits(n, UNLIMITED))
            lines.append(f"| {name}, {cap_label} | {out.done:,} of {total:,} | {_minutes(out.wall_s)} | ${cost:.4f} "
                         f"({out.billed_s * MEMORY_GB:,.0f} GB-s, {out.invocations:,} invocations) | "
                         f"{largest(fits):,} people | {lifted:,} people |")
    slowest, cap = max(zip(PLATFORMS, CAPS), key=lambda pc: pc[0].latency_s / pc[1])  # the most time per slot
    lines += ["", "Reading it: the platforms' own rate limits bind first (YouTube's daily quota spread over 96 runs "
              "allows 104 lookups per run; an X app and a Mastodon account about 300 per window), and no design "
              "lifts them: past them units are deferred, each with its checkpoint, to the next runs. Each source's "
              f"`concurrency` now caps its platform in both designs. The six defaults add up to {sum(CAPS)} units "
              f"at once ({sum(CAPS) + SPECS['replay'].default_concurrency} with a replay source's "
              f"{SPECS['replay'].default_concurrency}), so the template's WorkerConcurrency 5 binds first (its rows barely move without the "
              f"per-source limits), and past {sum(CAPS)} workers more WorkerConcurrency buys nothing: with the rate "
              f"limits lifted, the platform with the most answer time per slot ({slowest.name}: {cap} at "
              f"{slowest.latency_s:.2f} s) bounds a 15-minute run at "
              f"{fitting[20, True, True]:,} people whatever the WorkerConcurrency, where lifting the per-source "
              f"limits too lets fan-out grow with it ({fitting[100, True, False]:,} people at 100). So more "
              "credentials, apps or instances go with a higher `concurrency` for that source. The single "
              f"invocation is bound by its {SINGLE_CONCURRENCY} fetch slots, one process's CPU and its 15-minute "
              f"ceiling ({fitting[SINGLE_CONCURRENCY, False, True]:,} people with the per-source limits). "
              "A slower run can count more units done in 15 minutes: a fixed rate-limit window (Mastodon's "
              "5 minutes, Reddit's 10) opens again within it. Fan-out costs cents per run either way."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
