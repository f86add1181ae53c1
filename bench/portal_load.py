"""Benchmark: the portal's pages under a haze-day surge (issue 17), the
production web stack of `make run` (nginx, gunicorn) against CKAN's
development server, in the same run, and the whole stack's memory.

For each page, ApacheBench (`ab`, Debian's apache2-utils) sends REQUESTS
requests from CONCURRENCY (200) clients without cookies, as phones opening a
shared link do, accepting gzip; it prints the median, p95 and p99 latency,
requests per second, failed requests and non-2xx answers. First the site at
URL (a running `make run`), then the baseline: `ckan run --threaded` (what
`make run` served before, MALLOC_ARENA_MAX=2 as then) started by this script
on BASELINE_PORT against the same var/ckan.ini, stopped at the end. Then
the resident (RSS) and proportional (PSS: shared pages divided among their
processes) memory of every process of the stack, grouped, from /proc.

    .venv/bin/python bench/portal_load.py [URL] [--requests 2000] [--baseline-requests 200]

The background processes keep harvesting while it runs, as on a live site.
Results: bench/portal_load.md.
"""
import argparse
import csv
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
VAR = pathlib.Path(os.environ.get("MAEMOH_VAR", REPO / "var"))
CKAN = os.environ.get("CKAN", str(REPO / ".venv" / "bin" / "ckan"))
PAGES = ("/", "/maemoh/", "/maemoh/tambon/520204", "/maemoh/map.json",
         "/api/3/action/maemoh_aqi_latest", "/dataset/", "/api/3/action/package_search?q=pm25")
# name: pid files under var/run (each with everything its process started)
GROUPS = {
    "nginx": ["nginx"],
    "gunicorn (master and workers)": ["gunicorn"],
    "CKAN background (worker, risk worker, gather, fetch, scheduler, replay)":
        ["worker", "risk-worker", "gather", "fetch", "scheduler", "replay"],
    "PostgreSQL": ["postgresql"],
    "Redis": ["redis"],
    "Solr": ["solr"],
}
AB_TIMEOUT_S = 300  # the development server keeps the last of 200 clients waiting minutes


def ab(url, requests, concurrency):
    """ApacheBench figures of ``url``: p50, p95, p99 (ms), requests/s,
    failed, non-2xx."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as percentiles:
        done = subprocess.run(
            ["ab", "-q", "-l", "-n", str(requests), "-c", str(concurrency), "-s", str(AB_TIMEOUT_S),
             "-H", "Accept-Encoding: gzip", "-e", percentiles.name, url],
            capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"ab {url} failed:\n{done.stderr}")
        served = {float(row[0]): float(row[1]) for row in list(csv.reader(open(percentiles.name)))[1:]}

    def figure(label):
        found = re.search(rf"^{label}:\s+([\d.]+)", done.stdout, re.M)
        return float(found.group(1)) if found else 0

    return (served[50], served[95], served[99], figure("Requests per second"),
            int(figure("Failed requests")), int(figure("Non-2xx responses")))


def measure(title, base_url, requests, concurrency):
    print(f"\n### {title}: {base_url}, {requests} requests per page, {concurrency} concurrent clients\n")
    print("| page | p50 ms | p95 ms | p99 ms | requests/s | failed | non-2xx |")
    print("|---|---|---|---|---|---|---|")
    for page in PAGES:
        urllib.request.urlopen(base_url + page, timeout=AB_TIMEOUT_S).read()  # warm: webassets, caches
        p50, p95, p99, rate, failed, non_2xx = ab(base_url + page, requests, concurrency)
        print(f"| `{page}` | {p50:.0f} | {p95:.0f} | {p99:.0f} | {rate:.1f} | {failed} | {non_2xx} |", flush=True)


def children():
    found = {}
    for proc in pathlib.Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            found.setdefault(parent, []).append(int(proc.name))
    return found


def tree(pid, tree_of):
    found, todo = [], [pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree_of.get(pid, []))
    return found


def kib(pid, path, field):
    try:
        for line in pathlib.Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(pids):
    """(processes, RSS MiB, PSS MiB) of ``pids``."""
    return (len(pids), sum(kib(p, "status", "VmRSS") for p in pids) / 1024,
            sum(kib(p, "smaps_rollup", "Pss") for p in pids) / 1024)


def print_memory(groups):
    print("\n| processes | count | RSS MiB | PSS MiB |")
    print("|---|---|---|---|")
    total = [0, 0.0, 0.0]
    for name, pids in groups.items():
        count, rss, pss = memory(pids)
        total = [total[0] + count, total[1] + rss, total[2] + pss]
        print(f"| {name} | {count} | {rss:.0f} | {pss:.0f} |")
    print(f"| **the stack** | {total[0]} | {total[1]:.0f} | {total[2]:.0f} |")


def stack_groups():
    tree_of = children()
    groups = {}
    for name, pidfiles in GROUPS.items():
        pids = []
        for pidfile in pidfiles:
            path = VAR / "run" / f"{pidfile}.pid"
            if path.exists():
                pids += tree(int(path.read_text().split()[0]), tree_of)
        groups[name] = pids
    return groups


def baseline_server(port):
    """`ckan run --threaded` on ``port`` against var/ckan.ini, once it answers."""
    log = open(VAR / "log" / "bench-dev-server.log", "w")
    server = subprocess.Popen(
        [CKAN, "-c", str(VAR / "ckan.ini"), "run", "--host", "127.0.0.1", "--port", str(port),
         "--threaded", "--disable-reloader"],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, MALLOC_ARENA_MAX="2"))
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=5)
            return server
        except OSError:
            if server.poll() is not None:
                sys.exit(f"the development server exited; see {log.name}")
            time.sleep(1)
    server.terminate()
    sys.exit(f"the development server did not answer; see {log.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:5000", help="the site of `make run`")
    parser.add_argument("--requests", type=int, default=2000, help="per page, production stack")
    parser.add_argument("--baseline-requests", type=int, default=200, help="per page, development server")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--baseline-port", type=int, default=5099)
    args = parser.parse_args()
    url = args.url.rstrip("/")

    measure("Production stack (nginx, gunicorn)", url, args.requests, args.concurrency)
    print("\nMemory of the stack after its run:")
    print_memory(stack_groups())

    server = baseline_server(args.baseline_port)
    try:
        measure("Baseline: ckan run --threaded", f"http://127.0.0.1:{args.baseline_port}",
                args.baseline_requests, args.concurrency)
        print("\nMemory of the development server after its run:")
        print_memory({"ckan run --threaded": tree(server.pid, children())})
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
