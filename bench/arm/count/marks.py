"""Marks for the count plugin (plugin.c) from Python under qemu-aarch64, and the tables they make.

In the guest (aarch64 Python, say aarch64 PyTorch):
    from marks import counted
    counted("ppms tiny -> labels", lambda: model(x))    # prints 'LABEL <id> <label> | call<r>' for each call
On the host:
    python3 marks.py table COUNTS STDOUT [--tsv]   # per label the mean of its warm calls (2 on), less an empty call's
    python3 marks.py functions BLOCKS STDOUT LIBRARY TOP   # per function of LIBRARY, from the plugin's blocks=
Each call runs between two marker syscalls; outside qemu the syscall only fails (ENOSYS)."""
import bisect
import collections
import ctypes
import re
import subprocess
import sys

_next = [100]


def mark(i):
    libc = ctypes.CDLL(None)
    libc.syscall.restype = ctypes.c_long
    libc.syscall(ctypes.c_long(0x5050), ctypes.c_long(i))


def counted(label, f, reps=3):
    """Runs ``f`` ``reps`` times, each between two marks; returns its last result."""
    out = None
    for r in range(reps):
        i = _next[0]
        _next[0] += 2
        print(f"LABEL {i} {label} | call{r + 1}", flush=True)
        mark(i)
        out = f()
        mark(i + 1)
    return out


def table(counts_path, stdout_path):
    """``{label: instructions}``: per label the mean of its warm calls (all but the first), less the same of a label
    named ``empty`` (the marks' own cost) when there is one. A mark hit several times counts at its last hit."""
    marks = {}
    for line in open(counts_path):
        m = re.match(r"mark (\d+) (\d+)$", line.strip())
        if m:
            marks[int(m[1])] = int(m[2])
    calls = {}
    for line in open(stdout_path):  # 'LABEL <id> <label> | call<r>' (counted), or 'LABEL <id> <label>' (a region
        m = re.match(r"LABEL (\d+) (.*?)(?: \| call(\d+))?$", line.rstrip("\n"))  # between marks id and id + 1)
        if m and (m[3] is None or int(m[3]) > 1):
            i = int(m[1])
            calls.setdefault(m[2], []).append(marks[i + 1] - marks[i])
    mean = {label: sum(n) / len(n) for label, n in calls.items()}
    empty = mean.pop("empty", 0)
    return {label: n - empty for label, n in mean.items()}


def functions(blocks_path, stdout_path, library, top):
    """Instructions per network call, and per function of ``library`` (aarch64 nm symbols) where the blocks that ran
    armed lie; the guest prints how many calls ran (CALLS) and where the library was mapped (MAP)."""
    lines = open(stdout_path).read().splitlines()
    calls = int(next(line.split()[1] for line in lines if line.startswith("CALLS")))
    lo, hi = (int(v, 16) for v in next(line.split()[1] for line in lines if line.startswith("MAP")).split("-"))
    nm = subprocess.run(["aarch64-linux-gnu-nm", "-C", "--defined-only", library], capture_output=True, text=True,
                        check=True).stdout
    symbols = sorted((int(a, 16), name) for a, kind, name in (line.split(" ", 2) for line in nm.splitlines()
                                                              if line.count(" ") >= 2) if kind in "tTwW")
    starts = [a for a, _ in symbols]
    per, total = collections.Counter(), 0
    for line in open(blocks_path):
        _, vaddr, insns, execs = line.split()
        vaddr, n = int(vaddr, 16), int(insns) * int(execs)
        total += n
        i = bisect.bisect_right(starts, vaddr - lo) - 1
        per[symbols[i][1] if lo <= vaddr < hi and i >= 0 else "(outside the op library)"] += n
    print(f"{total / calls / 1e6:.1f}M instructions per network call")
    for name, n in per.most_common(top):
        print(f"{n / calls / 1e6:8.2f}M {100 * n / total:5.1f}%  {name[:140]}")


if __name__ == "__main__":
    if sys.argv[1] == "table":  # label <tab> instructions with --tsv, for scripts
        for label, n in table(sys.argv[2], sys.argv[3]).items():
            print(f"{label}\t{n:.0f}" if "--tsv" in sys.argv[4:] else f"{label:70s} {n / 1e6:12.1f}M")
    else:
        functions(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
