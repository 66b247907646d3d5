"""Benchmark of the HTTP API (issue 18): requests/s and latency over HTTP against ``screen()``.

Run from the repository root (needs the ``server`` extra)::

    .venv/bin/python benchmarks/bench_server.py              # the figures in docs/performance.md
    .venv/bin/python benchmarks/bench_server.py --quick      # a smaller, faster run

It starts ``dealscreen serve`` (a token, an empty SQLite store, ``--workers N``) on a free
loopback port and, on the 97 fixture deals, measures side by side in one run:

1. in-process ``screen()`` on already validated deals (one core): calls/s, p50 and p99;
2. in-process ``screen()`` plus validation and JSON rendering (what one request does besides HTTP);
3. ``POST /v1/screen`` from one client, one request at a time: requests/s, p50 and p99;
4. ``POST /v1/screen`` from C concurrent clients (threads, one connection each): requests/s,
   p50 and p99;
5. ``POST /v1/review`` with every deal in one NDJSON request: deals/s;

and reports each rate as a ratio to (1). Every HTTP answer is checked against in-process
``screen()`` (byte for byte): a wrong or failed answer aborts the run.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from screening import Deal, load_deal, screen
from screening.engine.explain import render_json

ROOT = Path(__file__).resolve().parent.parent
DEALSCREEN = str(Path(sys.executable).with_name("dealscreen"))
TOKEN = "bench-token-" + "x" * 20


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _line(name: str, n: int, seconds: float, samples: list[float] | None, base: float) -> str:
    rate = n / seconds
    lat = (
        f"p50 {_pct(samples, 0.5) * 1e3:7.2f} ms  p99 {_pct(samples, 0.99) * 1e3:7.2f} ms"
        if samples
        else " " * 33
    )
    return f"{name:<44} {rate:9.0f}/s  {lat}  ratio {rate / base:5.3f}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    args = parser.parse_args()
    passes = 2 if args.quick else 6
    per_client = 30 if args.quick else 120

    deals = [load_deal(p) for p in sorted((ROOT / "fixtures" / "deals").glob("*.yaml"))]
    bodies = [d.model_dump_json().encode() for d in deals]
    expected = [render_json(screen(d)) for d in deals]  # also warms the engine

    # 1 and 2: in process
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(passes):
        for deal in deals:
            t = time.perf_counter()
            screen(deal)
            samples.append(time.perf_counter() - t)
    base_s = time.perf_counter() - started
    base = len(samples) / base_s
    print(f"{len(deals)} fixture deals; server --workers {args.workers}; {os.cpu_count()} cores")
    print(_line("in-process screen()", len(samples), base_s, samples, base))
    samples2: list[float] = []
    started = time.perf_counter()
    for _ in range(passes):
        for body in bodies:
            t = time.perf_counter()
            render_json(screen(Deal.model_validate_json(body).root))
            samples2.append(time.perf_counter() - t)
    print(
        _line(
            "in-process validate + screen() + render",
            len(samples2),
            time.perf_counter() - started,
            samples2,
            base,
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        proc = subprocess.Popen(
            [
                DEALSCREEN,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--db",
                f"{tmp}/audit.db",
            ],
            env={**os.environ, "DEALSCREEN_API_TOKEN": TOKEN},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)

            # 3: one client, sequential
            with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
                for body in bodies[:10]:
                    c.post("/v1/screen", content=body)  # warm-up
                seq: list[float] = []
                started = time.perf_counter()
                for _ in range(passes):
                    for body, want in zip(bodies, expected, strict=True):
                        t = time.perf_counter()
                        r = c.post("/v1/screen", content=body)
                        seq.append(time.perf_counter() - t)
                        if r.status_code != 200 or r.text != want:
                            raise SystemExit(f"wrong answer: {r.status_code}")
                print(
                    _line(
                        "HTTP POST /v1/screen, 1 client",
                        len(seq),
                        time.perf_counter() - started,
                        seq,
                        base,
                    )
                )

            # 4: C concurrent clients
            conc: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()

            def client(n: int) -> None:
                mine: list[float] = []
                with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
                    for i in range(per_client):
                        k = (n * per_client + i) % len(bodies)
                        t = time.perf_counter()
                        r = c.post("/v1/screen", content=bodies[k])
                        mine.append(time.perf_counter() - t)
                        if r.status_code != 200 or r.text != expected[k]:
                            errors.append(f"{n}/{i}: {r.status_code}")
                with lock:
                    conc.extend(mine)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
            if errors:
                raise SystemExit(f"{len(errors)} errors, first {errors[0]}")
            print(
                _line(
                    f"HTTP POST /v1/screen, {args.clients} clients", len(conc), elapsed, conc, base
                )
            )

            # 5: review
            stream = b"\n".join(bodies * passes) + b"\n"
            with httpx.Client(base_url=url, headers=headers, timeout=300) as c:
                started = time.perf_counter()
                r = c.post("/v1/review", content=stream)
                elapsed = time.perf_counter() - started
            lines = r.text.splitlines()
            if r.status_code != 200 or len(lines) != len(bodies) * passes:
                raise SystemExit("review failed")
            print(
                _line("HTTP POST /v1/review (one NDJSON request)", len(lines), elapsed, None, base)
            )
            print(f"errors: 0 of {len(seq) + len(conc) + len(lines)} answers (each checked)")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


if __name__ == "__main__":
    main()
