"""deploy/web.sh started by a test from the deploy/ files against the
tests' configuration: its own state folder, free ports; stopped after,
checking that no process of it remains (test_web_stack, test_web_nodes)."""
import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import sys
from types import SimpleNamespace

import ckan.plugins.toolkit as tk

from ckanext.maemoh.tests.processes import free_ports


REPO = pathlib.Path(__file__).resolve().parents[4]


def web_sh(*args, env):
    done = subprocess.run([str(REPO / "deploy" / "web.sh"), *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"deploy/web.sh {' '.join(args)}:\n{done.stderr}"


def command_line(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None


def stack_processes(state):
    """``{pid: command line}``: the gunicorn masters (every node) and nginx
    of the pid files in ``state``, and their children."""
    masters = {path.read_text().strip() for path in (state / "run").glob("*.pid")
               if path.name == "nginx.pid" or path.name.startswith("gunicorn")}
    found = {}
    for proc in pathlib.Path("/proc").iterdir():
        try:
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if proc.name in masters or parent in masters:
            found[int(proc.name)] = command_line(proc.name)
    return found


def derived(path, options):
    """Write at ``path`` the tests' configuration plus ``options``, logging
    as it does (CKAN's and gunicorn's messages in the nodes' logs); the path."""
    tests = pathlib.Path(tk.config["__file__"])
    text = tests.read_text()
    path.write_text(f"[app:main]\nuse = config:{tests}\n"
                    + "".join(f"{key} = {value}\n" for key, value in options.items())
                    + "\n" + text[text.index("[loggers]"):])
    return str(path)


@contextlib.contextmanager
def web_stack(state, nodes=1, options=None):
    """deploy/web.sh with ``nodes`` web nodes (one: on its socket; more: on
    free ports) and the tests' configuration (plus ``options``), its state in
    ``state`` (emptied first; under the repository's var/, not a private
    temporary folder: nginx's workers run as nobody when the tests run as
    root, and must reach it). Yields ``url`` (nginx), ``nodes`` (each node's
    URL, when on ports) and ``processes`` (as they ran); after stopping,
    no process of them remains and nginx's port is closed."""
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    port, *ports = free_ports(1 + nodes if nodes > 1 else 1)
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, MAEMOH_VAR=str(state), CKAN_PORT=str(port), CKAN_SITE_URL=f"http://127.0.0.1:{port}",
               CKAN=os.path.join(bin_dir, "ckan"), CKAN_PYTHON=sys.executable, WEB_NODES=str(nodes))
    if ports:
        env["WEB_NODE_PORTS"] = " ".join(map(str, ports))
    web_sh("start", derived(state / "ckan.ini", options) if options else tk.config["__file__"], env=env)
    started = SimpleNamespace(url=f"http://127.0.0.1:{port}", nodes=[f"http://127.0.0.1:{p}" for p in ports],
                              processes=stack_processes(state))
    try:
        yield started
    finally:
        web_sh("stop", env=env)
    left = {pid: command for pid, command in started.processes.items() if command_line(pid) == command}
    assert left == {}, f"still running after deploy/web.sh stop: {left}"
    for closed in (port, *ports):
        with contextlib.suppress(ConnectionRefusedError), socket.create_connection(("127.0.0.1", closed), timeout=2):
            raise AssertionError(f"port {closed} still answers after deploy/web.sh stop")
