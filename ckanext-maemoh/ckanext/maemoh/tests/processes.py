"""Real ``ckan`` processes of the tests' configuration (consumers, workers)
and polling for what they do."""
import os
import signal
import socket
import subprocess
import sys
import time

import ckan.plugins.toolkit as tk
from ckan import model

CKAN = os.path.join(os.path.dirname(sys.executable), "ckan")


def free_ports(count):
    """``count`` distinct ports of 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Process:
    """A ``ckan`` command of the tests' configuration (or ``config``), in a session of its own."""

    def __init__(self, *args, env=None, config=None):
        self.log = open(os.devnull, "w")
        self.popen = subprocess.Popen([CKAN, "-c", config or tk.config["__file__"], *args], stdout=self.log,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      env=dict(os.environ, **(env or {})))

    def kill(self):
        """SIGKILL to it and every process it started (RQ's work horse has a session of its own)."""
        for pid in [*_descendants(self.popen.pid), self.popen.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.popen.wait(30)
        self.log.close()


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    children.setdefault(int(stat.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_for(what, check, seconds=300, every=0.02):
    """Poll ``check`` until it returns something true; that value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        model.Session.remove()
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"{what}: not after {seconds} s")
