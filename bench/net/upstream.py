#!/usr/bin/env python3
"""Servers for the network benchmarks, on the host's loopback.
  upstream.py blast PORTFILE        HTTP: GET /N answers N bytes (Connection: close)
  upstream.py tls PORTFILE CERT KEY HTTPS: any request answers "ok" (one request per connection)
  upstream.py hold PORTFILE         accepts connections and keeps them open, idle
The chosen port is written to PORTFILE."""
import asyncio, os, socket, ssl, sys, threading

def listen():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    tmp = sys.argv[2] + ".tmp"
    open(tmp, "w").write(str(s.getsockname()[1]))
    os.rename(tmp, sys.argv[2])
    return s

def read_head(c):
    data = b""
    while b"\r\n\r\n" not in data:
        b = c.recv(4096)
        if not b:
            return None
        data += b
    return data

def blast(c):
    try:
        head = read_head(c)
        if head is None:
            return
        n = int(head.split(b" ")[1].lstrip(b"/") or b"0")
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % n)
        # sendfile from a sparse file: the server should cost as little CPU as possible, so
        # that the proxies, not the server, are what the figures compare
        with open(ZEROS, "rb") as f:
            off = 0
            while off < n:
                off += os.sendfile(c.fileno(), f.fileno(), off, n - off)
    finally:
        c.close()

def tls(c, ctx):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        if read_head(t) is not None:
            t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
        t.close()
    except (OSError, ssl.SSLError):
        c.close()

def serve(handler, *extra):
    s = listen()
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,) + extra, daemon=True).start()

async def hold():
    s = listen()
    held = []
    async def keep(reader, writer):
        held.append(writer)
        await reader.read()
    server = await asyncio.start_server(keep, sock=s)
    await server.serve_forever()

mode = sys.argv[1]
if mode == "blast":
    ZEROS = sys.argv[2] + ".zeros"
    with open(ZEROS, "wb") as f:
        f.truncate(1 << 36)
    serve(blast)
elif mode == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    serve(tls, ctx)
elif mode == "hold":
    asyncio.run(hold())
