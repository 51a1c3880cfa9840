"""What the suite reads from /proc, and how it cleans up after itself.

The suite makes itself a child subreaper, so every process a supervisor
leaves behind (its orphans) becomes the suite's child instead of init's, and
kill_descendants() finds and kills them all at the end, whatever happened.
"""
import ctypes, os, select, signal, time

PR_SET_CHILD_SUBREAPER = 36
CLK_TCK = os.sysconf("SC_CLK_TCK")


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _stat(pid):
    """(comm, fields after comm) of /proc/PID/stat, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    head, _, rest = text.rpartition(")")
    return head.partition("(")[2], rest.split()


def process_table():
    """{pid: (ppid, comm)} of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(entry)):
            table[int(entry)] = (int(st[1][1]), st[0])
    return table


def descendants(root, table=None):
    """root and every process below it, as {pid: comm}."""
    table = table or process_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            found[pid] = table[pid][1]
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids):
    """utime + stime of these processes (their own, not their children's)."""
    total = 0
    for pid in pids:
        if st := _stat(pid):
            total += int(st[1][11]) + int(st[1][12])
    return total / CLK_TCK


def context_switches(pids):
    """Voluntary plus involuntary context switches of these processes."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if "ctxt_switches:" in line:
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def memory_kib(pids):
    """(RSS, PSS) in KiB summed over these processes, from smaps_rollup."""
    rss = pss = 0
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
    return rss, pss


def watch(pids):
    """pidfds for pids (a pid already gone is skipped); readable at exit."""
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except ProcessLookupError:
            pass
    return fds


def wait_pidfds(fds, deadline):
    """Wait until every pidfd is readable (its process exited); the number
    still alive at the deadline (monotonic seconds)."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    left = len(fds)
    while left:
        ready = poller.poll(max(0.0, deadline - time.monotonic()) * 1000)
        if not ready:
            break
        for fd, _ in ready:
            poller.unregister(fd)
            left -= 1
    for fd in fds:
        os.close(fd)
    return left


def reap():
    """Collect every exited child (orphans the suite inherited)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_descendants(limit=10):
    """SIGKILL everything below this process until nothing is left; the pids
    that survived the limit."""
    me, deadline = os.getpid(), time.monotonic() + limit
    while True:
        left = [p for p in descendants(me) if p != me]
        if not left or time.monotonic() > deadline:
            reap()
            return left
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
        reap()
