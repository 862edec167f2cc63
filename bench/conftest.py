import os

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _threads():
    """Benchmarks run with PPMS_THREADS threads (default 2, this project's reference machine)."""
    torch.set_num_threads(int(os.environ.get("PPMS_THREADS", "2")))
