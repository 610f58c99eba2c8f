#!/usr/bin/env python3
"""Accuracy corpus for brig's secret scanner, generated at test time (never committed).

    gen_corpus.py RULES.json OUTDIR [--seed N] [--per-rule N]

RULES.json is `brig scan --rules --json`. For every rule the generator makes true tokens
(valid checksums where the format has one: GitHub/npm CRC32-base62, GitLab routable
CRC32-base36, age bech32, Anthropic and OpenAI markers), embeds them in realistic files
(JSON, YAML, .env, source code, shell history, URLs, next to base64 blobs), and writes hard
negatives (checksum-invalid look-alikes, hashes, UUIDs, lockfile integrity strings, minified
JS, base64 images, placeholders, code that merely names secrets). OUTDIR/tree holds the files; OUTDIR/manifest.json lists
every planted secret: file, first and last line, rule, family.

Tokens are built here at run time, so this file holds no secret for any scanner to flag.
Also: gen_corpus.py token RULE_ID  prints one valid token for a built-in generator.
"""
import base64
import json
import os
import random
import string
import sys
import zlib

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B36 = string.digits + string.ascii_lowercase
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
R = random.Random(1)


def rs(n, alphabet=ALNUM):
    return "".join(R.choice(alphabet) for _ in range(n))


def enc(v, width, digits):
    out = ""
    for _ in range(width):
        out = digits[v % len(digits)] + out
        v //= len(digits)
    return out


# ---- handwritten generators for formats with structure a regex cannot express ----------

def crc_token(prefix, corrupt=False):
    body = rs(30)
    chk = enc(zlib.crc32(body.encode()), 6, B62)
    if corrupt:
        chk = chk[:5] + ("A" if chk[5] != "A" else "B")
    return prefix + body + chk


def gitlab_routable(prefix, corrupt=False):
    payload = base64.urlsafe_b64encode(os.urandom(0) + bytes(R.getrandbits(8) for _ in range(R.randint(24, 40)))).decode().rstrip("=")
    head = prefix + payload + ".01." + rs(2, B36)
    crc = enc(zlib.crc32(head.encode()), 7, B36)
    if corrupt:
        crc = crc[:6] + ("0" if crc[6] != "0" else "1")
    return head + crc


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def age_key(corrupt=False):
    hrp = "age-secret-key-"
    data = [R.randrange(32) for _ in range(52)]
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    mod = bech32_polymod(values + [0] * 6) ^ 1
    if corrupt:
        mod ^= 1 << 7
    chk = [(mod >> (5 * (5 - i))) & 31 for i in range(6)]
    return ("AGE-SECRET-KEY-1" + "".join(BECH32[d] for d in data + chk)).upper()


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt():
    head = b64url(json.dumps({"alg": R.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": str(R.randint(10**6, 10**9)), "name": rs(8), "iat": R.randint(1.5e9, 1.8e9)}).encode())
    return head + "." + body + "." + rs(43, ALNUM + "-_")


def pem_lines(n=12):
    return "\n".join(base64.b64encode(bytes(R.getrandbits(8) for _ in range(48))).decode() for _ in range(n))


def pem(kind):
    body = pem_lines()
    if kind == "OPENSSH":
        body = "b3BlbnNzaC1rZXktdjEAAAAA" + base64.b64encode(bytes(R.getrandbits(8) for _ in range(30))).decode() + "\n" + body
    return f"-----BEGIN {kind} PRIVATE KEY-----\n{body}\n-----END {kind} PRIVATE KEY-----"


HANDWRITTEN = {
    "github-pat": lambda: crc_token("gh" + "p_"),
    "github-oauth-token": lambda: crc_token("gh" + "o_"),
    "github-user-to-server-token": lambda: crc_token("gh" + "u_"),
    "github-server-to-server-token": lambda: crc_token("gh" + "s_"),
    "github-refresh-token": lambda: crc_token("gh" + "r_"),
    "npm-token": lambda: crc_token("np" + "m_"),
    "gitlab-pat": lambda: R.choice([lambda: "glp" + "at-" + rs(20, ALNUM + "_-"), lambda: gitlab_routable("glp" + "at-")])(),
    "gitlab-runner-token": lambda: R.choice([lambda: "glr" + "t-" + rs(20, ALNUM + "_-"), lambda: gitlab_routable("glr" + "t-t1_")])(),
    "age-secret-key": age_key,
    "jwt": jwt,
    "anthropic-api-key": lambda: "sk-ant-" + "api03-" + rs(93, ALNUM + "_-") + "AA",
    "anthropic-admin-key": lambda: "sk-ant-" + "admin01-" + rs(93, ALNUM + "_-") + "AA",
    "anthropic-oauth-token": lambda: "sk-ant-" + "oat01-" + rs(93, ALNUM + "_-") + "AA",
    "openai-project-key": lambda: "sk-" + "proj-" + rs(74, ALNUM + "_-") + "T3Blbk" + "FJ" + rs(74, ALNUM + "_-"),
    "openai-service-account-key": lambda: "sk-" + "svcacct-" + rs(74, ALNUM + "_-") + "T3Blbk" + "FJ" + rs(74, ALNUM + "_-"),
    "openai-admin-key": lambda: "sk-" + "admin-" + rs(74, ALNUM + "_-") + "T3Blbk" + "FJ" + rs(74, ALNUM + "_-"),
    "private-key-rsa": lambda: pem("RSA"),
    "private-key-ec": lambda: pem("EC"),
    "private-key-dsa": lambda: pem("DSA"),
    "private-key-pkcs8": lambda: pem("PRIVATE").replace("PRIVATE PRIVATE", "PRIVATE"),
    "private-key-pkcs8-encrypted": lambda: pem("ENCRYPTED"),
    "private-key-openssh": lambda: pem("OPENSSH"),
    "private-key-rsa-encrypted": lambda: "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
        + rs(32, "0123456789ABCDEF") + "\n\n" + pem_lines() + "\n-----END RSA PRIVATE KEY-----",
    "private-key-pgp": lambda: "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: GnuPG v2\n\n" + pem_lines()
        + "\n=" + rs(4) + "\n-----END PGP PRIVATE KEY BLOCK-----",
    "private-key-putty": lambda: "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: eddsa-key\nPublic-Lines: 2\n"
        + pem_lines(2) + "\nPrivate-Lines: 1\n" + base64.b64encode(bytes(R.getrandbits(8) for _ in range(45))).decode()
        + "\nPrivate-MAC: " + rs(64, "0123456789abcdef"),
    "private-key-ssh2": lambda: "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key-2024\"\n" + pem_lines()
        + "\n---- END SSH2 ENCRYPTED PRIVATE KEY ----",
    "basic-auth-header": lambda: "Authorization: Basic " + base64.b64encode(f"{rs(6).lower()}:{rs(14)}".encode()).decode(),
}


# ---- a sampler for the rules' own pattern syntax (the subset rules.h describes) ---------

class Pat:
    def __init__(self, s):
        self.s, self.i = s, 0

    def parse(self):
        alts = [[]]
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == ")":
                break
            if c == "|":
                self.i += 1
                alts.append([])
                continue
            alts[-1].append(self.quant(self.atom()))
        return ("alt", alts)

    def atom(self):
        c = self.s[self.i]
        if c == "(":
            self.i += 1
            node = self.parse()
            self.i += 1
            return node
        if c == "[":
            j = self.i + 1
            neg = self.s[j] == "^"
            if neg:
                j += 1
            start = j
            j += 1  # a ']' right after '[' is literal
            while self.s[j] != "]":
                j += 1
            body = self.s[start:j]
            self.i = j + 1
            chars = set()
            k = 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == "-":
                    chars.update(chr(x) for x in range(ord(body[k]), ord(body[k + 2]) + 1))
                    k += 3
                else:
                    chars.add(body[k])
                    k += 1
            if neg:
                chars = set(ALNUM) - chars
            return ("set", sorted(chars))
        if c == "\\":
            self.i += 2
            return ("lit", self.s[self.i - 1])
        if c == "$" or c == "^":
            self.i += 1
            return ("lit", "")
        self.i += 1
        return ("lit", c)

    def quant(self, node):
        if self.i >= len(self.s):
            return (node, 1, 1)
        c = self.s[self.i]
        if c == "?":
            self.i += 1
            return (node, 0, 1)
        if c == "*":
            self.i += 1
            return (node, 0, 3)
        if c == "+":
            self.i += 1
            return (node, 1, 4)
        if c == "{":
            j = self.s.index("}", self.i)
            lo, _, hi = self.s[self.i + 1:j].partition(",")
            self.i = j + 1
            lo = int(lo)
            return (node, lo, int(hi) if hi else lo)
        return (node, 1, 1)


def sample(node):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "set":
        return R.choice(node[1])
    alts = node[1]
    out = ""
    for node2, lo, hi in R.choice(alts):
        if hi > lo + 40:
            hi = lo + 40
        if 0 < lo < 10 <= hi:
            lo = 10  # realistic lengths for passwords and free-form values
        n = lo if (lo == 0 and R.random() < 0.7) else R.randint(lo, hi)
        out += "".join(sample(node2) for _ in range(n))
    return out


def from_pattern(rule):
    text = sample(Pat(rule["pattern"]).parse())
    if rule["check"] in (6, 7):  # a password or free-form value: make it look like one
        text = text  # the value classes sampled from letters and digits already
    return text


def true_token(rule):
    gen = HANDWRITTEN.get(rule["id"])
    for _ in range(50):
        t = gen() if gen else from_pattern(rule)
        if "\n" in t and not gen:
            continue
        if rule["check"] == 7 and not (any(c.isdigit() for c in t[-24:]) and any(c.isalpha() for c in t[-24:])):
            continue  # free-form values must look like credentials (letters and digits)
        return t
    return t


# ---- files ----------------------------------------------------------------------------------

WORDS = ("config value request response client server handler parse buffer stream index offset "
         "length result error status header body user name path file line count total cache "
         "retry timeout session token_count render layout widget module import export default").split()


def filler_line():
    k = R.random()
    w = lambda: R.choice(WORDS)
    if k < 0.3:
        return f"    {w()}_{w()} = {w()}.{w()}({w()}, {R.randint(0, 999)})"
    if k < 0.5:
        return f"    if ({w()} != NULL && {w()}->{w()} > {R.randint(0, 64)}) return -{R.randint(1, 9)};"
    if k < 0.6:
        return f"# {w().capitalize()} the {w()} before the {w()} is {w()}ed."
    if k < 0.7:
        return f'  "{w()}": "{w()}-{w()}-{R.randint(1, 99)}",'
    if k < 0.8:
        return f"{w()}_{w()}: {R.choice(['true', 'false', str(R.randint(0, 9999)), w()])}"
    return f"    {w()}({w()}, \"{w()} {w()} {w()}\");"


def filler(n):
    return [filler_line() for _ in range(n)]


ENV_NAMES = ["API_KEY", "SERVICE_TOKEN", "AUTH", "CREDENTIAL", "UPSTREAM_KEY", "DEPLOY_TOKEN", "CLIENT_SECRET"]


def literal_prefix(rule):
    """The fixed text a rule's pattern starts with, as the engine's base64 decoder sees it."""
    if rule["caseless"] or rule["keyword"] or rule["generic"]:
        return ""
    p, out, i = rule["pattern"], "", 0
    while i < len(p):
        if p[i] == "\\" and i + 1 < len(p) and p[i + 1] == ".":
            out += "."
            i += 2
        elif p[i].isalnum() or p[i] in "_-:/":
            out += p[i]
            i += 1
        else:
            break
    if out and i < len(p) and p[i] in "?*{":
        out = out[:-1]
    return out if len(out) >= 3 else ""


def b64s(s):
    return base64.b64encode(s.encode()).decode()


def embed_bare(tok, rule):
    """Ways a bare token appears in files: returns (suffix, token line maker)."""
    name = R.choice(ENV_NAMES)
    if literal_prefix(rule) and R.random() < 0.15:
        # inside base64: a Kubernetes Secret's data, an encoded JSON config
        return R.choice([
            ("k8s.yaml", lambda: f"  {name.lower()}: {b64s(tok)}"),
            ("yaml", lambda: "  config.json: " + b64s(json.dumps({"endpoint": "https://api.internal.test", name.lower(): tok, "retries": 3}))),
        ])
    forms = [
        ("json", lambda: f'  "{name.lower()}": "{tok}",'),
        ("yaml", lambda: f"  {name.lower()}: {tok}"),
        ("yaml", lambda: f"  {name.lower()}: '{tok}'"),
        ("env", lambda: f"{name}={tok}"),
        ("env", lambda: f'export {name}="{tok}"'),
        ("py", lambda: f'    client = Client(key="{tok}")'),
        ("js", lambda: f"const {name.lower()} = '{tok}';"),
        ("go", lambda: f'\t{name.title().replace("_", "")} := "{tok}"'),
        ("sh_history", lambda: f'curl -s -H "Authorization: token {tok}" https://api.internal.test/v1/items'),
        ("url", lambda: f"https://api.internal.test/v2/report?key={tok}&fmt=json"),
        ("b64ctx", lambda: f"data: {base64.b64encode(os.urandom(0) + bytes(R.getrandbits(8) for _ in range(60))).decode()}\nkey: {tok}"),
    ]
    return R.choice(forms)


def write_positive(out, rule, idx, manifest):
    tok = true_token(rule)
    multi = "\n" in tok
    if rule["keyword"] or rule["generic"] or multi or rule["id"].endswith("-url") or rule["id"] in ("basic-auth-header", "curl-user-password", "netrc-password", "bearer-token"):
        ext = R.choice(["env", "yaml", "conf", "sh", "txt"]) if not multi else R.choice(["pem", "key", "txt"])
        line = tok
        if rule["id"].endswith("-url") and not rule["keyword"]:
            line = R.choice([f"DATABASE_URL={tok}" + "db.internal:5432/app", f"  url: {tok}" + "cache.internal/0"])
    else:
        ext, make = embed_bare(tok, rule)
        line = make()
    before = filler(R.randint(3, 30))
    after = filler(R.randint(3, 30))
    start = len(before) + 1
    nlines = line.count("\n") + 1
    rel = f"pos/{rule['family']}/{rule['id']}-{idx}.{ext}"
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(before + [line] + after) + "\n")
    manifest.append({"file": rel, "first": start, "last": start + nlines - 1, "rule": rule["id"], "family": rule["family"]})


# ---- hard negatives ---------------------------------------------------------------------------

def negatives():
    hexd = "0123456789abcdef"
    docs = {}
    docs["lookalikes.txt"] = "\n".join(
        [f'token = "{crc_token("gh" + "p_", corrupt=True)}"' for _ in range(20)]
        + [f"NPM_TOKEN={crc_token('np' + 'm_', corrupt=True)}" for _ in range(10)]
        + [f"GITLAB_TOKEN={gitlab_routable('glp' + 'at-', corrupt=True)}" for _ in range(10)]
        + [age_key(corrupt=True) for _ in range(10)]
        + [f"ANTHROPIC_API_KEY=sk-ant-" + "api03-" + rs(93, ALNUM + "_-") + "Qz" for _ in range(5)]
        + [f"OPENAI_API_KEY=sk-" + "proj-" + rs(150, ALNUM + "_-") for _ in range(5)]
    ) + "\n"
    docs["hashes.txt"] = "\n".join(
        [f"{rs(64, hexd)}  release-{i}.tar.gz" for i in range(50)]
        + [f"commit {rs(40, hexd)}" for _ in range(50)]
        + [f'"sha1": "{rs(40, hexd)}", "md5": "{rs(32, hexd)}"' for _ in range(50)]
        + [f"sha512={rs(128, hexd)}" for _ in range(20)]
    ) + "\n"
    docs["uuids.json"] = json.dumps([{"id": "%s-%s-%s-%s-%s" % (rs(8, hexd), rs(4, hexd), rs(4, hexd), rs(4, hexd), rs(12, hexd)),
                                      "request_id": "%s-%s-4%s-a%s-%s" % (rs(8, hexd), rs(4, hexd), rs(3, hexd), rs(3, hexd), rs(12, hexd))}
                                     for _ in range(100)], indent=2) + "\n"
    lock = {"name": "app", "lockfileVersion": 3, "packages": {}}
    for i in range(150):
        lock["packages"][f"node_modules/{rs(8).lower()}"] = {
            "version": f"{R.randint(0, 9)}.{R.randint(0, 20)}.{R.randint(0, 30)}",
            "resolved": f"https://registry.npmjs.org/{rs(6).lower()}/-/{rs(6).lower()}-1.0.0.tgz",
            "integrity": "sha512-" + base64.b64encode(bytes(R.getrandbits(8) for _ in range(64))).decode()}
    docs["package-lock.json"] = json.dumps(lock, indent=2) + "\n"
    docs["go.sum"] = "\n".join(f"github.com/{rs(6).lower()}/{rs(8).lower()} v1.{i}.0 h1:" + base64.b64encode(bytes(R.getrandbits(8) for _ in range(32))).decode()
                               for i in range(100)) + "\n"
    docs["Cargo.lock"] = "\n".join(f'[[package]]\nname = "{rs(7).lower()}"\nversion = "0.{i}.1"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "{rs(64, hexd)}"\n'
                                   for i in range(80))
    ident = lambda: R.choice(string.ascii_letters) + rs(R.randint(0, 3))
    js = []
    for _ in range(40):
        js.append(";".join(f"var {ident()}={ident()}.{ident()}({ident()},{R.randint(0, 999)}),{ident()}=\"{rs(R.randint(2, 12))}\""
                           f";function {ident()}({ident()}){{return {ident()}&&{ident()}[{R.randint(0, 9)}]}}" for _ in range(60)))
    docs["bundle.min.js"] = "\n".join(js) + "\n"
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(R.getrandbits(8) for _ in range(30000))).decode()
    docs["page.html"] = f'<html><body><img src="data:image/png;base64,{png}"/>\n<p>logo</p></body></html>\n'
    docs["blob.json"] = json.dumps({"attachments": [base64.b64encode(bytes(R.getrandbits(8) for _ in range(4000))).decode() for _ in range(10)]}) + "\n"
    docs["placeholders.env"] = "\n".join([
        "AWS_ACCESS_KEY_ID=AKIA" + "IOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
        "GITHUB_TOKEN=gh" + "p_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "API_KEY=<your-api-key-here>",
        "SECRET_KEY=${SECRET_KEY}",
        "DB_PASSWORD=changeme",
        "DATABASE_URL=postgres://user:password@localhost:5432/app",
        "STRIPE_KEY=sk_" + "live_" + "x" * 24,
        "TOKEN={{ vault_token }}",
        "password: your_password_here",
    ]) + "\n"
    docs["code.py"] = "\n".join([
        'password = os.environ["DB_PASSWORD"]',
        "token = self.token_provider.current()",
        "secret_key = settings.SECRET_KEY",
        "api_key = get_api_key(user_id=42)",
        'if password == "":',
        "    raise ValueError('empty password')",
        "TOKEN_URL = 'https://oauth2.googleapis.com/token'",
        "auth_token_ttl_seconds = 3600",
        'private_key_path = "/etc/ssl/private/server.key"',
        'secret_name = "prod/db/credentials"',
        "exports2.TOKEN = exports2.STRICT_TOKEN = exports2.HEX = exports2.URL_CHAR;",
        "  _i2d_RSAPrivateKey: Ti2d_RSAPrivateKey = nil;",
        "machine {host} login {user} password {self.password}",
        'postgres_dsn = f"postgres://{user}:{password}@{host}/app"',
    ] + filler(200)) + "\n"
    allowed = [f'fixture_token = "{crc_token("gh" + "p_")}"  # brig:allow test fixture' for _ in range(5)]
    docs["allowed.py"] = "\n".join(filler(10) + allowed + filler(10)) + "\n"
    return docs


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "token":
        rules = json.load(open(sys.argv[3])) if len(sys.argv) > 3 else []
        rule = next((r for r in rules if r["id"] == sys.argv[2]), None)
        print(HANDWRITTEN[sys.argv[2]]() if sys.argv[2] in HANDWRITTEN else true_token(rule))
        return
    args = sys.argv[1:]
    seed, per_rule = 1, 3
    if "--seed" in args:
        seed = int(args[args.index("--seed") + 1])
    if "--per-rule" in args:
        per_rule = int(args[args.index("--per-rule") + 1])
    R.seed(seed)
    rules = json.load(open(args[0]))
    top = args[1]
    out = os.path.join(top, "tree")
    manifest = []
    for rule in rules:
        for i in range(per_rule):
            write_positive(out, rule, i, manifest)
    os.makedirs(os.path.join(out, "neg"), exist_ok=True)
    for name, text in negatives().items():
        with open(os.path.join(out, "neg", name), "w") as f:
            f.write(text)
    with open(os.path.join(top, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest)} planted secrets from {len(rules)} rules, {len(negatives())} negative files", file=sys.stderr)


if __name__ == "__main__":
    main()
