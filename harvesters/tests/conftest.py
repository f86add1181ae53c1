import pytest

from ckanext.maemoh.harvesters import egress


@pytest.fixture(scope="module", autouse=True)
def replay_servers_allowed():
    """The adapters' tests fetch from replay servers on 127.0.0.1 (any port):
    allowed in each module, the default (nothing allowed) restored after."""
    egress.allow_hosts(["127.0.0.1"])
    yield
    egress.allow_hosts([])
