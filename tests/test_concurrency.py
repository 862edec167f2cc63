"""The ops called from several Python threads at once, while torch's thread count changes underneath them, give
the answers they give alone: the kernels keep no global mutable state."""
import threading
from concurrent.futures import ThreadPoolExecutor

import torch

from ppms_kernels import valid_interpolate
from ppms_kernels.models import SeaAttention
from ppms_kernels.models import FusedSeaAttention
from ppms_kernels.testing import realistic_logits


def test_ops_from_many_threads_match_their_single_thread_answers():
    logits = [realistic_logits(b, 30, 13 + i, 17, K=6, seed=i) for i, b in enumerate((1, 2, 1, 3))]
    sizes = [(50, 67), (64, 64), (97, 31), (40, 80)]
    blocks = [FusedSeaAttention(SeaAttention(dim, kd, heads, use_kernel=False).eval())
              for dim, kd, heads in ((32, 8, 2), (64, 16, 4))]
    xs = [torch.randn(2, 32, 17, 20), torch.randn(1, 64, 32, 32)]
    before = torch.get_num_threads()
    with torch.inference_mode():
        want_vim = [[valid_interpolate(lo, s, m) for m in ("exact", "paper")] for lo, s in zip(logits, sizes)]
        want_sea = [blk(x) for blk, x in zip(blocks, xs)]

        def work(i):
            k = i % len(logits)
            got_vim = [valid_interpolate(logits[k], sizes[k], m) for m in ("exact", "paper")]
            got_sea = blocks[i % 2](xs[i % 2])
            return (all(torch.equal(g, w) for g, w in zip(got_vim, want_vim[k]))
                    and torch.allclose(got_sea, want_sea[i % 2], rtol=1e-6, atol=1e-6))

        stop = threading.Event()

        def toggle():  # the intra-op thread count changes while the calls run
            n = 0
            while not stop.is_set():
                torch.set_num_threads(1 + n % 2)
                n += 1

        t = threading.Thread(target=toggle)
        t.start()
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                results = list(pool.map(work, range(48)))
        finally:
            stop.set()
            t.join()
            torch.set_num_threads(before)
    assert all(results), f"{results.count(False)} of {len(results)} concurrent calls differ from the serial answer"
