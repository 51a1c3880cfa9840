#!/usr/bin/env python3
"""A service manager's end of sd_notify(3), for tests/cli/container.bats.

    notify_listener.py SOCKET FILE

Binds a datagram socket at SOCKET and appends each message it gets to FILE
as one line, "SECONDS MESSAGE" (monotonic seconds; the message's newlines
become '|'), until it is killed.  Only the standard library.
"""
import os
import socket
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    with open(out, "a", buffering=1) as f:
        f.write("%.6f listening\n" % time.monotonic())
        while True:
            data = sock.recv(65536)
            text = data.decode("utf-8", "backslashreplace").replace("\n", "|")
            f.write("%.6f %s\n" % (time.monotonic(), text))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    finally:
        try:
            os.unlink(sys.argv[1])
        except OSError:
            pass
