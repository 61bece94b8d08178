"""Many customers at once against the real app: ``python -m bench.load --conversations 1 10 50 --turns 4``.

Seeds a fresh demo shop, starts the real server (``uvicorn app.main:app`` on 127.0.0.1, the embedded model
with the committed adapter, Whisper loaded as in production) once per setup, and for each load level lets
that many simulated customers talk at once: each signs in as a different seeded customer and runs a short
shopping script (search, add, cart, help...) with no pause between turns, which is harsher than people
who have to speak. Prints turns per second, p50/p95/max turn latency, errors, the server's CPU seconds per
turn and the machine's load average (other jobs on a shared machine raise it), then the ratios of every
setup to the first.

Setups: ``--setups slots=1 slots=4,threads=1`` runs this tree twice, with ``LLM_SLOTS=1`` and then with
``LLM_SLOTS=4 LLM_THREADS=1`` (any ``name=value`` sets ``LLM_NAME``); ``--baseline main`` adds that git ref's
app (exported to a temporary folder, its own defaults) as the first setup. Servers of all setups run side by side and each
level runs on every setup in turn, so a change in the machine's other load spreads over all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]

# (what the customer says, the tool a right answer runs; None: a plain reply). Realistic orders: the
# "add" follows a search that showed something.
SCRIPTS: list[list[tuple[str, str | None]]] = [
    [("show me running shoes", "search_products"), ("add the first one", "add_to_cart"),
     ("what's in my cart", "view_cart"), ("what is your return policy", "search_faq"),
     ("find wireless headphones under 50 dollars", "search_products")],
    [("find a waterproof jacket", "search_products"), ("add the second one to my cart", "add_to_cart"),
     ("where is my order", "order_status"), ("show me my cart", "view_cart"),
     ("how long does shipping take", "search_faq")],
    [("i need a yoga mat", "search_products"), ("add the first one", "add_to_cart"),
     ("how long does shipping take", "search_faq"), ("what's in my cart", "view_cart"),
     ("show me black backpacks", "search_products")],
]
TURN_TIMEOUT_S = 120  # the client's patience per turn; past it the turn counts as an error


@dataclass
class Setup:
    label: str
    root: Path  # the tree whose app runs
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None


@dataclass
class Level:
    conversations: int
    latencies: list[float] = field(default_factory=list)
    llm_seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unexpected: int = 0  # turns that ran another tool than the script's (the model's choice, not an error)
    wall_s: float = 0.0
    cpu_s: float = 0.0  # the server process's CPU time over the level
    loop_cpu_s: float = 0.0  # of which its event loop's (Python: HTTP, graph, shop, SQLite)
    load_before: float = 0.0
    load_after: float = 0.0

    @property
    def turns(self) -> int:
        return len(self.latencies) + len(self.errors)

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.wall_s if self.wall_s else 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


LOAD_PASSWORD = "load-test-password"  # every simulated customer's: seeded customers have none of their own


def seed_shop(data_dir: Path, customers: int) -> list[str]:
    """A fresh demo shop whose customers sign in with :data:`LOAD_PASSWORD`; returns their logins, 'demo' last."""
    from sqlalchemy import select, update

    from shop.auth import hash_password
    from shop.db import Database
    from shop.models import User, UserRole
    from shop.seed import seed_database

    database = Database(f"sqlite:///{data_dir / 'shop.db'}")
    seed_database(database, products=2000, customers=customers, seed=7)
    with database.session() as session:
        session.execute(update(User).where(User.role == UserRole.customer).values(
            password_hash=hash_password(LOAD_PASSWORD)))
        session.commit()
        logins = list(session.scalars(select(User.login).where(User.role == UserRole.customer).order_by(User.id)))
    database.engine.dispose()
    return [login for login in logins if login != "demo"] + ["demo"]


async def sign_in(client: httpx.AsyncClient, login: str) -> str:
    """The shop's own sign-in for one seeded customer; returns the bearer token. (The one place to adapt
    when sign-in changes.)"""
    response = await client.post("/api/login", json={"login": login, "password": LOAD_PASSWORD})
    if response.status_code != 200:
        raise SystemExit(f"sign-in as {login!r} answered {response.status_code}: {response.text[:300]}")
    return response.json()["token"]


def export_tree(ref: str, into: Path) -> Path:
    """The files of git ref ``ref`` in ``into`` (untouched by this checkout's changes)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def start_server(setup: Setup, template: Path, work: Path) -> None:
    data_dir = work / f"data-{setup.label}"
    data_dir.mkdir()
    shutil.copy(template / "shop.db", data_dir / "shop.db")  # every setup starts from the same shop
    setup.port = free_port()
    setup.log = work / f"server-{setup.label}.log"
    # No MODEL_PATH: the bundled model (assembled into the data folder in a second) with the committed adapter,
    # as by default; a custom model gets no adapter.
    env = {**os.environ, "VOICESHOP_DATA_DIR": str(data_dir), "WARM_INDEXES": "0", "PYTHONPATH": str(setup.root),
           **setup.env}
    with setup.log.open("wb") as log:
        setup.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(setup.port),
             "--log-level", "warning"], cwd=setup.root, env=env, stdout=log, stderr=subprocess.STDOUT)


async def wait_ready(setup: Setup, timeout_s: float = 600) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{setup.port}", timeout=10) as client:
        while time.perf_counter() - started < timeout_s:
            if setup.process is not None and setup.process.poll() is not None:
                raise SystemExit(f"the {setup.label} server exited:\n{tail(setup.log)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/ready")).status_code == 200:
                    return time.perf_counter() - started
            await asyncio.sleep(1)
    raise SystemExit(f"the {setup.label} server was not ready within {timeout_s:g} s:\n{tail(setup.log)}")


def tail(path: Path | None, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path and path.exists() else ""


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user + system) of a server so far, Linux /proc: (its whole process, its event-loop thread)."""
    def of(stat: Path) -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return of(Path(f"/proc/{pid}/stat")), of(Path(f"/proc/{pid}/task/{pid}/stat"))


async def customer(client: httpx.AsyncClient, token: str, script: list[tuple[str, str | None]], rounds: int,
                   level: Level, think_s: float) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(rounds):
        conversation = None
        for text, expected in script:
            started = time.perf_counter()
            try:
                response = await client.post("/api/chat", json={"text": text, "conversation_id": conversation},
                                             headers=headers)
            except httpx.HTTPError as exc:
                level.errors.append(f"{text!r}: {type(exc).__name__} {exc}")
                continue
            seconds = time.perf_counter() - started
            if response.status_code != 200:
                level.errors.append(f"{text!r}: HTTP {response.status_code} {response.text[:200]}")
                continue
            body = response.json()
            if body.get("error"):
                level.errors.append(f"{text!r}: {body['error']}")
                continue
            conversation = body["conversation_id"]
            level.latencies.append(seconds)
            level.llm_seconds.append(body["timings"].get("llm", 0.0))
            tools = [action["tool"] for action in body["actions"]]
            if (expected or None) != (tools[0] if tools else None):
                level.unexpected += 1
            if think_s:
                await asyncio.sleep(think_s)


async def run_level(setup: Setup, conversations: int, logins: list[str], turns: int, rounds: int,
                    think_s: float) -> Level:
    level = Level(conversations)
    limits = httpx.Limits(max_connections=conversations + 5, max_keepalive_connections=conversations + 5)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{setup.port}", timeout=TURN_TIMEOUT_S,
                                 limits=limits) as client:
        tokens = [await sign_in(client, login) for login in logins[:conversations]]
        level.load_before = os.getloadavg()[0]
        cpu_before, loop_before = cpu_seconds(setup.process.pid)
        started = time.perf_counter()
        await asyncio.gather(*(customer(client, token, SCRIPTS[i % len(SCRIPTS)][:turns], rounds, level, think_s)
                               for i, token in enumerate(tokens)))
        level.wall_s = time.perf_counter() - started
        cpu_after, loop_after = cpu_seconds(setup.process.pid)
        level.cpu_s, level.loop_cpu_s = cpu_after - cpu_before, loop_after - loop_before
        level.load_after = os.getloadavg()[0]
    return level


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    return f"{platform.machine()} {cpu}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}"


def report(setups: list[Setup], results: dict[str, list[Level]], turns: int, rounds: int, think_s: float) -> None:
    for setup in setups:
        for level in results[setup.label]:
            for error in level.errors[:3]:
                print(f"error ({setup.label}, {level.conversations} at once): {error}")
    print(f"\nmachine: {machine()}; load average before the servers started: {results['_load'][0]:.1f}")
    print(f"each customer: {rounds} conversation(s) of {turns} turns, {think_s:g} s between turns; "
          "load = 1-minute load average at the start → end of the level (other jobs included)")
    print("\n| setup | conversations | turns | turns/s | p50 s | p95 s | max s | LLM p50 s | errors | "
          "other tool | server CPU s/turn (event loop) | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for setup in setups:
        for level in results[setup.label]:
            print(f"| {setup.label} | {level.conversations} | {level.turns} | {level.turns_per_s:.2f} | "
                  f"{percentile(level.latencies, 0.5):.2f} | {percentile(level.latencies, 0.95):.2f} | "
                  f"{max(level.latencies, default=float('nan')):.2f} | {percentile(level.llm_seconds, 0.5):.2f} | "
                  f"{len(level.errors)} | {level.unexpected} | {level.cpu_s / max(level.turns, 1):.3f} "
                  f"({level.loop_cpu_s / max(level.turns, 1):.3f}) | "
                  f"{level.load_before:.1f} → {level.load_after:.1f} |")
    first = setups[0]
    if len(setups) > 1:
        print(f"\nratios to {first.label} (turns/s ×, p95 ×):")
        for setup in setups[1:]:
            for base, level in zip(results[first.label], results[setup.label], strict=True):
                print(f"  {setup.label} at {level.conversations}: throughput "
                      f"{level.turns_per_s / base.turns_per_s:.2f}×, p95 "
                      f"{percentile(level.latencies, 0.95) / percentile(base.latencies, 0.95):.2f}×")


def setups_from(args: argparse.Namespace, work: Path) -> list[Setup]:
    setups = []
    if args.baseline:
        setups.append(Setup(args.baseline, export_tree(args.baseline, work / "baseline"), {}))
    for spec in args.setups:
        pairs = [pair.split("=", 1) for pair in spec.split(",") if pair and spec != "default"]
        if any(len(pair) != 2 for pair in pairs):
            raise SystemExit(f"--setups: {spec!r} is not name=value[,name=value]")
        setups.append(Setup(spec, REPO, {f"LLM_{name.strip().upper()}": value.strip() for name, value in pairs}))
    return setups


@contextlib.contextmanager
def servers(setups: list[Setup]) -> Iterator[None]:
    try:
        yield
    finally:
        for setup in setups:
            if setup.process is not None and setup.process.poll() is None:
                setup.process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    setup.process.wait(30)
                if setup.process.poll() is None:
                    setup.process.kill()


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="voiceshop-load-") as tmp:
        work = Path(tmp)
        template = work / "template"
        template.mkdir()
        logins = seed_shop(template, customers=max(args.conversations) + 1)
        setups = setups_from(args, work)
        results: dict[str, Any] = {"_load": [os.getloadavg()[0]]}
        with servers(setups):
            for setup in setups:  # one at a time: start-up is CPU-heavy and the load test waits for all
                start_server(setup, template, work)
                print(f"{setup.label}: ready after {await wait_ready(setup):.1f} s (port {setup.port})", flush=True)
            for setup in setups:
                results[setup.label] = []
            for conversations in args.conversations:
                for setup in setups:
                    level = await run_level(setup, conversations, logins, args.turns, args.rounds, args.think)
                    results[setup.label].append(level)
                    print(f"{setup.label}, {conversations} at once: {level.turns} turns in {level.wall_s:.1f} s, "
                          f"p95 {percentile(level.latencies, 0.95):.2f} s, {len(level.errors)} errors, "
                          f"load {level.load_after:.1f}", flush=True)
        report(setups, results, args.turns, args.rounds, args.think)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, nargs="+", default=[1, 10, 50],
                        help="load levels: customers talking at once (default 1 10 50)")
    parser.add_argument("--turns", type=int, default=4, choices=range(3, 6), help="turns per conversation (3-5)")
    parser.add_argument("--rounds", type=int, default=1, help="conversations each customer has in a row")
    parser.add_argument("--think", type=float, default=0.0, help="seconds a customer pauses between turns")
    parser.add_argument("--setups", nargs="*", default=["default"],
                        help="setups of this tree, each name=value[,...] for LLM_NAME (default: its defaults)")
    parser.add_argument("--baseline", help="a git ref whose app runs as the first setup (e.g. main)")
    args = parser.parse_args()
    if min(args.conversations) < 1:
        parser.error("--conversations: at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
