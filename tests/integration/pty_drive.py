#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal of 33x101, types a few lines into an interactive shell
(window size, a background job, jobs, exit) and prints everything the terminal showed."""
import fcntl, os, pty, select, struct, sys, termios, time

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
script = [
    b'echo ROWS=$(tput lines 2>/dev/null || stty size | cut -d" " -f1) COLS=$(stty size | cut -d" " -f2)\n',
    b"sleep 30 &\n",
    b'echo JOB=$(jobs | cut -c1-3)\n',
    b"kill %1\n",
    b"exit 0\n",
]
out = b""
deadline = time.time() + 20
time.sleep(0.5)
for line in script:
    os.write(fd, line)
    time.sleep(0.3)
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        try:
            done, st = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            break
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
sys.stdout.write(out.decode(errors="replace"))
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
