"""An event listener that speaks supervisord's protocol by hand: it
records each event as "EVENTNAME POOL POOLSERIAL | PAYLOAD" (newlines in
the payload as \\n) in the file named by its first argument, and answers
OK, or FAIL for the first event of each type named after --fail."""
import sys

record = open(sys.argv[1], "a")
failing = set(sys.argv[sys.argv.index("--fail") + 1:]) if "--fail" in sys.argv else set()
while True:
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        break
    header = dict(field.split(":", 1) for field in line.split())
    payload = sys.stdin.read(int(header["len"]))
    name = header["eventname"]
    answer = "FAIL" if name in failing else "OK"
    failing.discard(name)
    record.write("%s %s %s %s | %s\n" % (name, header["pool"], header["poolserial"], answer,
                                         payload.replace("\n", "\\n")))
    record.flush()
    sys.stdout.write("RESULT %d\n%s" % (len(answer), answer))
    sys.stdout.flush()
