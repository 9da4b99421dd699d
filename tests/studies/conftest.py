import pytest

from twinloc.geometry.cache import prepare_study_worker
from twinloc.studies import open_runner


@pytest.fixture(scope="session")
def cluster_runner():
    """A runner on a 2-worker LocalCluster, shared by the study tests (starting one takes seconds)."""
    with open_runner("local", workers=2, worker_setup=prepare_study_worker) as runner:
        yield runner
