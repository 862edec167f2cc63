"""ExecuTorch with the XNNPACK delegate (fp32): the ExecuTorch row of ``ppms bench``. A standalone script for the
interpreter of .cache/executorch-venv (scripts/executorch_venv.sh); it never imports ppms_kernels, so the graph
must come in as a torch.export artifact holding only aten ops (SeaAttention.use_kernel = False).

    python ppms_kernels/tools/executorch_run.py --lower EP.pt2 --program P.pte [--input X.npy --out DIR]

--lower loads EP.pt2 (``torch.export.save`` by the main venv: same torch 2.13, so it loads as saved), lowers it
with the XNNPACK partitioner and writes the .pte to --program. With --input it then runs --program on X.npy with
an XNNPACK threadpool of --threads and writes DIR/out.npy (the first output) and DIR/times.json (seconds of each
timed run, after --warmup runs).
"""
import argparse
import json
import os
import time
import warnings

import numpy as np


def lower(ep_path, pte_path):
    """EP.pt2 -> .pte: every op XNNPACK supports is delegated, the rest runs on ExecuTorch's portable kernels."""
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    ep = torch.export.load(ep_path)
    program = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()]).to_executorch()
    with open(pte_path, "wb") as f:
        program.write_to_file(f)


def run(pte_path, x, warmup, repeat, threads):
    """(first output, seconds of each timed run)."""
    warnings.filterwarnings("ignore", message="This API is experimental")
    import torch
    from executorch.extension.pybindings import portable_lib
    from executorch.runtime import Runtime

    # Before the load: the XNNPACK delegate takes the pthreadpool pointer when the method is initialised, and a
    # reset afterwards would leave it pointing at a destroyed pool. The default size is the performance-core count.
    portable_lib._unsafe_reset_threadpool(threads)
    assert portable_lib._threadpool_get_thread_count() == threads
    method = Runtime.get().load_program(pte_path).load_method("forward")
    x = torch.from_numpy(x)
    # Outputs may alias the method's planned memory, which the next execute overwrites: copy the kept one.
    out = method.execute([x])[0].numpy().copy()
    times = []
    for i in range(warmup + repeat):
        t0 = time.perf_counter()
        method.execute([x])
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return out, times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--program", required=True, help=".pte to run (and to write, with --lower)")
    ap.add_argument("--lower", metavar="EP.pt2", help="first lower this torch.export.save file to --program")
    ap.add_argument("--input", help=".npy input; without it nothing runs")
    ap.add_argument("--out", help="directory for out.npy and times.json")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.lower:
        lower(args.lower, args.program)
    if args.input is None:
        return
    assert args.out, "--input needs --out"
    out, times = run(args.program, np.load(args.input), args.warmup, args.repeat, args.threads)
    np.save(os.path.join(args.out, "out.npy"), out)
    with open(os.path.join(args.out, "times.json"), "w") as f:
        json.dump(times, f)


if __name__ == "__main__":
    main()
