#!/usr/bin/env python3
"""Check a collection in Solr's CLUSTERSTATUS answer (read from stdin).

usage: cloud_state.py COLLECTION SHARDS REPLICAS < clusterstatus.json

Prints one line per shard (its replicas: node, state, leader) and exits 0
when the collection has SHARDS shards of at least REPLICAS replicas each,
all active on live nodes; 1 when it is not (yet) so; 2 when the answer is not a
CLUSTERSTATUS or names no such collection.
"""
import json
import sys


def describe(status, collection, shards, replicas):
    """(healthy, lines) of ``collection`` in the CLUSTERSTATUS ``status``."""
    cluster = status["cluster"]
    live = set(cluster.get("live_nodes", []))
    found = cluster["collections"][collection]["shards"]
    healthy = len(found) == shards
    lines = []
    for name, shard in sorted(found.items()):
        parts = []
        active = 0
        for replica in shard["replicas"].values():
            up = replica["state"] == "active" and replica["node_name"] in live
            active += up
            parts.append(f"{replica['node_name']} {replica['state'] if replica['node_name'] in live else 'down'}"
                         + (" leader" if replica.get("leader") == "true" else ""))
        healthy = healthy and active == len(shard["replicas"]) >= replicas
        lines.append(f"{collection} {name}: " + ", ".join(sorted(parts)))
    return healthy, lines


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: cloud_state.py COLLECTION SHARDS REPLICAS < clusterstatus.json")
    collection, shards, replicas = argv[1], int(argv[2]), int(argv[3])
    try:
        healthy, lines = describe(json.load(sys.stdin), collection, shards, replicas)
    except (ValueError, KeyError, TypeError) as error:
        print(f"cloud_state.py: no collection {collection} in the cluster status ({error!r})", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
