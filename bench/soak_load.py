"""The soak's read load: ``CLIENTS`` clients, each calling a read route as soon
as its previous call answered, for as long as the soak runs. Every request is
recorded: when it started and ended (``time.monotonic()``, which every process
of the machine shares), the route and the status (0: no answer — refused,
reset, timed out). Runs in a process of its own so that its event loop neither
slows nor is slowed by the soak's timing. The client is aiohttp (its HTTP parser
is C): on this 2-core machine httpx's client cost about 4 ms of CPU a request,
so the load generator took a core from the server it measured and its own
event loop's backlog showed up as the server's latency (64 clients, no
analysis: httpx read p99 1.67 s at 177 answers/s where ``wrk`` read 0.47 s at
416/s).

    python -m bench.soak_load BASE REFERENCE_ID SOAKED_ID OUT.json [CLIENTS]

Stops on SIGTERM and writes ``{"routes": [...], "errors": [...], "records": [[t0, t1, route,
status, error], ...]}`` (error: an index into "errors", the exception's class, for status 0).
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sys
import time

import aiohttp

ERROR_PAUSE_S = 0.05  # after a refused connection: the server is down, do not spin


def routes(reference: str, soaked: str) -> list[tuple[str, int, object]]:
    """(name, weight, path maker). Mostly what the player reads while a video is
    watched; 1 % thumbnails at a random tenth of a second, which writes the
    media cache in the data dir (so a full data dir is seen by a reader)."""
    ref, soak = f"/v1/videos/{reference}", f"/v1/videos/{soaked}"
    words = ("invoice", "meeting", "coffee", "budget", "password", "delivery")
    return [
        ("healthz", 10, lambda r: "/healthz"),
        ("videos", 10, lambda r: "/v1/videos?limit=20"),
        ("timeline", 15, lambda r: f"{ref}/timeline"),
        ("timeline (soaked video)", 10, lambda r: f"{soak}/timeline"),
        ("jump object", 15, lambda r: f"{ref}/jump?kind=object&label=person&from_ms={r.randrange(180_000)}"),
        ("jump scene", 10, lambda r: f"{ref}/jump?kind=scene&from_ms={r.randrange(180_000)}"),
        ("find", 15, lambda r: f"{ref}/find?q={r.choice(words)}&from_ms={r.randrange(180_000)}"),
        ("jump (soaked video)", 10, lambda r: f"{soak}/jump?kind=scene&from_ms={r.randrange(180_000)}"),
        ("thumbnail", 1, lambda r: f"{ref}/thumbnail?t_ms={r.randrange(1800) * 100}&width=160"),
    ]


async def client(http: aiohttp.ClientSession, table: list[tuple[str, int, object]], seed: int,
                 stop: asyncio.Event, records: list[tuple[float, float, int, int, int]],
                 errors: list[str]) -> None:
    rng = random.Random(seed)
    indexes = list(range(len(table)))
    weights = [w for _, w, _ in table]
    while not stop.is_set():
        i = rng.choices(indexes, weights)[0]
        path = table[i][2](rng)  # type: ignore[operator]
        start = time.monotonic()
        error = -1
        try:
            async with http.get(path) as response:
                await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            status, name = 0, type(exc).__name__
            if name not in errors:
                errors.append(name)
            error = errors.index(name)
        records.append((start, time.monotonic(), i, status, error))
        if status == 0:
            await asyncio.sleep(ERROR_PAUSE_S)


async def main(base: str, reference: str, soaked: str, out: str, clients: int) -> None:
    table = routes(reference, soaked)
    records: list[tuple[float, float, int, int, int]] = []
    errors: list[str] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30.0)
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout) as http:
        tasks = [asyncio.create_task(client(http, table, seed, stop, records, errors))
                 for seed in range(clients)]
        await stop.wait()
        await asyncio.wait(tasks, timeout=35)
        for task in tasks:
            task.cancel()
    with open(out, "w") as f:
        json.dump({"routes": [name for name, _, _ in table], "errors": errors,
                   "records": [[round(a, 4), round(b, 4), i, s, e] for a, b, i, s, e in records]}, f)


if __name__ == "__main__":
    base, reference, soaked, out = sys.argv[1:5]
    asyncio.run(main(base, reference, soaked, out, int(sys.argv[5]) if len(sys.argv) > 5 else 64))
