import pytest

from twinloc.studies import open_runner


@pytest.fixture(scope="session")
def cluster_runner():
    """A runner on a 2-worker LocalCluster, shared by the study tests (starting one takes seconds)."""
    with open_runner("local", workers=2) as runner:
        yield runner
