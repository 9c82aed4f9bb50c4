# io_threads.py - file I/O from 8 threads at once; prints what each saw.
# Used by transparency.sh: its output must be identical under LSCA.
import hashlib
import os
import threading

results = {}


def worker(n):
    name = f"thread-{n}.dat"
    data = bytes((n * 7 + i) % 251 for i in range(200000 + n * 1000))
    fd = os.open(name, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o640)
    for off in range(0, len(data), 4096):
        os.write(fd, data[off:off + 4096])
    os.close(fd)
    st = os.stat(name)
    fd = os.open(name, os.O_RDONLY)
    back = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        back += chunk
    os.lseek(fd, 1000, os.SEEK_SET)
    tail = os.pread(fd, 16, 5000)
    os.close(fd)
    os.rename(name, name + ".done")
    results[n] = (st.st_size, oct(st.st_mode), hashlib.sha256(back).hexdigest(),
                  back == data, tail.hex())


threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for n in sorted(results):
    print(n, *results[n])
try:
    os.stat("no-such-file")
except FileNotFoundError as e:
    print("stat missing:", e.errno)
