"""A reader slower than procmon's writers: copies standard input to FILE,
64 KiB at a time with a pause after each read.  With --stall-after N it
stops reading for good once it has N bytes (it still holds the pipe open).
With --ready FILE it creates FILE once it is about to read.

    slow_reader.py FILE [--pause SECONDS] [--stall-after BYTES] [--ready FILE]
"""
import argparse
import os
import sys
import time

a = argparse.ArgumentParser()
a.add_argument("file")
a.add_argument("--pause", type=float, default=0.005)
a.add_argument("--stall-after", type=int, default=-1)
a.add_argument("--ready")
args = a.parse_args()

total = 0
with open(args.file, "wb", buffering=0) as out:
    if args.ready:
        open(args.ready, "w").close()
    while True:
        if 0 <= args.stall_after <= total:
            time.sleep(3600)
        data = os.read(sys.stdin.fileno(), 65536)
        if not data:
            break
        out.write(data)
        total += len(data)
        time.sleep(args.pause)
