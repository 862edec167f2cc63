"""Marks for the insncount plugin (insncount.c) from Python under qemu-aarch64, and the table they make.

In the guest (aarch64 Python, say aarch64 PyTorch):
    from icount import counted
    counted("ppms tiny -> labels", lambda: model(x))    # prints 'LABEL <id> <label> | call<r>' for each call
On the host:
    python3 icount.py COUNTS STDOUT [--tsv]   # one line per label: the mean of its warm calls (2 on), less an empty call's
Each call runs between two marker syscalls; outside qemu the syscall only fails (ENOSYS)."""
import ctypes
import re
import sys

_next = [100]


def _mark(i):
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
        _mark(i)
        out = f()
        _mark(i + 1)
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


if __name__ == "__main__":  # icount.py COUNTS STDOUT [--tsv]: label <tab> instructions, for scripts
    for label, n in table(sys.argv[1], sys.argv[2]).items():
        print(f"{label}\t{n:.0f}" if "--tsv" in sys.argv[3:] else f"{label:70s} {n / 1e6:12.1f}M")
