"""The machine and versions a benchmark ran on, printed the same way by every benchmark."""

from __future__ import annotations

import os
import platform


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
