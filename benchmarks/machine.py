"""The machine and versions a benchmark ran on, printed the same way by every benchmark."""

from __future__ import annotations

import os
import platform
import sys


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def print_machine(versions: dict[str, str]) -> None:
    """Print the platform, CPU, cores, Python and the versions of everything measured."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print(f"machine : {platform.platform()}; {cpu_model()}")
    print(
        f"          cpu_count={os.cpu_count()}"
        + (f", usable={affinity}" if affinity is not None else "")
    )
    print(f"python  : {platform.python_implementation()} {platform.python_version()}")
    print("versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()))


def load_average() -> str:
    """The 1-minute load average, as text ("unknown" where the platform has none)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "unknown"


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    On Linux this reads VmHWM from /proc: ``ru_maxrss`` there keeps the parent's high-water
    mark across fork and exec, so a child started by a big parent would report the parent's.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    import resource  # not on Windows; only reached where /proc is missing

    scale = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
