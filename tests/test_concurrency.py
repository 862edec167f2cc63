"""The ops called from several Python threads at once, while torch's thread count changes underneath them, give
the answers they give alone: the kernels keep no global mutable state."""
import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import torch

from ppms_kernels import valid_interpolate
from ppms_kernels.models import FusedSeaAttention, SeaAttention, optimize, pp_mobileseg
from ppms_kernels.testing import realistic_logits

from helpers import randomise


@contextlib.contextmanager
def toggling_threads():
    """torch's intra-op thread count flips between 1 and 2 while the block runs (restored after)."""
    before, stop = torch.get_num_threads(), threading.Event()

    def toggle():
        n = 0
        while not stop.is_set():
            torch.set_num_threads(1 + n % 2)
            n += 1

    t = threading.Thread(target=toggle)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()
        torch.set_num_threads(before)


def test_ops_from_many_threads_match_their_single_thread_answers():
    logits = [realistic_logits(b, 30, 13 + i, 17, K=6, seed=i) for i, b in enumerate((1, 2, 1, 3))]
    sizes = [(50, 67), (64, 64), (97, 31), (40, 80)]
    blocks = [FusedSeaAttention(SeaAttention(dim, kd, heads, use_kernel=False).eval())
              for dim, kd, heads in ((32, 8, 2), (64, 16, 4))]
    xs = [torch.randn(2, 32, 17, 20), torch.randn(1, 64, 32, 32)]
    with torch.inference_mode():
        want_vim = [[valid_interpolate(lo, s, m) for m in ("exact", "paper")] for lo, s in zip(logits, sizes)]
        want_sea = [blk(x) for blk, x in zip(blocks, xs)]

        def work(i):
            k = i % len(logits)
            got_vim = [valid_interpolate(logits[k], sizes[k], m) for m in ("exact", "paper")]
            got_sea = blocks[i % 2](xs[i % 2])
            return (all(torch.equal(g, w) for g, w in zip(got_vim, want_vim[k]))
                    and torch.allclose(got_sea, want_sea[i % 2], rtol=1e-6, atol=1e-6))

        with toggling_threads(), ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(work, range(48)))
    assert all(results), f"{results.count(False)} of {len(results)} concurrent calls differ from the serial answer"


def test_engine_from_many_threads_and_in_a_forked_child():
    """The engine's thread pools (one per torch thread count) under concurrent calls while the count changes, and in
    a child forked after the parent used them (a DataLoader worker), where the parent's pool threads do not exist."""
    model = optimize(randomise(pp_mobileseg("tiny", num_classes=5), seed=3))
    x = torch.randn(1, 3, 64, 80)
    before = torch.get_num_threads()
    with torch.inference_mode():
        want = model.logits(x)
        with toggling_threads(), ThreadPoolExecutor(max_workers=3) as pool:
            same = list(pool.map(lambda _: torch.allclose(model.logits(x), want, rtol=1e-5, atol=1e-6), range(12)))
        assert all(same), f"{same.count(False)} of {len(same)} concurrent calls differ"
        torch.set_num_threads(2)
        model.logits(x)  # the 2-thread pool exists in this process now
        pid = os.fork()
        if pid == 0:  # the child: exit 0 only if the engine runs and agrees
            try:
                os._exit(0 if torch.allclose(model.logits(x), want, rtol=1e-5, atol=1e-6) else 1)
            except BaseException:
                os._exit(2)
        torch.set_num_threads(before)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0, "the forked child's engine call failed"
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child's engine call hung (the parent's pool threads are gone after fork)")
