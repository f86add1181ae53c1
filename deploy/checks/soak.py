"""A soak of the running site of `make run`: for MINUTES (10 by default) a
harvest of every demo source is queued each minute and pages are requested
without pause; prints the resident memory (RSS) of every process of the
site at the start and the end, and the requests that failed. Exit 1 on an
error or when a process grew by more than GROWTH_MB (default 100).

Usage: make soak [MINUTES=10]   (with `make run` serving in another terminal)
"""
import json
import os
import pathlib
import sys
import threading
import time

from outages import BACKGROUND, PAGES, VAR, action, get, token

MINUTES = float(os.environ.get("MINUTES", 10))
GROWTH_MB = float(os.environ.get("GROWTH_MB", 100))
WARM_UP_S = 60


def processes():
    """``{name: [pid, ...]}``: the web servers (`make run`'s gunicorn and nginx or
    `make dev`'s) and each background process
    with everything it started (a worker's job processes come and go)."""
    found = {}
    for name in ("gunicorn", "nginx", "dev", *BACKGROUND):
        pidfile = VAR / "run" / f"{name}.pid"
        if pidfile.exists():
            root = int(pidfile.read_text())
            found[name] = [root, *descendants(root)]
    return found


def descendants(pid):
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_mb(pids):
    total = 0
    for pid in pids:
        try:
            for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def memory():
    return {name: rss_mb(pids) for name, pids in processes().items()}


def traffic(stop, counts):
    while not stop.is_set():
        for page in PAGES:
            status, _body = get(page, timeout=60)
            counts[status] = counts.get(status, 0) + 1


def harvests(stop, key, counts):
    sources = [s["name"] for s in action("package_search", key, fq="+dataset_type:harvest", rows=100)["results"]]
    while not stop.wait(60):
        for name in sources:
            source = action("harvest_source_show", key, id=name)
            try:
                action("harvest_job_create", key, source_id=source["id"], run=True)
                counts["queued"] = counts.get("queued", 0) + 1
            except RuntimeError:  # a job of the source still waiting or running
                counts["still running"] = counts.get("still running", 0) + 1


def main():
    if get("/maemoh/health")[0] == 0:
        sys.exit("nothing answers at the site: start `make run` first")
    key = token()
    stop, pages, jobs = threading.Event(), {}, {}
    threads = [threading.Thread(target=traffic, args=(stop, pages), daemon=True),
               threading.Thread(target=harvests, args=(stop, key, jobs), daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(WARM_UP_S)
    start = memory()
    time.sleep(MINUTES * 60)
    end = memory()
    stop.set()
    growth = {name: round(end.get(name, 0) - start.get(name, 0), 1) for name in start}
    print(json.dumps({"minutes": MINUTES, "rss_mb_start": start, "rss_mb_end": end, "rss_mb_growth": growth,
                      "page_answers": pages, "harvest_jobs": jobs}, indent=1))
    errors = sum(n for status, n in pages.items() if status != 200)
    sys.exit(1 if errors or any(g > GROWTH_MB for g in growth.values()) else 0)


if __name__ == "__main__":
    main()
