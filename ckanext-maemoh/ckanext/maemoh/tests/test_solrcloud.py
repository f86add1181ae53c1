"""CKAN on SolrCloud, started from the deploy/ files (deploy/services/solrcloud.sh:
a ZooKeeper, two Solr nodes in cloud mode and nginx in front, deploy/solr/CLOUD.md):
the collection has our configset and 2 shards x 2 active replicas, one of each
shard on each node; CKAN indexes and finds datasets through nginx; with a node
stopped it still finds everything and indexes a new dataset; started again,
the node recovers and holds that dataset itself.

The cluster runs once for the module, with free ports, in
var/test-artifacts/solrcloud/ (its logs in log/ there); CKAN's search
settings point at it for the tests that ask for ``ckan_on_cloud`` only.
"""
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests

import ckan.lib.search as search
import ckan.plugins.toolkit as tk
from ckan.tests import factories, helpers
from ckanext.maemoh.tests.helpers import valid_dataset
from ckanext.maemoh.tests.processes import free_ports, wait_for

REPO = pathlib.Path(__file__).resolve().parents[4]
# Under the repository's var/: nginx's workers run as nobody when the tests
# run as root, and must reach it.
STATE = REPO / "var" / "test-artifacts" / "solrcloud"
SCRIPT = REPO / "deploy" / "services" / "solrcloud.sh"
COLLECTION = "ckan_test"


class Cloud:
    """The running cluster: its nodes' URLs, nginx's URL of the collection."""

    def __init__(self, env, node_ports, lb_port):
        self.env = env
        self.node_urls = [f"http://127.0.0.1:{port}/solr" for port in node_ports]
        self.node_names = [f"127.0.0.1:{port}_solr" for port in node_ports]
        self.solr_url = f"http://127.0.0.1:{lb_port}/solr/{COLLECTION}"

    def run(self, *args):
        done = subprocess.run([str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"solrcloud.sh {' '.join(args)}:\n{done.stderr}"
        return done.stderr

    def status(self, via=None):
        """The collection in CLUSTERSTATUS (asked of node ``via``, else through nginx)."""
        base = self.node_urls[via] if via is not None else self.solr_url.rsplit("/", 1)[0]
        answer = requests.get(f"{base}/admin/collections", timeout=10,
                              params={"action": "CLUSTERSTATUS", "collection": COLLECTION, "wt": "json"}).json()
        return answer["cluster"]["live_nodes"], answer["cluster"]["collections"][COLLECTION]["shards"]


def pids(state):
    return {path.name: int(path.read_text()) for path in (state / "run").glob("solrcloud-*.pid")}


def alive(pid):
    """True while the process runs (a zombie is dead)."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def cloud():
    """The cluster, started once for the module (the jars' classpath kept
    between runs: Maven resolves it on the first only); stopped after it,
    checking that no process of it remains."""
    for entry in STATE.glob("*"):
        if entry.name != "solrcloud":
            shutil.rmtree(entry, ignore_errors=True)
    for entry in (STATE / "solrcloud").glob("*"):
        if entry.name != "classpath.txt":
            shutil.rmtree(entry, ignore_errors=True)
    zk_port, lb_port, *node_ports = free_ports(4)
    env = dict(os.environ, MAEMOH_VAR=str(STATE), SOLRCLOUD_PORT=str(lb_port),
               SOLRCLOUD_NODE_PORTS=" ".join(map(str, node_ports)), SOLRCLOUD_ZK_PORT=str(zk_port),
               SOLRCLOUD_COLLECTION=COLLECTION, CKAN_PYTHON=sys.executable)
    cluster = Cloud(env, node_ports, lb_port)
    started = time.monotonic()
    running = {}
    try:
        cluster.run("start")
        print(f"solrcloud.sh start: {time.monotonic() - started:.1f} s")
        running = pids(STATE)
        yield cluster
    finally:
        cluster.run("stop")
    assert sorted(running) == ["solrcloud-nginx.pid", "solrcloud-node1.pid", "solrcloud-node2.pid",
                               "solrcloud-zk.pid"]
    assert [name for name, pid in running.items() if alive(pid)] == []
    for port in (zk_port, lb_port, *node_ports):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.fixture
def ckan_on_cloud(cloud, clean_db, monkeypatch):
    """CKAN's search settings pointed at the cluster's collection (after
    clean_db, which may load the plugins and so read solr_url again), an
    empty index; test.ini's settings back after the test."""
    saved = search.SolrSettings.get()
    monkeypatch.setitem(tk.config, "solr_url", cloud.solr_url)
    search.SolrSettings.init(cloud.solr_url)
    try:
        search.clear_all()
        yield cloud
    finally:
        search.SolrSettings.init(*saved)


def test_the_collection_has_our_schema_and_2_shards_of_2_active_replicas_on_2_nodes(cloud):
    live_nodes, shards = cloud.status()
    assert sorted(live_nodes) == sorted(cloud.node_names)
    assert sorted(shards) == ["shard1", "shard2"]
    for shard in shards.values():
        replicas = shard["replicas"].values()
        assert [r["state"] for r in replicas] == ["active", "active"]
        assert sorted(r["node_name"] for r in replicas) == sorted(cloud.node_names)  # one on each node
        assert [r.get("leader") for r in replicas].count("true") == 1

    def schema(path):
        return requests.get(f"{cloud.solr_url}/schema/{path}", params={"wt": "json"}, timeout=10).json()
    assert schema("fields/spatial_geom")["field"]["type"] == "location_rpt"
    assert schema("fieldtypes/location_rpt")["fieldType"]["spatialContextFactory"] == "JTS"
    assert schema("fieldtypes/text")["fieldType"]["indexAnalyzer"]["tokenizer"]["class"] == "solr.ThaiTokenizerFactory"
    assert schema("fields/_version_")["field"]["type"] == "plong"


def _create(name, title, org):
    return helpers.call_action("package_create", context={"user": factories.Sysadmin()["name"]},
                               **valid_dataset(name=name, owner_org=org["id"], title_translated=title))


def _found(query):
    return sorted(d["name"] for d in helpers.call_action("package_search", q=query, rows=100)["results"])


def _held_by(cloud, node):
    """Names of the datasets in the cores of ``node`` itself (distrib=false)."""
    _, shards = cloud.status(via=node)
    names = set()
    for shard in shards.values():
        for replica in shard["replicas"].values():
            if replica["node_name"] == cloud.node_names[node]:
                docs = requests.get(f"{cloud.node_urls[node]}/{replica['core']}/select", timeout=10, params={
                    "q": "*:*", "distrib": "false", "fl": "name", "rows": 100, "wt": "json",
                    "fq": f"site_id:{tk.config['ckan.site_id']}"}).json()["response"]["docs"]
                names.update(doc["name"] for doc in docs)
    return names


def test_ckan_indexes_and_finds_datasets_with_a_node_down_and_the_node_recovers(ckan_on_cloud):
    cloud = ckan_on_cloud
    org = factories.Organization(name="pcd", title="Pollution Control Department", agency_type="government")
    _create("air-before", {"th": "คุณภาพอากาศสบป้าด", "en": "Sop Pat air quality"}, org)
    # Thai is split into words by the configset's tokenizer: a word inside the title matches
    assert _found("อากาศ") == ["air-before"]

    _, shards = cloud.status()
    leader = next(r["node_name"] for r in shards["shard1"]["replicas"].values() if r.get("leader") == "true")
    down = cloud.node_names.index(leader)  # the node that leads shard1 is stopped
    up = 1 - down
    stopping = time.monotonic()
    cloud.run("stop-node", str(down + 1))
    stopped = time.monotonic()

    def leaders_on_live_node():
        live_nodes, shards = cloud.status(via=up)
        return all(any(r.get("leader") == "true" and r["state"] == "active" and r["node_name"] in live_nodes
                       for r in shard["replicas"].values()) for shard in shards.values())
    wait_for("a leader of each shard on the node that is up", leaders_on_live_node, seconds=60, every=0.1)
    print(f"node {down + 1} stopped in {stopped - stopping:.1f} s;"
          f" every shard led by node {up + 1} {time.monotonic() - stopped:.1f} s later")

    assert _found("อากาศ") == ["air-before"]
    _create("water-while-down", {"th": "คุณภาพน้ำแม่น้ำจาง", "en": "Chang river water quality"}, org)
    assert _found("น้ำ") == ["water-while-down"]
    assert _found("*:*") == ["air-before", "water-while-down"]

    restarted = time.monotonic()
    cloud.run("start-node", str(down + 1))  # returns once every replica is active
    print(f"node {down + 1} started and its replicas active: {time.monotonic() - restarted:.1f} s")
    live_nodes, shards = cloud.status()
    assert sorted(live_nodes) == sorted(cloud.node_names)
    assert [r["state"] for s in shards.values() for r in s["replicas"].values()] == ["active"] * 4
    # one replica of each shard on the node: between them, every dataset
    assert wait_for("the recovered node's own cores hold every dataset",
                    lambda: _held_by(cloud, down) == {"air-before", "water-while-down"}, seconds=30, every=0.2)
    assert _found("*:*") == ["air-before", "water-while-down"]
