"""The client of bench/round-trip.ts: loops of single system calls in DIR, each a known set of
FUSE requests, timed as the mean of CALLS calls after a warm-up. Python, not Node: Node's fs
calls hop through its thread pool, which would add two thread wakeups to every call.

Usage: python3 round-trip-client.py DIR CALLS SMALL_FILES
Prints one JSON object: microseconds per call, by loop name.
"""
import io
import json
import os
import sys
import tarfile
import time


def timed(fn, calls, warm):
    for _ in range(warm):
        fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main():
    d, calls, small_files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    out = {}
    missing = os.path.join(d, "missing")

    def stat_missing():
        try:
            os.stat(missing)
        except FileNotFoundError:
            pass

    out["stat_missing"] = timed(stat_missing, calls, calls // 10)

    existing = os.path.join(d, "existing")
    fd = os.open(existing, os.O_CREAT | os.O_RDWR, 0o644)
    out["open_close"] = timed(lambda: os.close(os.open(existing, os.O_RDONLY)), calls, calls // 10)

    page = b"x" * 4096
    out["pwrite_4k"] = timed(lambda: os.pwrite(fd, page, 0), calls, calls // 10)
    os.close(fd)

    small = os.urandom(128 * 1024)
    made = [0]

    def small_file():
        made[0] += 1
        f = os.open(os.path.join(d, "small.%d" % made[0]), os.O_CREAT | os.O_WRONLY, 0o644)
        os.write(f, small)
        os.close(f)

    out["small_file"] = timed(small_file, small_files, small_files // 10)

    # Reading back the files just written, in turn: each open may find the file's pages still
    # cached by the kernel (passthrough_ll drops them at every open; juicefs keeps them while
    # the file is unchanged), so this is the warm case; bench:fuse drops caches before reading.
    buf = bytearray(128 * 1024)
    read_at = [0]

    def read_small():
        read_at[0] = read_at[0] % made[0] + 1
        f = os.open(os.path.join(d, "small.%d" % read_at[0]), os.O_RDONLY)
        os.readv(f, [buf])
        os.close(f)

    out["read_small"] = timed(read_small, small_files, small_files // 10)

    # A tree unpacked as GNU tar does it as root: each file created, written, then given its
    # owner, mode and times (SETATTR three times), in 40 directories; µs a file.
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as t:
        for i in range(small_files):
            data = b"t" * (200 + (i * 397) % 8000)
            info = tarfile.TarInfo("tree/d%02d/f%d" % (i % 40, i))
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            t.addfile(info, io.BytesIO(data))
    archive.seek(0)
    with tarfile.open(fileobj=archive, mode="r") as t:
        start = time.perf_counter()
        t.extractall(os.path.join(d, "unpacked"), numeric_owner=True)
        out["unpack_tree"] = (time.perf_counter() - start) / small_files * 1e6
    print(json.dumps(out))


main()
