import pytest

from brain_local.stack.lifecycle import OfflineStack
from brain_local.stack.options import OfflineStackOptions


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    """One offline stack for the integration tests: fast scripted models (the insight double far
    inside its deadline even on a loaded machine), any free port."""
    options = OfflineStackOptions(
        port=0,
        ttft_ms=50,
        tokens_per_second=400,
        reply_tokens=40,
        insight_ttft_ms=10,
        insight_tokens_per_second=2000,
        log_dir=tmp_path_factory.mktemp("logs"),
        state_dir=tmp_path_factory.mktemp("state"),
    )
    with OfflineStack(options) as running:
        yield running
