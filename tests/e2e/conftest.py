import pytest

from tests.e2e.user_side import BrainUp


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """`brain up` in its own process, ready, for one test module; stopped after it."""
    up = BrainUp(tmp_path_factory.mktemp("up") / "brain-up.log")
    up.wait_ready()
    yield up
    up.stop()
