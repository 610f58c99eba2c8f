#!/usr/bin/env python3
"""Clients for the network benchmarks (TLS server name: bench.test; direct connections go to
127.0.0.1).
  client.py latency N HOST PORT [PROXYHOST:PROXYPORT]  N sequential HTTPS requests (through CONNECT
                                                        when a proxy is given); prints p50 p99 in ms
  client.py tunnels N HOST PORT PROXYHOST:PROXYPORT SIGNALFILE
      opens N CONNECT tunnels, prints "ready N", keeps them idle until SIGNALFILE exists"""
import os, socket, ssl, sys, time

SNI = "bench.test"

def connect(host, port, proxy):
    if not proxy:
        return socket.create_connection(("127.0.0.1", port))
    ph, pp = proxy.rsplit(":", 1)
    s = socket.create_connection((ph, int(pp)))
    s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port, host.encode(), port))
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(4096)
        if not b:
            raise OSError("proxy closed")
        data += b
    if b" 200 " not in data.split(b"\r\n")[0]:
        raise OSError("proxy refused: " + data.split(b"\r\n")[0].decode())
    return s

def latency(n, host, port, proxy):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        s = ctx.wrap_socket(connect(host, port, proxy), server_hostname=SNI)
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % SNI.encode())
        while s.recv(4096):
            pass
        s.close()
        times.append(time.perf_counter() - t0)
    times.sort()
    print("p50 %.3f p99 %.3f" % (times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000))

def tunnels(n, host, port, proxy, signal):
    held = [connect(host, port, proxy) for _ in range(n)]
    print("ready", len(held), flush=True)
    while not os.path.exists(signal):
        time.sleep(0.1)

mode = sys.argv[1]
if mode == "latency":
    latency(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)
elif mode == "tunnels":
    tunnels(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
