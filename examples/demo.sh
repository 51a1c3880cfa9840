#!/bin/sh
# The bundled example: a program that works for a moment, then crashes, so
# that procmon shows its tagged output, the crash and a backed-off restart.
echo "working, pid $$"
echo "a line on standard error" >&2
sleep 0.3
echo "something went wrong; exiting with status 1"
exit 1
