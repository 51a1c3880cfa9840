#!/usr/bin/env python3
"""How much slower one build of procmon is than another at the same work,
measured here and now, for the latency limits of tests/cli/clients.py.

    speed_factor.py PROCMON [PLAIN_PROCMON]

Prints one line, its first word the factor: PROCMON's daemon CPU time per
status answer over PLAIN_PROCMON's (1 without PLAIN_PROCMON).  The work is
the same for both: a daemon with 500 programs (none started) answering 100
status requests at a time, one after another, the two daemons' batches
taken in turn; the factor is the ratio of each build's least batch (a
busy machine only adds to the CPU time of a batch, and not always to both
builds alike: one fresh-machine run under load measured the plain build
at 2.5 times its usual cost, a factor of 3.5 instead of 10).  CPU time
(the daemon's own, /proc/PID/task/*/schedstat) and not the round trip:
other processes on a busy machine delay a reply, they do not make the
daemon do more.

Only the standard library."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

PROGRAMS = 500
BATCH = 100
ROUNDS = 7
DEADLINE = float(os.environ.get("DEADLINE", "30"))


def cpu_ns(pid):
    """The daemon's CPU time so far, all its threads."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:  # a thread that has just ended
            pass
        except OSError:  # no schedstat: clock ticks of the whole process
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) * 1e9 / os.sysconf("SC_CLK_TCK")
    return total


class Daemon:
    def __init__(self, procmon, folder):
        self.sock = os.path.join(folder, "sock")
        conf = os.path.join(folder, "procmon.conf")
        with open(conf, "w") as f:
            f.write(f"[program:p]\ncommand = /bin/true\nautostart = false\nnumprocs = {PROGRAMS}\n"
                    "process_name = p_%(process_num)03d\n")
        self.proc = subprocess.Popen([procmon, "run", "-s", self.sock, "--log-file", os.path.join(folder, "log"),
                                      "-c", conf], stderr=open(os.path.join(folder, "stderr"), "w"))
        end = time.monotonic() + DEADLINE
        while True:
            try:
                self.conn = socket.socket(socket.AF_UNIX)
                self.conn.settimeout(2 * DEADLINE)
                self.conn.connect(self.sock)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.conn.close()
                if self.proc.poll() is not None or time.monotonic() > end:
                    sys.exit(f"speed_factor.py: {procmon} did not start: "
                             + open(os.path.join(folder, "stderr")).read())
                time.sleep(0.01)
        self.reader = self.conn.makefile("rb")
        self.batches = []
        self.batch()

    def batch(self):
        before = cpu_ns(self.proc.pid)
        for _ in range(BATCH):
            self.conn.sendall(b'{"cmd":"status"}\n')
            answer = json.loads(self.reader.readline())
            assert answer["ok"] and len(answer["processes"]) == PROGRAMS, str(answer)[:200]
        self.batches.append((cpu_ns(self.proc.pid) - before) / BATCH)

    def close(self):
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(2 * DEADLINE)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        daemons = []
        for i, procmon in enumerate(sys.argv[1:]):
            os.mkdir(os.path.join(tmp, str(i)))
            daemons.append(Daemon(procmon, os.path.join(tmp, str(i))))
        for _ in range(ROUNDS):
            for d in daemons:
                d.batch()
        for d in daemons:
            d.close()
    # (The first batch of each warmed it up: the first answers allocate what
    # the rest reuse.)
    # Each build's least: a busy machine only ever adds to a batch's CPU
    # time (caches, the other core's work), and it can add to the two
    # builds' batches unevenly; the least of several is the work itself.
    figures = [min(d.batches[1:]) for d in daemons]
    if len(figures) == 1:
        print(f"1 (daemon CPU per status answer of {PROGRAMS} programs: {figures[0] / 1e6:.3f} ms)")
    else:
        factor = figures[0] / figures[1]
        print(f"{factor:.2f} (daemon CPU per status answer of {PROGRAMS} programs: "
              f"{figures[0] / 1e6:.3f} ms, the plain build's {figures[1] / 1e6:.3f} ms)")


if __name__ == "__main__":
    main()
