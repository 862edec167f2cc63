"""Executed aarch64 instructions of the engine per function of the op library (1 thread, Cortex-A76 under qemu), per
network call: where the instructions go inside the layers that layers_icount.py counts, for tuning the NEON kernels.

    bash bench/arm/functions_icount.sh [size] [variant] [functions] [precision]    (default 512 tiny 25 fp32; 2 minutes)

Needs the -DPPMS_ICOUNT_MARKS=ON op library of layers_icount.py (build/arm-marks): its first layer mark arms the
tb_profile plugin, and this driver's mark 1 after each call disarms it. Run with `run SIZE VARIANT PRECISION` under qemu (the
driver), then `report OUTDIR LIBRARY TOP` on the host (the table)."""
import bisect
import collections
import subprocess
import sys


def run(size, variant, precision, calls=2):
    import ctypes

    import torch

    import ppms_kernels
    from ppms_kernels.models import pp_mobileseg

    syscall = ctypes.CDLL(None).syscall
    syscall.argtypes = [ctypes.c_long, ctypes.c_long]
    torch.set_num_threads(1)
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        model = ppms_kernels.optimize(pp_mobileseg(variant, num_classes=150).eval(), precision=precision)
        for _ in range(calls):
            model.logits(x)
            syscall(0x5050, 1)
    print("CALLS", calls)
    for line in open("/proc/self/maps"):  # where the library lies in the guest
        if "r-xp" in line and "ppms" in line:
            print("MAP", line.strip())


def report(outdir, library, top):
    lines = open(f"{outdir}/stdout.txt").read().splitlines()
    calls = int(next(l.split()[1] for l in lines if l.startswith("CALLS")))
    lo, hi = (int(v, 16) for v in next(l.split()[1] for l in lines if l.startswith("MAP")).split("-"))
    nm = subprocess.run(["aarch64-linux-gnu-nm", "-C", "--defined-only", library], capture_output=True, text=True,
                        check=True).stdout
    symbols = sorted((int(a, 16), name) for a, kind, name in (l.split(" ", 2) for l in nm.splitlines()
                                                              if l.count(" ") >= 2) if kind in "tTwW")
    starts = [a for a, _ in symbols]
    per, total = collections.Counter(), 0
    for line in open(f"{outdir}/blocks.txt"):
        _, vaddr, insns, execs = line.split()
        vaddr, n = int(vaddr, 16), int(insns) * int(execs)
        total += n
        i = bisect.bisect_right(starts, vaddr - lo) - 1
        per[symbols[i][1] if lo <= vaddr < hi and i >= 0 else "(outside the op library)"] += n
    print(f"{total / calls / 1e6:.1f}M instructions per network call")
    for name, n in per.most_common(top):
        print(f"{n / calls / 1e6:8.2f}M {100 * n / total:5.1f}%  {name[:140]}")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        report(sys.argv[2], sys.argv[3], int(sys.argv[4]))
