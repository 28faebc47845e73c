import pytest

from brain_local.stack import OfflineStack, StackOptions


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    """One offline stack for the integration tests: fast scripted model, any free port."""
    options = StackOptions(
        port=0,
        ttft_ms=50,
        tokens_per_second=400,
        reply_tokens=40,
        log_dir=tmp_path_factory.mktemp("logs"),
        state_dir=tmp_path_factory.mktemp("state"),
    )
    with OfflineStack(options) as running:
        yield running
