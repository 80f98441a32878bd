"""CPU time and peak resident memory of a running process, for the benchmarks' reports."""
import os


def cpu_s(pid):
    """CPU seconds (user + system) of process `pid` so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid):
    """VmHWM of process `pid` in MiB; 0 once it is gone."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except FileNotFoundError:
        pass
    return 0
