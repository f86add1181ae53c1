"""Real-browser tests: a live CKAN web server and Debian's headless Chromium,
driven by Playwright for Python.

A test module imports the fixtures it uses::

    from ckanext.maemoh.tests.browser import browser_page, live_server, screenshot

The browser is the system's ``chromium`` (deploy/install-system-packages.sh
installs it); Playwright's own browser download is never used, so never run
``playwright install``. When Chromium or Playwright is missing the fixtures
fail (they do not skip) and say how to install them.
"""
import contextlib
import os
import pathlib
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from ckan.common import config

from ckanext.maemoh.tests.processes import free_ports

REPO = pathlib.Path(__file__).resolve().parents[4]
# Screenshots and the live server's log; var/ is git-ignored.
ARTIFACTS = REPO / "var" / "test-artifacts" / "browser"
# A phone: the portal must work at 360 px.
PHONE_VIEWPORT = {"width": 360, "height": 740}
SERVER_START_TIMEOUT = 120  # seconds; loading CKAN and its plugins takes ~10 s
NAVIGATION_TIMEOUT = 60_000  # ms; the first page also builds CKAN's webassets

INSTALL_HINT = (
    "make install installs both (or by hand: deploy/install-system-packages.sh "
    "for Debian's chromium, then .venv/bin/pip install -c constraints.txt "
    "-r requirements-test.txt for Playwright); do NOT run `playwright install`: "
    "the tests use the system's chromium")


def chromium_executable():
    """The path of Debian's chromium (its /usr/bin/chromium launcher)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    pytest.fail(f"the browser tests need Chromium, and `chromium` is not installed: "
                f"{INSTALL_HINT}", pytrace=False)


def _tail(path, lines=40):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def live_server():
    """The base URL (``http://127.0.0.1:<port>``, no trailing slash) of a real
    CKAN web server (``ckan run``) for the test configuration, started once per
    session and stopped at its end.

    It uses the test process's databases, Solr core and Redis, so whatever a
    test commits (the Action API and the factories do) is what it serves; it
    keeps no state between requests, so each test's ``clean_db`` and
    ``clean_index`` apply to it too. Its ``ckan.site_url`` is its own address,
    so the links it renders work in the browser. Its log:
    var/test-artifacts/browser/live-server.log.
    """
    ini = config.get("__file__")
    assert ini, "the live server needs the test configuration: run pytest --ckan-ini=test.ini"
    with ckan_server(ini, "live-server.log") as base_url:
        yield base_url


@contextlib.contextmanager
def ckan_server(ini, log_name):
    """``ckan run`` of the configuration ``ini`` on a free port, its
    ``ckan.site_url`` its own address, until the block ends; yields that
    address. Its log: var/test-artifacts/browser/``log_name``."""
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    port, = free_ports(1)
    base_url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / log_name
    env = dict(os.environ, CKAN_SITE_URL=base_url, PYTHONUNBUFFERED="1")
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [ckan, "-c", ini, "run", "--host", "127.0.0.1", "--port", str(port),
             "--disable-reloader", "--disable-debugger", "--threaded"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        status_url = f"{base_url}/api/3/action/status_show"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _answers(status_url):
            if server.poll() is not None:
                pytest.fail(f"`ckan run` exited with {server.returncode} before serving "
                            f"{status_url}; {log_path}:\n{_tail(log_path)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"`ckan run` did not answer {status_url} within "
                            f"{SERVER_START_TIMEOUT} s; {log_path}:\n{_tail(log_path)}",
                            pytrace=False)
            time.sleep(0.25)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's Chromium, headless, launched once per session by Playwright."""
    try:
        from playwright.sync_api import Error as PlaywrightError, sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None:
        pytest.fail(f"the browser tests need Playwright for Python, which is not "
                    f"installed in {sys.prefix}: {INSTALL_HINT}", pytrace=False)
    executable = chromium_executable()
    playwright = sync_playwright().start()
    try:
        try:
            # --no-sandbox: Chromium refuses to start its sandbox as root (and
            # containers rarely allow user namespaces).
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=["--no-sandbox"])
        except PlaywrightError as error:
            pytest.fail(f"Playwright could not start {executable}: {error}\n"
                        f"{INSTALL_HINT}", pytrace=False)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh Playwright page (sync API) on a phone: a 360x740 viewport, Thai
    as the browser's language; closed with its context after the test."""
    context = chromium_browser.new_context(viewport=PHONE_VIEWPORT, locale="th-TH")
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page, name):
    """Save a full-page PNG of ``page`` as var/test-artifacts/browser/NAME.png;
    the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# axe-core (npm, package.json): `make install` runs npm ci into node_modules/.
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, tags=WCAG_AA):
    """axe-core's WCAG 2 A/AA violations on ``page`` as ``[(rule, impact,
    [target, ...])]``; empty when the page passes. Injected through the
    DevTools protocol, so a page's Content-Security-Policy does not stop it."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing ({AXE_JS}): `make install` installs it (npm ci)",
                    pytrace=False)
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", tags)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
