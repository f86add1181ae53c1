"""Stops PostgreSQL, Solr and Redis one at a time under the running site of
`make run` while pages are requested, a harvest and a risk run are queued;
prints what the pages answered during each outage, how long they took to
answer again, whether the background processes came back (deploy/supervise.sh)
and the queued work was done, and whether the search index matches the
database afterwards. Exit 1 when a page answered 500 or anything was lost.

Usage: make check-outages   (with `make run` serving in another terminal)
"""
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
VAR = pathlib.Path(os.environ.get("MAEMOH_VAR", REPO / "var"))
INI = VAR / "ckan.ini"
CKAN = os.environ.get("CKAN", str(REPO / ".venv" / "bin" / "ckan"))
SITE = f"http://127.0.0.1:{os.environ.get('CKAN_PORT', '5000')}"
PAGES = ("/", "/maemoh/", "/dataset/", "/maemoh/tambon/520204", "/api/3/action/package_search?q=pm25")
SERVICES = ("postgres", "solr", "redis")
BACKGROUND = ("worker", "risk-worker", "gather", "fetch", "scheduler")
DOWN_S = 20
TEXTS = ("ระบบขัดข้องชั่วคราว", "Temporarily unavailable")  # health/outages.py: a 503 page says both


def get(path, token=None, data=None, timeout=30):
    """(status, body text) of a request to the site."""
    request = urllib.request.Request(SITE + path, data=json.dumps(data).encode() if data else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": token} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except OSError as error:
        return 0, str(error)


def action(name, token, **data):
    status, body = get(f"/api/3/action/{name}", token, data)
    if status != 200:
        raise RuntimeError(f"{name}: {status} {body[:300]}")
    return json.loads(body)["result"]


def until(what, check, seconds):
    """Seconds until ``check()`` is true; raises after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(1)
    raise RuntimeError(f"{what}: not within {seconds} s")


def restarts():
    """Lines deploy/supervise.sh wrote when a process exited, per process."""
    return {name: (VAR / "log" / f"{name}.log").read_text(errors="replace").count("supervise:")
            if (VAR / "log" / f"{name}.log").exists() else 0 for name in BACKGROUND}


def service(name, verb):
    subprocess.run([str(REPO / "deploy" / "services" / f"{name}.sh"), verb], check=True,
                   capture_output=True, env=dict(os.environ, MAEMOH_VAR=str(VAR)))


def token():
    done = subprocess.run([CKAN, "-c", str(INI), "user", "token", "add", "admin", "outage-check"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1].strip()


def queue_work(key):
    """A harvest job of the fastest demo source and a risk run; their ids."""
    source = action("harvest_source_show", key, id="demo-dustboy")
    job = action("harvest_job_create", key, source_id=source["id"], run=True)
    run = action("maemoh_risk_run", key, dimension="air")[0]
    return job["id"], run["id"]


def work_done(key, job_id, run_id):
    try:
        job = action("harvest_job_show", key, id=job_id)
        runs = action("maemoh_risk_status", key, limit=50)
    except RuntimeError:
        return False
    run = next((r for r in runs if r["id"] == run_id), {})
    return job["status"] == "Finished" and run.get("state") == "finished"


def outage(name, key):
    """Figures of one service's outage."""
    until("the site to be healthy", lambda: get("/maemoh/health")[0] == 200, 300)
    before = restarts()
    job_id, run_id = queue_work(key)
    service(name, "stop")
    answers, bad = {}, []
    started = time.monotonic()
    while time.monotonic() - started < DOWN_S:
        for page in PAGES:
            status, body = get(page)
            answers[status] = answers.get(status, 0) + 1
            if status == 503 and not body.startswith("{") and not all(t in body for t in TEXTS):
                bad.append(f"{page}: a 503 page without its Thai and English text")
            if status >= 500 and "Traceback" in body:
                bad.append(f"{page}: a traceback")
    service(name, "start")
    pages_back = until("the pages", lambda: all(get(p)[0] == 200 for p in PAGES), 300)
    done_s = until("the queued harvest and risk run", lambda: work_done(key, job_id, run_id), 900)
    came_back = {n: c - before[n] for n, c in restarts().items() if c > before[n]}
    return {"service": name, "answers while down": answers, "problems": bad,
            "pages answer again after (s)": round(pages_back, 1),
            "queued work done after (s)": round(done_s, 1), "processes restarted": came_back}


def main():
    if get("/maemoh/health")[0] == 0:
        sys.exit(f"nothing answers at {SITE}: start `make run` first")
    key = token()
    results = [outage(name, key) for name in SERVICES]
    check = subprocess.run([CKAN, "-c", str(INI), "maemoh", "search", "check"], capture_output=True, text=True)
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    print("search index against the database:", check.stdout.strip())
    failed = check.returncode != 0 or any(r["problems"] or r["answers while down"].get(500) for r in results)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
