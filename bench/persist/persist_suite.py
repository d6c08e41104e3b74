"""The `persist` workload of bench/run: persisted events/s and append latency of event_sourced
processes, beside the floors the storage engines and the disk set, and recovery time.

Measured in one run, on the disk that holds --out:
  - persist_bench processes: 1, 16 and 256 persistent processes (each called by a client
    process of its own, one event per call) in sync, group and async mode, on RocksDB and on
    PostgreSQL (a throwaway server started here with tests/persist/postgres/pg_server);
  - the floors: a raw RocksDB WriteBatch loop with sync=true (batches of 1 and of 256 records),
    raw PostgreSQL INSERTs with synchronous_commit=on (a commit per row, and per 256 rows), and
    the disk's fsync rate (pg_test_fsync, fdatasync of one 8 kB write);
  - persist_bench recovery: the start of a process whose journal holds 1M events, without and
    with a snapshot after the last one.

The PostgreSQL rows are skipped with a note where no PostgreSQL is installed.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PG_SERVER = ROOT / "tests" / "persist" / "postgres" / "pg_server"

MODES = ["sync", "group", "async"]
PROCESSES = [1, 16, 256]

# Events per run, by backend, mode and process count: about a second or two each on a disk
# whose fsync takes ~0.2 ms. Smoke sizes only check that every program runs.
FULL = {
    "rocksdb": {"sync": {1: 3000, 16: 3000, 256: 5000},
                "group": {1: 3000, 16: 20000, 256: 200000},
                "async": {1: 20000, 16: 50000, 256: 200000}},
    "postgres": {"sync": {1: 2000, 16: 2000, 256: 2560},
                 "group": {1: 2000, 16: 10000, 256: 40000},
                 "async": {1: 5000, 16: 20000, 256: 40000}},
}
SMOKE_EVENTS = 256
RECOVERY_EVENTS = {"full": 1_000_000, "smoke": 2000}


class Postgres:
    """A throwaway server for the run (pg_server start/remove), or None where none starts."""

    def __init__(self, out, note):
        self.state = out / "persist-pg.state"
        self.conninfo = None
        if not PG_SERVER.exists():
            return
        env = dict(os.environ, TMPDIR=str(out))  # its data on the disk under test
        r = subprocess.run([str(PG_SERVER), "start", str(self.state)], capture_output=True,
                           text=True, env=env)
        if r.returncode != 0:
            note("persist: PostgreSQL rows skipped: " + (r.stderr.strip().splitlines() or
                                                         ["pg_server start failed"])[-1])
            return
        self.conninfo = self.state.read_text().splitlines()[0]

    def remove(self):
        if self.conninfo:
            subprocess.run([str(PG_SERVER), "remove", str(self.state)], capture_output=True)


def pg_test_fsync(out, seconds):
    """fdatasync rate of one 8 kB write (ops/s) from pg_test_fsync, or None."""
    exe = shutil.which("pg_test_fsync")
    if not exe:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_test_fsync"))
        exe = str(found[-1]) if found else None
    if not exe:
        return None
    target = out / "pg_test_fsync.tmp"
    r = subprocess.run([exe, "-s", str(seconds), "-f", str(target)], capture_output=True,
                       text=True)
    target.unlink(missing_ok=True)
    # The first section compares sync methods on one 8 kB write; its fdatasync line is the one.
    section = r.stdout.split("Compare file sync methods using two")[0]
    m = re.search(r"^\s*fdatasync\s+([\d.]+) ops/sec", section, re.M)
    return float(m.group(1)) if m else None


def run(build_dir, out, smoke, repeat, timeout, note, parse):
    """Runs the workload; returns its result dicts (bench=persist_* lines) and prints them.
    `parse` reads one `bench=...` line (bench/run's parse_line)."""
    exe = Path(build_dir) / "bench" / "persist" / "persist_bench"
    if not exe.exists():
        note(f"persist: {exe} not found (a build with the persist layer and "
             "BITACTOR_BUILD_BENCH=ON makes it)")
        return []
    scratch = out / "persist-scratch"
    results = []

    def bench(*params):
        for _ in range(repeat):
            argv = [str(exe), *params, f"dir={scratch}"]
            try:
                p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
                lines = [r for r in map(parse, p.stdout.splitlines()) if r]
                if p.returncode != 0 or not lines:
                    why = (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]
                    lines = [{"bench": "persist_" + params[0], "impl": "bitactor",
                              "workers": 1, "status": "failed", "reason": why.replace(" ", "_"),
                              "args": ",".join(params[1:])}]
            except subprocess.TimeoutExpired:
                lines = [{"bench": "persist_" + params[0], "impl": "bitactor", "workers": 1,
                          "status": "failed", "reason": f"timed_out_after_{timeout}s"}]
            for r in lines:
                print(" ".join(f"{k}={v}" for k, v in r.items()), flush=True)
            results.extend(lines)

    pg = Postgres(out, note)
    try:
        backends = [("rocksdb", [])]
        if pg.conninfo:
            backends.append(("postgres", ["backend=postgres", f"connection={pg.conninfo}"]))
        for backend, extra in backends:
            for mode in MODES:
                for n in PROCESSES:
                    events = SMOKE_EVENTS if smoke else FULL[backend][mode][n]
                    bench("processes", f"mode={mode}", f"processes={n}", f"events={events}",
                          *extra)
        bench("rocksdb_raw", "batch=1", f"events={SMOKE_EVENTS if smoke else 3000}")
        bench("rocksdb_raw", "batch=256", f"events={SMOKE_EVENTS if smoke else 400000}")
        if pg.conninfo:
            bench("postgres_raw", "batch=1", f"events={SMOKE_EVENTS if smoke else 2000}",
                  f"connection={pg.conninfo}")
            bench("postgres_raw", "batch=256", f"events={SMOKE_EVENTS if smoke else 20000}",
                  f"connection={pg.conninfo}")
        events = RECOVERY_EVENTS["smoke" if smoke else "full"]
        for backend, extra in backends:
            for snapshot in (0, 1):
                bench("recovery", f"events={events}", f"snapshot={snapshot}", *extra)
    finally:
        pg.remove()
        shutil.rmtree(scratch, ignore_errors=True)
    fsync = pg_test_fsync(out, 1 if smoke else 3)
    if fsync is not None:
        r = {"bench": "persist_fsync", "impl": "disk", "workers": 1, "fdatasync_per_s": fsync}
        print(" ".join(f"{k}={v}" for k, v in r.items()), flush=True)
        results.append(r)
    else:
        note("persist: pg_test_fsync not found; the disk's fsync rate is not reported")
    return results


def median_field(results, bench, field, **match):
    values = sorted(r[field] for r in results if r.get("bench") == bench and not r.get("status")
                    and field in r and all(r.get(k) == v for k, v in match.items()))
    return values[len(values) // 2] if values else None


def human(v, unit=""):
    if v is None:
        return "-"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}M{unit}"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f}K{unit}"
    if abs(v) >= 100:
        return f"{v:.0f}{unit}"
    return f"{v:.3g}{unit}"


def table(results):
    """The workload's summary: the rates, the floors and the targets' ratios."""
    lines = ["persisted events/s (median) and append latency, per backend, mode and processes:",
             f"{'backend':9} {'mode':6} {'processes':>9} {'events/s':>10} {'p50 us':>9} "
             f"{'p99 us':>9}"]
    for backend in ("rocksdb", "postgres"):
        for mode in MODES:
            for n in PROCESSES:
                key = dict(backend=backend, mode=mode, processes=n)
                rate = median_field(results, "persist_processes", "events_per_s", **key)
                if rate is None:
                    continue
                p50 = median_field(results, "persist_processes", "p50_us", **key)
                p99 = median_field(results, "persist_processes", "p99_us", **key)
                lines.append(f"{backend:9} {mode:6} {n:>9} {human(rate):>10} {human(p50):>9} "
                             f"{human(p99):>9}")
    floors = [("RocksDB WriteBatch sync=true, 1 record", "persist_rocksdb_raw", dict(batch=1)),
              ("RocksDB WriteBatch sync=true, 256 records", "persist_rocksdb_raw",
               dict(batch=256)),
              ("PostgreSQL INSERT, commit per row", "persist_postgres_raw", dict(batch=1)),
              ("PostgreSQL INSERT, commit per 256 rows", "persist_postgres_raw", dict(batch=256))]
    lines.append("floors (events/s):")
    for label, bench, match in floors:
        v = median_field(results, bench, "events_per_s", **match)
        if v is not None:
            lines.append(f"  {label:45} {human(v):>10}")
    fsync = median_field(results, "persist_fsync", "fdatasync_per_s")
    if fsync is not None:
        lines.append(f"  {'disk fdatasync (pg_test_fsync, 8 kB)':45} {human(fsync):>10}")

    def rate(backend, mode, n):
        return median_field(results, "persist_processes", "events_per_s", backend=backend,
                            mode=mode, processes=n)

    lines.append("targets:")
    group, sync = rate("rocksdb", "group", 256), rate("rocksdb", "sync", 256)
    ceiling = median_field(results, "persist_rocksdb_raw", "events_per_s", batch=256)
    if group and ceiling:
        lines.append(f"  RocksDB group@256 / raw batched-sync ceiling: {group / ceiling:.0%} "
                     "(target >= 80%)")
    if group and sync:
        lines.append(f"  RocksDB group@256 / sync@256: {group / sync:.1f}x (target >= 50x)")
    pg_group, pg_sync = rate("postgres", "group", 256), rate("postgres", "sync", 256)
    if pg_group and pg_sync:
        lines.append(f"  PostgreSQL group@256 / sync@256: {pg_group / pg_sync:.1f}x")
    lines.append("recovery (seconds to start a process):")
    for backend in ("rocksdb", "postgres"):
        for snapshot in (0, 1):
            s = median_field(results, "persist_recovery", "recovery_seconds", backend=backend,
                             snapshot=snapshot)
            n = median_field(results, "persist_recovery", "events", backend=backend,
                             snapshot=snapshot)
            if s is not None:
                how = "from a snapshot" if snapshot else "replaying every event"
                lines.append(f"  {backend:9} {human(n)} events, {how:22} {s:.3f} s"
                             + (" (target < 1 s)" if snapshot else ""))
    return "\n".join(lines)
