"""The dist_* workloads of bench/run: each measurement is a pair of OS processes on this
machine, a server started first and a client that runs the workload and prints the result.

    impl           client                          server
    bitactor       bench/bitactor/dist_bench       bench/bitactor/dist_bench
    erlang         erl (bench/peers/erlang/dist_bench.erl)    erl
    caf            bench/peers/caf/caf_dist_bench  caf_dist_bench (libcaf_io: BASP)
    bitactor_erl   dist_bench                      erl
    erl_bitactor   erl                             dist_bench
    tcp            bench/dist/tcp_bench            tcp_bench (blocking sockets: the floor)

A pair that speaks Erlang's distribution gets a private epmd on a free port (ERL_EPMD_PORT,
`epmd_port=`), started here as a child process and killed by its pid afterwards, a fresh
cookie and node names of the form dist_<role>_<pid>@localhost; erl nodes run -hidden (as a
BitActor node is by default) with -start_epmd false. The server prints `ready peer=<node or
port>` when it serves; the client gets `peer=` and the workload's sizes, and prints the
harness's result line, whose impl field is set to the pair's name here. Then the server is
stopped (SIGTERM, SIGKILL after 5 s) and epmd with it.
"""

import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# impl: (client side, server side)
PAIRS = {
    "bitactor": ("bitactor", "bitactor"),
    "erlang": ("erlang", "erlang"),
    "caf": ("caf", "caf"),
    "bitactor_erl": ("bitactor", "erlang"),
    "erl_bitactor": ("erlang", "bitactor"),
    "tcp": ("tcp", "tcp"),
}
ERLANG_DIST = {"bitactor", "erlang"}  # the sides that need epmd, a node name and a cookie


def targets(impls):
    """The CMake targets the given pairs need."""
    sides = {s for i in impls if i in PAIRS for s in PAIRS[i]}
    return [t for s, t in (("bitactor", "dist_bench"), ("caf", "caf_dist_bench"),
                           ("tcp", "tcp_bench")) if s in sides]


def sides(build_dir, ebin, impls):
    """{side: callable(role_argv, workers, node_name, cookie) -> argv} for every side whose
    program exists, and notes for the sides `impls` need that do not."""
    wanted = {s for i in impls if i in PAIRS for s in PAIRS[i]}
    found, notes = {}, []
    for side, exe in (("bitactor", build_dir / "bench" / "bitactor" / "dist_bench"),
                      ("caf", build_dir / "bench" / "peers" / "caf" / "caf_dist_bench"),
                      ("tcp", build_dir / "bench" / "dist" / "tcp_bench")):
        if exe.exists():
            found[side] = lambda role, n, name, cookie, exe=exe, side=side: (
                [str(exe)] + role + [f"workers={n}"] +
                ([f"name={name}", f"cookie={cookie}"] if side == "bitactor" else []))
        elif side in wanted:
            notes.append(f"{side}: {exe} not found; dist pairs with it are skipped")
    erl = shutil.which("erl")
    if erl and ebin is not None and shutil.which("epmd"):
        found["erlang"] = lambda role, n, name, cookie, erl=erl: [
            erl, "-noshell", "-hidden", "-start_epmd", "false", "-sname", name,
            "-setcookie", cookie, "+S", f"{n}:{n}", "-pa", str(ebin),
            "-run", "dist_bench", "main"] + role + [f"workers={n}"]
    elif "erlang" in wanted:
        notes.append("erlang: erl, erlc or epmd not found; dist pairs with erl are skipped")
    return found, notes


def available(impl, found):
    return impl in PAIRS and all(s in found for s in PAIRS[impl])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, limit):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read_ready(proc, limit):
    """The server's `ready peer=X` line: X, or None if it did not come within `limit`."""
    deadline = time.time() + limit
    buf = b""
    while time.time() < deadline and proc.poll() is None:
        r, _, _ = select.select([proc.stdout], [], [], 0.1)
        if not r:
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        for line in buf.decode(errors="replace").splitlines():
            if line.startswith("ready peer="):
                return line.split("=", 1)[1].strip()
    return None


def run_pair(impl, workload, workers, params, found, timeout, parse_line):
    """Runs one measurement of `impl` (a PAIRS key); returns its result dicts, a failed one
    when the pair did not produce a line."""
    client_side, server_side = PAIRS[impl]
    tag = f"{os.getpid()}_{secrets.token_hex(3)}"
    cookie = "bench_" + secrets.token_hex(8)
    env = dict(os.environ)
    epmd = None
    server = None
    failed = None
    results = []
    with tempfile.TemporaryFile() as server_err:
        try:
            if {client_side, server_side} & ERLANG_DIST:
                port = free_port()
                epmd = subprocess.Popen([shutil.which("epmd"), "-port", str(port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if not wait_listening(port, 5):
                    raise RuntimeError("epmd_did_not_listen")
                env["ERL_EPMD_PORT"] = str(port)
                epmd_arg = [f"epmd_port={port}"]
            else:
                epmd_arg = []
            server_argv = found[server_side](["server"] + epmd_arg, workers,
                                             f"dist_s_{tag}@localhost", cookie)
            server = subprocess.Popen(server_argv, stdout=subprocess.PIPE, stderr=server_err,
                                      env=env)
            peer = read_ready(server, 60)
            if peer is None:
                server_err.seek(0)
                tail = server_err.read().decode(errors="replace").strip().splitlines()[-1:]
                raise RuntimeError("server_not_ready" + (":" + tail[0] if tail else ""))
            client_argv = found[client_side](
                ["client", workload] + epmd_arg + [f"peer={peer}", f"impl={impl}"] +
                [f"{k}={v}" for k, v in params.items()], workers,
                f"dist_c_{tag}@localhost", cookie)
            try:
                proc = subprocess.run(client_argv, capture_output=True, text=True, env=env,
                                      timeout=timeout)
                output, code = proc.stdout, proc.returncode
                error = proc.stderr.strip().splitlines()[-1:] if code else []
            except subprocess.TimeoutExpired as e:
                output = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                code, error = "timeout", [f"timed out after {timeout}s"]
            for r in map(parse_line, output.splitlines()):
                if r:
                    r["impl"] = impl  # the pair's name, whichever side printed it
                    results.append(r)
            if code != 0 and not any(r.get("status") == "failed" for r in results):
                failed = error[0] if error else f"exit status {code}"
        except (RuntimeError, OSError) as e:
            failed = str(e)
        finally:
            if server is not None:
                stop(server)
            if epmd is not None:
                stop(epmd)
    if failed is not None:
        results.append({"bench": workload, "impl": impl, "workers": workers,
                        "status": "failed", "reason": failed.replace(" ", "_")})
    # A line without figures still names its variant, so the table puts it on its row.
    return [named(r, params) if r.get("status") else r for r in results]


def named(r, params):
    head = {k: r[k] for k in ("bench", "impl", "workers")}
    head.update({k: v for k, v in params.items() if k not in r})
    head.update({k: v for k, v in r.items() if k not in head})
    return head
