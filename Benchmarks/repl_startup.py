#!/usr/bin/env python3
"""Time from starting `camlab` on a pseudo-terminal to its prompt being on the screen.

The budget is 100 ms (issue 6). Usage: Benchmarks/repl_startup.py [path/to/camlab] [runs]
Prints the median, best and worst over the runs; each run uses a scratch history file.
"""
import os, pty, select, statistics, sys, tempfile, time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/camlab"
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
times = []
for _ in range(runs):
    history = tempfile.NamedTemporaryFile(delete=False).name
    env = dict(os.environ, TERM="xterm-256color", NO_COLOR="1", INPUTRC="/dev/null",
               CAMLAB_HISTORY=history, CAMLAB_PROGRESS=history + ".json")
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary], env)
    seen = b""
    while b"camlab> " not in seen:
        ready, _, _ = select.select([fd], [], [], 5)
        if not ready:
            sys.exit("no prompt within 5 s")
        seen += os.read(fd, 65536)
    times.append(time.perf_counter() - start)
    os.write(fd, b"\x04")  # Ctrl-D
    os.waitpid(pid, 0)
    os.close(fd)
    os.unlink(history)
ms = [1000 * t for t in times]
print(f"prompt ready: median {statistics.median(ms):.1f} ms, best {min(ms):.1f} ms, worst {max(ms):.1f} ms over {runs} runs ({binary})")
