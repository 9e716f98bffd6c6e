#!/usr/bin/env python3
"""Benchmark data for `entente match`: a STIX 2.1 indicator set and telemetry in
Zeek TSV and Suricata EVE formats with a known number of planted hits.

    python3 bench/detect/gen.py --out DIR [--indicators 1000000] [--events 10000000]
                                [--hit-rate 0.01] [--seed 1]

Writes into DIR:
  indicators.json          one STIX 2.1 bundle of indicators: 60% exact values (ipv4-addr,
                           domain-name, url, email-addr, SHA-256, MD5), 20% CIDRs (ISSUBSET),
                           10% domain suffixes (LIKE '%.zone'), 5% URL prefixes
                           (LIKE 'http://host/dir/%'), 5% patterns with AND/OR, several
                           observations and qualifiers;
  zeek/{conn,dns,http,ssl,files}.log
                           Zeek 6 TSV logs (half of the events);
  eve/eve.json             Suricata EVE JSON, event types flow, dns (v2), http, tls,
                           fileinfo (the other half);
  manifest.json            counts per indicator kind; per file: events, planted_hits (events
                           carrying a planted value) and planted_matches (the (event,
                           indicator) matches they make); the arguments;
  sample.ndjson            2,000 events drawn across all files (about 2% with a planted
                           hit), one per line as a JSON array: an observed-data and the SCOs
                           it references (the mapping of `entente match`, see to_stix());
  sample_lines/            the same events as raw lines (zeek-<kind>.log with headers,
                           eve.json), for `entente match`;
  sample_meta.ndjson       for each line of sample.ndjson: its file, kind, the id of the
                           indicator planted in it (or null) and the number of indicators
                           of indicators.json it matches;
  reference_patterns.json  1,000 indicators drawn from indicators.json in the same
                           proportions, including every indicator planted in the sample.

Background and indicators never share a value: background IPs are in 10.0.0.0/8 and
172.16.0.0/12, indicator IPs in 198.18.0.0/15 (then other reserved ranges if more are
needed) and CIDRs inside 100.64.0.0/10; background domains end in .com/.net/.org/.io/...,
indicator domains in .example; hashes are random 128/256-bit values. So an event hits an
indicator exactly when a value was planted in it: `planted_hits` in the manifest is the
number of events a correct matcher reports. Values are planted only for patterns that one
event can satisfy (exact, CIDR, suffix, prefix, and the single-observation full patterns);
the values of patterns that need several observations (AND/FOLLOWEDBY between
observations, REPEATS) are never planted, so those indicators never fire.

Deterministic: the same arguments give the same bytes.
"""

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import datetime, timezone

GEN_VERSION = 3

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
START_S = int(START.timestamp())
START_US = START_S * 1_000_000
DAY_US = 86_400 * 1_000_000
CREATED = "2026-01-01T00:00:00.000Z"
VALID_FROM = "2026-01-01T00:00:00Z"

SAMPLE_EVENTS = 2000
SAMPLE_HIT_FRACTION = 0.02
REFERENCE_PATTERNS = 1000

# Event kinds (Zeek log name) and their share of the traffic, in 1/128ths.
KINDS = ("conn", "dns", "http", "ssl", "files")
KIND_WEIGHTS = (45, 38, 26, 13, 6)  # 35%, 30%, 20%, 10%, 5% of 128
EVE_TYPE = {"conn": "flow", "dns": "dns", "http": "http", "ssl": "tls", "files": "fileinfo"}

WORDS = (
    "login secure account update verify portal cloud mail office drive bank pay support "
    "auth sso vote ballot news media static api docs files share service online web app "
    "my id user admin shop store market trade crypto wallet invoice bill ship track "
    "delivery parcel social chat meet video photo music game play stream live sport "
    "health clinic travel hotel flight rent job career school learn data sync backup"
).split()
TLDS = ("com", "net", "org", "io", "de", "info", "co", "eu")
SUBS = ("www.", "", "api.", "cdn.", "static.", "mail.", "img.", "m.")

# --- Zeek 6 headers (base scripts; files.log with hash-all-files loaded) -------------
ZEEK_FIELDS = {
    "conn": (
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes "
        "resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts "
        "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents",
        "time string addr port addr port enum string interval count count string bool bool "
        "count string count count count count set[string]",
    ),
    "dns": (
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass "
        "qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected",
        "time string addr port addr port enum count interval string count string count "
        "string count string bool bool bool bool count vector[string] vector[interval] bool",
    ),
    "http": (
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host uri referrer "
        "version user_agent origin request_body_len response_body_len status_code status_msg "
        "info_code info_msg tags username password proxied orig_fuids orig_filenames "
        "orig_mime_types resp_fuids resp_filenames resp_mime_types",
        "time string addr port addr port count string string string string string string "
        "string count count count string count string set[enum] string string set[string] "
        "vector[string] vector[string] vector[string] vector[string] vector[string] "
        "vector[string]",
    ),
    "ssl": (
        "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version cipher curve server_name "
        "resumed last_alert next_protocol established ssl_history cert_chain_fps "
        "client_cert_chain_fps sni_matches_cert",
        "time string addr port addr port string string string string bool string string bool "
        "string vector[string] vector[string] bool",
    ),
    "files": (
        "ts fuid uid id.orig_h id.orig_p id.resp_h id.resp_p source depth analyzers mime_type "
        "filename duration local_orig is_orig seen_bytes total_bytes missing_bytes "
        "overflow_bytes timedout parent_fuid md5 sha1 sha256 extracted extracted_cutoff "
        "extracted_size",
        "time string string addr port addr port string count set[string] string string "
        "interval bool bool count count count count bool string string string string string "
        "bool count",
    ),
}
OPEN_STAMP = "2026-03-01-00-00-00"
CLOSE_STAMP = "2026-03-02-00-00-00"


def zeek_header(kind):
    fields, types = ZEEK_FIELDS[kind]
    return (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        f"#path\t{kind}\n#open\t{OPEN_STAMP}\n"
        "#fields\t" + "\t".join(fields.split()) + "\n"
        "#types\t" + "\t".join(types.split()) + "\n"
    )


ZEEK_FOOTER = f"#close\t{CLOSE_STAMP}\n"


def ip_str(n):
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def ip_int(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


class Indicators:
    """The indicator set: ids, patterns and the values planted from it."""

    # Ranges for exact indicator IPs, in order of use (never background, never the CIDRs).
    EXACT_IP_RANGES = (
        (ip_int("198.18.0.0"), 1 << 17),
        (ip_int("192.0.2.0"), 256),
        (ip_int("198.51.100.0"), 256),
        (ip_int("203.0.113.0"), 256),
        (ip_int("240.0.0.0"), 1 << 28),
    )
    CIDR_BASE = ip_int("100.64.0.0")
    CIDR_BITS = 10  # 100.64.0.0/10
    # Prefix lengths of the CIDR indicators (weights), most of them /24 and longer.
    CIDR_WEIGHTS = {16: 20, 17: 40, 18: 80, 19: 150, 20: 300, 21: 600, 22: 1200, 23: 2500,
                    24: 8000, 25: 12000, 26: 25000, 27: 40000, 28: 40000, 29: 40000, 30: 30000}
    EXACT_TYPES = ("ipv4-addr", "domain-name", "url", "email-addr", "file-sha256", "file-md5")
    COMPLEX = ("traffic_and", "domain_or", "observation_and", "followedby_within",
               "repeats", "start_stop", "hash_or")

    def __init__(self, n, rng):
        self.rng = rng
        n_cidr = round(n * 0.20)
        n_suffix = round(n * 0.10)
        n_prefix = round(n * 0.05)
        n_complex = round(n * 0.05)
        n_exact = n - n_cidr - n_suffix - n_prefix - n_complex
        self.counts = {}
        groups = []  # (group, count)
        for k, t in enumerate(self.EXACT_TYPES):
            c = n_exact // 6 + (1 if k < n_exact % 6 else 0)
            groups.append(("exact:" + t, c))
        groups += [("cidr", n_cidr), ("domain_suffix", n_suffix), ("url_prefix", n_prefix)]
        for k, t in enumerate(self.COMPLEX):
            c = n_complex // 7 + (1 if k < n_complex % 7 else 0)
            groups.append(("complex:" + t, c))
        self.counts = dict(groups)

        # Unique IPs for exact and complex indicators.
        need_ips = (self.counts["exact:ipv4-addr"] + self.counts["complex:traffic_and"]
                    + self.counts["complex:observation_and"] + self.counts["complex:start_stop"])
        total_space = sum(size for _, size in self.EXACT_IP_RANGES)
        if need_ips > total_space:
            sys.exit("too many indicators for the reserved address ranges")
        space = min(total_space, max(need_ips, 1 << 17))  # 198.18.0.0/15 first
        picks = rng.sample(range(space), need_ips)
        ips = []
        for p in picks:
            for base, size in self.EXACT_IP_RANGES:
                if p < size:
                    ips.append(ip_str(base + p))
                    break
                p -= size
        self._ips = iter(ips)

        # Build every indicator: kind group, pattern, plant data.
        self.group = []     # per indicator: group name
        self.pattern = []   # per indicator: pattern text
        self.name = []
        self.plants = {}    # category -> list of (indicator index, plant value)
        self.cidrs = set()
        self._seq = 0
        order = []
        for g, c in groups:
            order += [g] * c
        rng.shuffle(order)
        builders = {
            "exact:ipv4-addr": self._exact_ip, "exact:domain-name": self._exact_domain,
            "exact:url": self._exact_url, "exact:email-addr": self._exact_email,
            "exact:file-sha256": self._exact_sha256, "exact:file-md5": self._exact_md5,
            "cidr": self._cidr, "domain_suffix": self._suffix, "url_prefix": self._prefix,
            "complex:traffic_and": self._cx_traffic, "complex:domain_or": self._cx_domain_or,
            "complex:observation_and": self._cx_obs_and,
            "complex:followedby_within": self._cx_followedby,
            "complex:repeats": self._cx_repeats, "complex:start_stop": self._cx_start_stop,
            "complex:hash_or": self._cx_hash_or,
        }
        for i, g in enumerate(order):
            self._i = i
            name, pattern = builders[g]()
            self.group.append(g)
            self.pattern.append(pattern)
            self.name.append(name)
        self.n = len(order)

    # -- value makers ---------------------------------------------------------------
    def _word(self):
        return WORDS[self.rng.getrandbits(16) % len(WORDS)]

    def _num(self):
        self._seq += 1
        return self._seq

    def _plant(self, category, value):
        self.plants.setdefault(category, []).append((self._i, value))

    def _domain(self, zone):
        return f"{self._word()}-{self._word()}{self._num()}.{zone}.example"

    def _sha256(self):
        return f"{self.rng.getrandbits(256):064x}"

    def _md5(self):
        return f"{self.rng.getrandbits(128):032x}"

    def _url_parts(self, zone):
        host = f"{self._word()}{self._num()}.{zone}.example"
        path = f"/{self._word()}/{self._word()}.php?id={self.rng.getrandbits(32):08x}"
        return host, path

    # -- builders: (name, pattern) --------------------------------------------------
    def _exact_ip(self):
        ip = next(self._ips)
        self._plant("ip_exact", ip)
        return f"Malicious IP {ip}", f"[ipv4-addr:value = '{ip}']"

    def _exact_domain(self):
        zone = ("phish", "c2", "malware", "spam", "botnet")[self.rng.getrandbits(8) % 5]
        d = self._domain(zone)
        self._plant("domain_exact", d)
        return f"Malicious domain {d}", f"[domain-name:value = '{d}']"

    def _exact_url(self):
        host, path = self._url_parts("payload")
        self._plant("url_exact", (host, path))
        return f"Malicious URL on {host}", f"[url:value = 'http://{host}{path}']"

    def _exact_email(self):
        a = f"{self._word()}.{self._word()}{self._num()}@mailer.example"
        return f"Phishing sender {a}", f"[email-addr:value = '{a}']"

    def _exact_sha256(self):
        h = self._sha256()
        self._plant("sha256", h)
        return f"Malware sample {h[:12]}", f"[file:hashes.'SHA-256' = '{h}']"

    def _exact_md5(self):
        h = self._md5()
        self._plant("md5", h)
        return f"Malware sample {h[:12]}", f"[file:hashes.MD5 = '{h}']"

    def _cidr(self):
        rng = self.rng
        lens = list(self.CIDR_WEIGHTS)
        weights = list(self.CIDR_WEIGHTS.values())
        for _ in range(1000):
            n = rng.choices(lens, weights=weights)[0]
            host_bits = 32 - n
            net = self.CIDR_BASE + ((rng.getrandbits(32 - self.CIDR_BITS) >> host_bits) << host_bits)
            if (net, n) not in self.cidrs:
                break
        else:
            sys.exit("could not find a free CIDR: too many indicators")
        self.cidrs.add((net, n))
        self._plant("cidr", (net, 1 << (32 - n)))
        text = f"{ip_str(net)}/{n}"
        return f"Malicious network {text}", f"[ipv4-addr:value ISSUBSET '{text}']"

    def _suffix(self):
        zone = f"bad-{self._word()}{self._num()}.example"
        self._plant("domain_suffix", zone)
        return f"Malicious zone {zone}", f"[domain-name:value LIKE '%.{zone}']"

    def _prefix(self):
        host = f"{self._word()}{self._num()}.kit.example"
        prefix = f"http://{host}/{self._word()}/"
        self._plant("url_prefix", (host, prefix[len("http://") + len(host):]))
        return f"Exploit kit path on {host}", f"[url:value LIKE '{prefix}%']"

    def _cx_traffic(self):
        ip = next(self._ips)
        port = (443, 8443, 4444, 8080, 1337)[self.rng.getrandbits(8) % 5]
        self._plant("cx_traffic", (ip, port))
        return (f"C2 server {ip}:{port}",
                f"[network-traffic:dst_ref.value = '{ip}' AND network-traffic:dst_port = {port}]")

    def _cx_domain_or(self):
        a, b = self._domain("campaign"), self._domain("campaign")
        self._plant("cx_domain_or", (a, b))
        return (f"Campaign domains {a}, {b}",
                f"[domain-name:value = '{a}' OR domain-name:value = '{b}']")

    def _cx_obs_and(self):
        ip, d = next(self._ips), self._domain("campaign")
        return (f"C2 pair {ip} / {d}",
                f"[ipv4-addr:value = '{ip}'] AND [domain-name:value = '{d}']")

    def _cx_followedby(self):
        host = f"{self._word()}{self._num()}.stage.example"
        h = self._sha256()
        return (f"Download from {host} then dropped file",
                f"([url:value LIKE 'http://{host}/%'] FOLLOWEDBY "
                f"[file:hashes.'SHA-256' = '{h}']) WITHIN 600 SECONDS")

    def _cx_repeats(self):
        d = self._domain("campaign")
        return f"Beaconing to {d}", f"[domain-name:value = '{d}'] REPEATS 3 TIMES"

    def _cx_start_stop(self):
        ip = next(self._ips)
        self._plant("cx_start_stop", ip)
        return (f"Malicious IP {ip} in 2026",
                f"[ipv4-addr:value = '{ip}'] START t'2026-01-01T00:00:00Z' "
                f"STOP t'2027-01-01T00:00:00Z'")

    def _cx_hash_or(self):
        h, m = self._sha256(), self._md5()
        self._plant("cx_hash_or", (h, m))
        return (f"Malware sample {h[:12]}",
                f"[file:hashes.'SHA-256' = '{h}' OR file:hashes.MD5 = '{m}']")


# Which plant categories each event kind can carry.
PLANT_KINDS = {
    "conn": ("ip_exact", "cidr", "cx_traffic", "cx_start_stop"),
    "dns": ("domain_exact", "domain_suffix", "cx_domain_or"),
    "http": ("ip_exact", "cidr", "cx_start_stop", "domain_exact", "domain_suffix",
             "cx_domain_or", "url_exact", "url_prefix"),
    "ssl": ("ip_exact", "cidr", "cx_start_stop", "domain_exact", "domain_suffix",
            "cx_domain_or"),
    "files": ("sha256", "md5", "cx_hash_or"),
}


def uuid4(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def write_indicators(path, ind, rng):
    ids = []
    with open(path, "w", buffering=1 << 22) as out:
        out.write('{"type":"bundle","id":"bundle--%s","objects":[' % uuid4(rng))
        for i in range(ind.n):
            iid = "indicator--" + uuid4(rng)
            ids.append(iid)
            obj = {
                "type": "indicator",
                "spec_version": "2.1",
                "id": iid,
                "created": CREATED,
                "modified": CREATED,
                "name": ind.name[i],
                "description": DESCRIPTION,
                "indicator_types": ["malicious-activity"],
                "pattern": ind.pattern[i],
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": VALID_FROM,
            }
            out.write(("\n" if i == 0 else ",\n") + json.dumps(obj, separators=(",", ":")))
        out.write("\n]}\n")
    return ids


# Strict STIX validation expects an indicator to carry a description.
DESCRIPTION = "Synthetic indicator for the detection benchmark."


def indicator_object(ind, ids, i):
    return {
        "type": "indicator", "spec_version": "2.1", "id": ids[i], "created": CREATED,
        "modified": CREATED, "name": ind.name[i], "description": DESCRIPTION,
        "indicator_types": ["malicious-activity"],
        "pattern": ind.pattern[i], "pattern_type": "stix", "pattern_version": "2.1",
        "valid_from": VALID_FROM,
    }


# --- background pools ------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
POOL = 1 << 16
MASK = POOL - 1

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:134.0) Gecko/20100101 Firefox/134.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1",
    "Microsoft-CryptoAPI/10.0",
    "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.50",
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.32.3",
    "Debian APT-HTTP/1.3 (2.6.1)",
    "Microsoft BITS/7.8",
)
MIMES = ("text/html", "application/json", "image/png", "image/jpeg", "application/javascript",
         "text/css", "application/x-dosexec", "application/pdf", "application/zip",
         "application/octet-stream", "text/plain", "image/gif")
EXTS = ("html", "json", "png", "jpg", "js", "css", "exe", "pdf", "zip", "bin", "txt", "gif")


class Pools:
    def __init__(self, rng):
        r = rng
        self.src = [ip_str((10 << 24) | x) for x in r.sample(range(1, (1 << 24) - 1), POOL)]
        self.dst = [ip_str((172 << 24) | (16 << 16) | x) for x in r.sample(range(1, (1 << 20) - 1), POOL)]
        self.resolvers = ("10.0.0.53", "10.0.0.54", "10.1.0.53", "10.1.0.54")
        names = set()
        while len(names) < POOL:
            names.add(f"{SUBS[r.getrandbits(3)]}{r.choice(WORDS)}{r.choice(WORDS)}"
                      f"{r.getrandbits(10)}.{TLDS[r.getrandbits(3)]}")
        self.domains = sorted(names)
        r.shuffle(self.domains)
        uris = []
        for _ in range(POOL):
            k = r.getrandbits(3)
            w1, w2 = r.choice(WORDS), r.choice(WORDS)
            if k == 0:
                uris.append("/")
            elif k == 1:
                uris.append(f"/{w1}/{w2}.html")
            elif k == 2:
                uris.append(f"/api/v1/{w1}?id={r.getrandbits(20)}")
            elif k == 3:
                uris.append(f"/static/js/{w1}.{r.getrandbits(32):08x}.js")
            elif k == 4:
                uris.append(f"/images/{w1}-{w2}.png")
            elif k == 5:
                uris.append(f"/{w1}/{w2}/{r.getrandbits(16)}")
            elif k == 6:
                uris.append(f"/search?q={w1}+{w2}")
            else:
                uris.append(f"/download/{w1}-{r.getrandbits(12)}.zip")
        self.uris = uris
        self.uids = ["C" + "".join(B62[r.getrandbits(6) % 62] for _ in range(17)) for _ in range(POOL)]
        self.fuids = ["F" + "".join(B62[r.getrandbits(6) % 62] for _ in range(17)) for _ in range(POOL)]
        files = []
        for _ in range(POOL):
            e = r.getrandbits(8) % len(EXTS)
            size = 200 + r.getrandbits(20) if e not in (6, 8) else 50_000 + r.getrandbits(22)
            name = f"{r.choice(WORDS)}-{r.getrandbits(12)}.{EXTS[e]}"
            files.append((f"{r.getrandbits(128):032x}", f"{r.getrandbits(160):040x}",
                          f"{r.getrandbits(256):064x}", size, MIMES[e], name))
        self.files = files
        self.fps = [",".join(f"{r.getrandbits(256):064x}" for _ in range(2 + r.getrandbits(1)))
                    for _ in range(1024)]
        self.sha1_colon = [":".join(f"{r.getrandbits(8):02x}" for _ in range(20)) for _ in range(1024)]
        self.serials = [":".join(f"{r.getrandbits(8):02X}" for _ in range(16)) for _ in range(1024)]
        # conn services: (proto, port, zeek service, eve app_proto), 64 slots
        svc = ([("tcp", 443, "ssl", "tls")] * 26 + [("tcp", 80, "http", "http")] * 10
               + [("udp", 53, "dns", "dns")] * 10 + [("udp", 123, "ntp", "ntp")] * 3
               + [("tcp", 22, "ssh", "ssh")] * 3 + [("tcp", 445, "-", None)] * 3
               + [("tcp", 8080, "http", "http")] * 3 + [("tcp", 3389, "-", None)] * 3
               + [("udp", 443, "-", None)] * 3)
        assert len(svc) == 64
        self.services = svc
        # Zeek conn tails after `service` (duration .. tunnel_parents), and EVE flow counters.
        self.conn_tails = {}
        self.flow_stats = {}
        for proto in ("tcp", "udp"):
            tails, stats = [], []
            for _ in range(256):
                dur_us = r.getrandbits(24)
                op, rp = 1 + r.getrandbits(5), 1 + r.getrandbits(6)
                ob, rb = op * (40 + r.getrandbits(9)), rp * (40 + r.getrandbits(10))
                hdr = 52 if proto == "tcp" else 28
                if proto == "tcp":
                    state, hist = (("SF", "ShADadFf"), ("SF", "ShADadfF"), ("S0", "S"),
                                   ("RSTO", "ShADadR"), ("REJ", "Sr"), ("SF", "ShADadFf"))[r.getrandbits(8) % 6]
                else:
                    state, hist = ("SF", "Dd") if r.getrandbits(1) else ("S0", "D")
                if state in ("S0", "REJ"):
                    rp = rb = 0
                    tails.append(f"{dur_us / 1e6:.6f}\t{ob}\t0\t{state}\tT\tF\t0\t{hist}\t{op}\t{ob + op * hdr}\t0\t0\t-\n")
                else:
                    tails.append(f"{dur_us / 1e6:.6f}\t{ob}\t{rb}\t{state}\tT\tF\t0\t{hist}\t{op}\t{ob + op * hdr}\t{rp}\t{rb + rp * hdr}\t-\n")
                stats.append((dur_us, op, rp, ob + op * hdr, rb + rp * hdr, state))
            self.conn_tails[proto] = tails
            self.flow_stats[proto] = stats


class Clock:
    """Formats microsecond times; caches the date part (times only increase)."""

    def __init__(self):
        self.sec = None
        self.prefix = ""

    def eve(self, t_us):
        s = t_us // 1_000_000
        if s != self.sec:
            self.sec = s
            self.prefix = datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self.prefix}.{t_us % 1_000_000:06d}+0000"

    @staticmethod
    def any(t_us):
        s = t_us // 1_000_000
        return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{t_us % 1_000_000:06d}+0000"

    @staticmethod
    def stix(t_us):
        s = t_us // 1_000_000
        return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{t_us % 1_000_000:06d}Z"


# --- events --------------------------------------------------------------------------
# An event is a dict of semantic fields; fmt_zeek / fmt_eve write it, to_stix maps it.

def fmt_zeek(e):
    k = e["kind"]
    t = e["t"]
    ts = f"{t // 1_000_000}.{t % 1_000_000:06d}"
    head = f"{ts}\t{e['uid']}\t{e['src']}\t{e['sport']}\t{e['dst']}\t{e['dport']}"
    if k == "conn":
        return f"{head}\t{e['proto']}\t{e['service']}\t{e['conn_tail']}"
    if k == "dns":
        if e["rcode"] == 0 and e["answers"]:
            ans = ",".join(e["answers"])
            ttls = ",".join(f"{e['ttl']}.000000" for _ in e["answers"])
        else:
            ans = ttls = "-"
        rname = "NOERROR" if e["rcode"] == 0 else "NXDOMAIN"
        return (f"{head}\tudp\t{e['trans_id']}\t{e['rtt']}\t{e['query']}\t1\tC_INTERNET\t"
                f"{e['qtype']}\t{e['qtype_name']}\t{e['rcode']}\t{rname}\tF\tF\tT\tT\t0\t"
                f"{ans}\t{ttls}\tF\n")
    if k == "http":
        return (f"{head}\t1\t{e['method']}\t{e['host']}\t{e['uri']}\t-\t1.1\t{e['ua']}\t-\t"
                f"{e['req_len']}\t{e['resp_len']}\t{e['status']}\t{e['status_msg']}\t-\t-\t"
                f"(empty)\t-\t-\t-\t-\t-\t-\t{e['fuid']}\t-\t{e['mime']}\n")
    if k == "ssl":
        if e["tls13"]:
            return (f"{head}\tTLSv13\tTLS_AES_128_GCM_SHA256\tx25519\t{e['sni']}\tF\t-\t"
                    f"{e['alpn']}\tT\tCsiI\t-\t-\t-\n")
        return (f"{head}\tTLSv12\tTLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\tsecp256r1\t"
                f"{e['sni']}\tF\t-\t{e['alpn']}\tT\tCsxknGIi\t{e['fps']}\t(empty)\tT\n")
    # files
    md5, sha1, sha256, size, mime, name = e["file"]
    fname = name if e["named"] else "-"
    return (f"{ts}\t{e['fuid']}\t{e['uid']}\t{e['src']}\t{e['sport']}\t{e['dst']}\t"
            f"{e['dport']}\tHTTP\t0\tMD5,SHA1,SHA256\t{mime}\t{fname}\t{e['fdur']}\tF\tF\t"
            f"{size}\t{size}\t0\t0\tF\t-\t{md5}\t{sha1}\t{sha256}\t-\t-\t-\n")


def fmt_eve(e, clock):
    k = e["kind"]
    t = e["t"]
    ts = clock.eve(t)
    if k == "files":
        # fileinfo is logged in the direction of the file: server to client.
        head = (f'{{"timestamp":"{ts}","flow_id":{e["flow_id"]},"in_iface":"eth0",'
                f'"event_type":"fileinfo","src_ip":"{e["dst"]}","src_port":{e["dport"]},'
                f'"dest_ip":"{e["src"]}","dest_port":{e["sport"]},"proto":"TCP"')
        md5, sha1, sha256, size, mime, name = e["file"]
        return (f'{head},"http":{{"hostname":"{e["host"]}","url":"{e["uri"]}",'
                f'"http_user_agent":"{e["ua"]}","http_content_type":"{mime}",'
                f'"http_method":"GET","protocol":"HTTP/1.1","status":200,"length":{size}}},'
                f'"app_proto":"http","fileinfo":{{"filename":"{e["path"]}","sid":[],'
                f'"gaps":false,"state":"CLOSED","md5":"{md5}","sha1":"{sha1}",'
                f'"sha256":"{sha256}","stored":false,"size":{size},"tx_id":0}}}}\n')
    src, sport, dst, dport = e["src"], e["sport"], e["dst"], e["dport"]
    if k == "dns" and e["dns_answer"]:
        src, sport, dst, dport = dst, dport, src, sport
    proto = e["proto"].upper()
    head = (f'{{"timestamp":"{ts}","flow_id":{e["flow_id"]},"in_iface":"eth0",'
            f'"event_type":"{EVE_TYPE[k]}","src_ip":"{src}","src_port":{sport},'
            f'"dest_ip":"{dst}","dest_port":{dport},"proto":"{proto}"')
    if k == "conn":
        dur_us, op, rp, obytes, rbytes, state = e["flow_stats"]
        app = f',"app_proto":"{e["app_proto"]}"' if e["app_proto"] else ""
        end = Clock.any(t + dur_us)
        tcp = ""
        if proto == "TCP":
            flags = "1b" if state == "SF" else ("02" if state == "S0" else "17")
            tcp = (f',"tcp":{{"tcp_flags":"{flags}","tcp_flags_ts":"{flags}",'
                   f'"tcp_flags_tc":"{"00" if state == "S0" else flags}","syn":true,'
                   + ('"fin":true,"psh":true,"ack":true,' if state == "SF" else "")
                   + ('"rst":true,"ack":true,' if state in ("RSTO", "REJ") else "")
                   + '"state":"closed"}')
        return (f'{head}{app},"flow":{{"pkts_toserver":{op},"pkts_toclient":{rp},'
                f'"bytes_toserver":{obytes},"bytes_toclient":{rbytes},"start":"{ts}",'
                f'"end":"{end}","age":{dur_us // 1_000_000},"state":"'
                f'{"closed" if proto == "TCP" else "established"}","reason":"timeout",'
                f'"alerted":false}}{tcp}}}\n')
    if k == "dns":
        if not e["dns_answer"]:
            return (f'{head},"dns":{{"type":"query","id":{e["trans_id"]},'
                    f'"rrname":"{e["query"]}","rrtype":"{e["qtype_name"]}","tx_id":0,'
                    f'"opcode":0}}}}\n')
        q, qt = e["query"], e["qtype_name"]
        if e["rcode"] == 0:
            if e["answers"]:
                detailed = ",".join(f'{{"rrname":"{q}","rrtype":"{qt}","ttl":{e["ttl"]},'
                                    f'"rdata":"{a}"}}' for a in e["answers"])
                grouped = ",".join(f'"{a}"' for a in e["answers"])
                tail = f',"answers":[{detailed}],"grouped":{{"{qt}":[{grouped}]}}'
            else:
                tail = ""
            return (f'{head},"dns":{{"version":2,"type":"answer","id":{e["trans_id"]},'
                    f'"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,'
                    f'"rrname":"{q}","rrtype":"{qt}","rcode":"NOERROR"{tail}}}}}\n')
        return (f'{head},"dns":{{"version":2,"type":"answer","id":{e["trans_id"]},'
                f'"flags":"8183","qr":true,"rd":true,"ra":true,"opcode":0,'
                f'"rrname":"{q}","rrtype":"{qt}","rcode":"NXDOMAIN"}}}}\n')
    if k == "http":
        return (f'{head},"tx_id":0,"http":{{"hostname":"{e["host"]}","url":"{e["uri"]}",'
                f'"http_user_agent":"{e["ua"]}","http_content_type":"{e["mime"]}",'
                f'"http_method":"{e["method"]}","protocol":"HTTP/1.1","status":{e["status"]},'
                f'"length":{e["resp_len"]}}}}}\n')
    # ssl -> tls
    if e["tls13"]:
        return f'{head},"tls":{{"sni":"{e["sni"]}","version":"TLS 1.3"}}}}\n'
    return (f'{head},"tls":{{"subject":"CN={e["sni"]}",'
            f'"issuerdn":"C=US, O=Let\'s Encrypt, CN=R11","serial":"{e["serial"]}",'
            f'"fingerprint":"{e["fp_sha1"]}","sni":"{e["sni"]}","version":"TLS 1.2",'
            f'"notbefore":"2026-01-20T08:12:44","notafter":"2026-04-20T08:12:43"}}}}\n')


def to_stix(e, fmt, rng):
    """The STIX 2.1 objects one event stands for: an observed-data and its SCOs.

    conn/flow -> ipv4-addr src and dst, network-traffic {src_ref, dst_ref, src_port,
                 dst_port, protocols: [proto, service/app_proto if any]};
    dns       -> that + domain-name {query};
    http      -> that + domain-name {host} + url {"http://" + host + uri} and the
                 network-traffic's http-request-ext {request_method, request_value: uri,
                 request_header: {Host, User-Agent}};
    ssl/tls   -> that + domain-name {server_name / sni};
    files     -> file {hashes {MD5, SHA-1, SHA-256}, name, size}.
    (entente's readers may add objects this mapping leaves out, such as the addresses of
    DNS answers or the connection of a file; all of them are background values, so the
    hits are the same.)
    """
    k = e["kind"]
    when = Clock.stix(e["t"])
    objs = []

    def sco(t, **props):
        o = {"type": t, "spec_version": "2.1", "id": f"{t}--{uuid4(rng)}"}
        o.update(props)
        objs.append(o)
        return o["id"]

    if k == "files":
        md5, sha1, sha256, size, mime, name = e["file"]
        props = {"hashes": {"MD5": md5, "SHA-1": sha1, "SHA-256": sha256}, "size": size}
        # Zeek: `filename` when set; EVE: the last part of fileinfo.filename (the URL path).
        fname = (name if e["named"] else None) if fmt == "zeek" else e["path"].rsplit("/", 1)[-1]
        if fname:
            props["name"] = fname
        sco("file", **props)
    else:
        src, sport, dst, dport = e["src"], e["sport"], e["dst"], e["dport"]
        if fmt == "eve" and k == "dns" and e["dns_answer"]:
            src, sport, dst, dport = dst, dport, src, sport
        s_ref = sco("ipv4-addr", value=src)
        d_ref = sco("ipv4-addr", value=dst)
        if k == "conn":
            app = e["service"] if fmt == "zeek" else e["app_proto"]
            protocols = [e["proto"]] + ([app] if app and app != "-" else [])
        elif k == "dns":
            protocols = ["udp", "dns"]
        elif k == "http":
            protocols = ["tcp", "http"]
        else:
            protocols = ["tcp", "ssl" if fmt == "zeek" else "tls"]
        nt = {"src_ref": s_ref, "dst_ref": d_ref, "src_port": sport, "dst_port": dport,
              "protocols": protocols}
        if k == "http":
            nt["extensions"] = {"http-request-ext": {
                "request_method": e["method"], "request_value": e["uri"],
                "request_header": {"Host": e["host"], "User-Agent": e["ua"]}}}
        sco("network-traffic", **nt)
        if k == "dns":
            sco("domain-name", value=e["query"])
        elif k == "http":
            sco("domain-name", value=e["host"])
            sco("url", value="http://" + e["host"] + e["uri"])
        elif k == "ssl":
            sco("domain-name", value=e["sni"])
    od = {"type": "observed-data", "spec_version": "2.1", "id": f"observed-data--{uuid4(rng)}",
          "created": when, "modified": when, "first_observed": when, "last_observed": when,
          "number_observed": 1, "object_refs": [o["id"] for o in objs]}
    return [od] + objs


STATUS = ((200, "OK"),) * 12 + ((301, "Moved Permanently"), (304, "Not Modified"),
                                (404, "Not Found"), (302, "Found"))
SUFFIX_SUBS = ("www", "mail", "login", "cdn", "api", "secure", "portal", "update")


def make_event(t, r, r2, p, kind):
    """A background event of the given kind (values from the pools)."""
    e = {
        "kind": kind, "t": t,
        "src": p.src[(r >> 7) & MASK], "sport": 32768 + (r2 & 0x7FFF) % 28232,
        "dst": p.dst[(r >> 23) & MASK],
        "uid": p.uids[(r2 >> 15) & MASK], "flow_id": (r2 >> 13) & ((1 << 51) - 1),
    }
    m = r >> 55  # 9 bits
    third = (r >> 39) & MASK
    if kind == "conn":
        proto, port, service, app = p.services[m & 63]
        e.update(proto=proto, dport=port, service=service, app_proto=app)
        tail = (r2 >> 31) & 255
        e["conn_tail"] = p.conn_tails[proto][tail]
        e["flow_stats"] = p.flow_stats[proto][tail]
    elif kind == "dns":
        e.update(proto="udp", dst=p.resolvers[m & 3], dport=53, query=p.domains[third],
                 trans_id=(r2 >> 31) & 0xFFFF, dns_answer=bool(m & 4))
        aaaa = (m >> 3) & 3 == 0
        e["qtype"], e["qtype_name"] = (28, "AAAA") if aaaa else (1, "A")
        e["rcode"] = 3 if (m >> 5) & 7 == 0 else 0
        e["rtt"] = f"0.{(r2 >> 47) & 0x3FFF:06d}"
        e["answers"] = [] if aaaa else [p.dst[(third * 7 + 1) & MASK]] + (
            [p.dst[(third * 13 + 5) & MASK]] if m & 64 else [])
        e["ttl"] = (60, 300, 3600, 86400)[(m >> 7) & 3]
    elif kind == "http":
        st, msg = STATUS[(r2 >> 31) & 15]
        e.update(proto="tcp", dport=80 if m & 7 else 8080, host=p.domains[third],
                 uri=p.uris[(r2 >> 35) & MASK], method="GET" if (m >> 3) & 7 else "POST",
                 ua=USER_AGENTS[(r2 >> 51) % len(USER_AGENTS)], status=st, status_msg=msg,
                 fuid=p.fuids[third], mime=MIMES[(m >> 6) % len(MIMES)])
        e["req_len"] = 0 if e["method"] == "GET" else 100 + ((r2 >> 35) & 1023)
        e["resp_len"] = 0 if st == 304 else 200 + ((r2 >> 40) & 0xFFFF)
    elif kind == "ssl":
        e.update(proto="tcp", dport=443, sni=p.domains[third], tls13=bool(m & 1),
                 alpn=("h2", "http/1.1", "-")[(m >> 1) % 3], fps=p.fps[(r2 >> 35) & 1023],
                 fp_sha1=p.sha1_colon[(r2 >> 45) & 1023], serial=p.serials[(r2 >> 25) & 1023])
    else:  # files
        f = p.files[third]
        e.update(proto="tcp", dport=80, file=f, named=bool(m & 1), fuid=p.fuids[(r2 >> 31) & MASK],
                 host=p.domains[(third * 31 + 7) & MASK], ua=USER_AGENTS[(r2 >> 51) % len(USER_AGENTS)],
                 fdur=f"{((r2 >> 47) & 0xFFFF) / 1e6:.6f}")
        e["path"] = f"/download/{f[5]}"
        e["uri"] = e["path"]
    return e


def plant(e, cat, value, rng, pools, cidrs):
    """Put an indicator's value into event e (kind already compatible). Returns the number
    of indicators the event then matches: 1, or for an address in a CIDR every CIDR
    indicator that holds it (they nest)."""
    k = e["kind"]
    matches = 1
    if cat in ("ip_exact", "cx_start_stop", "cidr"):
        if cat == "cidr":
            n = value[0] + rng.randrange(value[1])
            ip = ip_str(n)
            matches = sum(1 for bits in range(16, 31)
                          if ((n >> (32 - bits)) << (32 - bits), bits) in cidrs)
        else:
            ip = value
        if k == "conn" and rng.random() < 0.2:
            e["src"] = ip
        else:
            e["dst"] = ip
    elif cat == "cx_traffic":
        ip, port = value
        e["dst"], e["dport"], e["proto"] = ip, port, "tcp"
        e["service"] = "ssl" if port in (443, 8443) else "-"
        e["app_proto"] = "tls" if port in (443, 8443) else None
        tail = rng.getrandbits(8)
        e["conn_tail"] = pools.conn_tails["tcp"][tail]
        e["flow_stats"] = pools.flow_stats["tcp"][tail]
    elif cat in ("domain_exact", "domain_suffix", "cx_domain_or"):
        if cat == "domain_suffix":
            sub = SUFFIX_SUBS[rng.getrandbits(3)]
            if rng.random() < 0.3:
                sub = f"{WORDS[rng.getrandbits(16) % len(WORDS)]}{rng.getrandbits(12)}.{sub}"
            d = f"{sub}.{value}"
        elif cat == "cx_domain_or":
            d = value[rng.getrandbits(1)]
        else:
            d = value
        if k == "dns":
            e["query"] = d
        elif k == "http":
            e["host"] = d
        else:
            e["sni"] = d
    elif cat == "url_exact":
        e["host"], e["uri"] = value
    elif cat == "url_prefix":
        host, path = value
        e["host"] = host
        e["uri"] = f"{path}{WORDS[rng.getrandbits(16) % len(WORDS)]}-{rng.getrandbits(16)}.bin"
    elif cat in ("sha256", "md5", "cx_hash_or"):
        md5, sha1, sha256, size, mime, name = e["file"]
        md5, sha1, sha256 = (f"{rng.getrandbits(128):032x}", f"{rng.getrandbits(160):040x}",
                             f"{rng.getrandbits(256):064x}")
        if cat == "sha256":
            sha256 = value
        elif cat == "md5":
            md5 = value
        elif rng.getrandbits(1):
            sha256 = value[0]
        else:
            md5 = value[1]
        e["file"] = (md5, sha1, sha256, size, "application/x-dosexec", f"{name.rsplit('.', 1)[0]}.exe")
        e["path"] = e["uri"] = f"/download/{e['file'][5]}"
    else:
        raise ValueError(cat)
    return matches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--indicators", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--hit-rate", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.indicators < 100 or a.events < 2 or not 0 <= a.hit_rate <= 1:
        ap.error("need --indicators >= 100, --events >= 2, 0 <= --hit-rate <= 1")
    t0 = time.perf_counter()
    out = a.out
    for d in ("zeek", "eve", "sample_lines"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    log = lambda msg: print(f"[gen {time.perf_counter() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)

    # Independent streams, so that changing one part does not shift the others.
    rng_ind = random.Random(f"{a.seed}:indicators")
    rng_ev = random.Random(f"{a.seed}:events")
    rng_plant = random.Random(f"{a.seed}:plants")
    rng_sample = random.Random(f"{a.seed}:sample")

    # -- indicators ---------------------------------------------------------------
    log(f"building {a.indicators:,} indicators")
    ind = Indicators(a.indicators, rng_ind)
    log("writing indicators.json")
    ids = write_indicators(os.path.join(out, "indicators.json"), ind, rng_ind)

    # -- which events carry a planted value ---------------------------------------
    n = a.events
    n_hits = round(n * a.hit_rate)
    is_hit = bytearray(n)
    hit_list = rng_sample.sample(range(n), n_hits)
    for h in hit_list:
        is_hit[h] = 1
    want_hits = min(n_hits, round(SAMPLE_EVENTS * SAMPLE_HIT_FRACTION))
    sample_hits = rng_sample.sample(hit_list, want_hits)
    want_bg = min(n - n_hits, SAMPLE_EVENTS - want_hits)
    sample_set = set(sample_hits)
    if want_bg >= (n - n_hits):
        sample_set.update(i for i in range(n) if not is_hit[i])
    else:
        bg = set()
        while len(bg) < want_bg:
            x = rng_sample.randrange(n)
            if not is_hit[x]:
                bg.add(x)
        sample_set |= bg
    del hit_list

    # Plant choice per event kind: a category weighted by its number of indicators.
    plant_tables = {}
    for kind, cats in PLANT_KINDS.items():
        cats = [c for c in cats if ind.plants.get(c)]
        weights = [len(ind.plants[c]) for c in cats]
        plant_tables[kind] = (cats, weights)

    # -- events ---------------------------------------------------------------------
    log("building background pools")
    pools = Pools(random.Random(f"{a.seed}:pools"))
    kind_table = []
    for k, w in zip(KINDS, KIND_WEIGHTS):
        kind_table += [k] * w
    assert len(kind_table) == 128
    buf = 1 << 22
    zeek_files = {k: open(os.path.join(out, "zeek", f"{k}.log"), "w", buffering=buf) for k in KINDS}
    for k, f in zeek_files.items():
        f.write(zeek_header(k))
    eve_file = open(os.path.join(out, "eve", "eve.json"), "w", buffering=buf)
    file_of = {("zeek", k): f"zeek/{k}.log" for k in KINDS}
    file_of.update({("eve", k): "eve/eve.json" for k in KINDS})
    counts = {f: 0 for f in file_of.values()}
    hits = {f: 0 for f in file_of.values()}
    matches = {f: 0 for f in file_of.values()}
    kind_counts = {f"zeek/{k}": 0 for k in KINDS}
    kind_counts.update({f"eve/{EVE_TYPE[k]}": 0 for k in KINDS})
    planted_by_cat = {}
    sample = []  # (i, fmt, kind, event, line, indicator index or None)
    clock = Clock()
    getbits = rng_ev.getrandbits
    gap = DAY_US // n
    step_num = DAY_US
    tenth = max(1, n // 10)
    log(f"writing {n:,} events ({n_hits:,} with a planted value)")
    for i in range(n):
        r = getbits(64)
        r2 = getbits(64)
        t = START_US + (i * step_num) // n + ((r2 >> 20) % gap if gap > 1 else 0)
        kind = kind_table[r & 127]
        e = make_event(t, r, r2, pools, kind)
        fmt = "zeek" if i & 1 == 0 else "eve"
        planted = None
        matched = 0
        if is_hit[i]:
            cats, weights = plant_tables[kind]
            if not cats:
                sys.exit(f"no indicator can be planted in a {kind} event")
            cat = rng_plant.choices(cats, weights=weights)[0]
            idx, value = ind.plants[cat][rng_plant.randrange(len(ind.plants[cat]))]
            matched = plant(e, cat, value, rng_plant, pools, ind.cidrs)
            planted = idx
            planted_by_cat[cat] = planted_by_cat.get(cat, 0) + 1
        if fmt == "zeek":
            line = fmt_zeek(e)
            zeek_files[kind].write(line)
            key = f"zeek/{kind}"
        else:
            line = fmt_eve(e, clock)
            eve_file.write(line)
            key = f"eve/{EVE_TYPE[kind]}"
        fname = file_of[(fmt, kind)]
        counts[fname] += 1
        kind_counts[key] += 1
        if planted is not None:
            hits[fname] += 1
            matches[fname] += matched
        if i in sample_set:
            sample.append((i, fmt, kind, e, line, planted, matched))
        if (i + 1) % tenth == 0:
            log(f"{(i + 1) * 100 // n:3d}% of events")
    for f in zeek_files.values():
        f.write(ZEEK_FOOTER)
        f.close()
    eve_file.close()

    # -- sample -----------------------------------------------------------------------
    log(f"writing the sample ({len(sample):,} events)")
    rng_stix = random.Random(f"{a.seed}:stix")
    sample_files = {}
    with open(os.path.join(out, "sample.ndjson"), "w") as s_out, \
            open(os.path.join(out, "sample_meta.ndjson"), "w") as m_out:
        for i, fmt, kind, e, line, planted, matched in sample:
            s_out.write(json.dumps(to_stix(e, fmt, rng_stix), separators=(",", ":")) + "\n")
            fname = file_of[(fmt, kind)]
            m_out.write(json.dumps({"event": i, "file": fname, "kind": kind if fmt == "zeek" else EVE_TYPE[kind],
                                    "planted": ids[planted] if planted is not None else None,
                                    "matches": matched}) + "\n")
            sname = f"zeek-{kind}.log" if fmt == "zeek" else "eve.json"
            sample_files.setdefault(sname, []).append(line)
    for old in os.listdir(os.path.join(out, "sample_lines")):
        os.remove(os.path.join(out, "sample_lines", old))
    for sname, lines in sample_files.items():
        with open(os.path.join(out, "sample_lines", sname), "w") as f:
            if sname.startswith("zeek-"):
                f.write(zeek_header(sname[5:-4]))
            f.writelines(lines)
            if sname.startswith("zeek-"):
                f.write(ZEEK_FOOTER)

    # -- reference patterns -------------------------------------------------------------
    required = {s[5] for s in sample if s[5] is not None}
    by_group = {}
    for i, g in enumerate(ind.group):
        by_group.setdefault(g, []).append(i)
    target = min(REFERENCE_PATTERNS, ind.n)
    # quotas in proportion to group sizes (largest remainder)
    raw = {g: len(v) * target / ind.n for g, v in by_group.items()}
    quota = {g: int(x) for g, x in raw.items()}
    for g in sorted(raw, key=lambda g: (quota[g] - raw[g], g))[: target - sum(quota.values())]:
        quota[g] += 1
    chosen = []
    for g in sorted(by_group):
        members = by_group[g]
        req = [i for i in members if i in required]
        rest_n = max(0, quota[g] - len(req))
        req_set = set(req)
        pool = [i for i in members if i not in req_set]
        chosen += req + rng_sample.sample(pool, min(rest_n, len(pool)))
    # If required indicators pushed us over, drop unrequired ones from the largest groups.
    while len(chosen) > target:
        for j in range(len(chosen) - 1, -1, -1):
            if chosen[j] not in required and ind.group[chosen[j]].startswith("exact:"):
                del chosen[j]
                break
        else:
            break
    chosen.sort()
    with open(os.path.join(out, "reference_patterns.json"), "w") as f:
        json.dump([indicator_object(ind, ids, i) for i in chosen], f, indent=None, separators=(",", ":"))
        f.write("\n")
    ref_groups = {}
    for i in chosen:
        ref_groups[ind.group[i]] = ref_groups.get(ind.group[i], 0) + 1

    # -- manifest ---------------------------------------------------------------------
    def size(p):
        return os.path.getsize(os.path.join(out, p))

    files = {}
    for fname in sorted(counts):
        files[fname] = {"events": counts[fname], "planted_hits": hits[fname],
                        "planted_matches": matches[fname], "bytes": size(fname)}
    sample_hit_count = sum(1 for s in sample if s[5] is not None)
    manifest = {
        "generator": "bench/detect/gen.py",
        "generator_version": GEN_VERSION,
        "args": {"indicators": a.indicators, "events": a.events, "hit_rate": a.hit_rate, "seed": a.seed},
        "seed": a.seed,
        "time_range": ["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"],
        "indicators": {
            "total": ind.n,
            "bytes": size("indicators.json"),
            "exact": sum(c for g, c in ind.counts.items() if g.startswith("exact:")),
            "cidr": ind.counts["cidr"],
            "domain_suffix": ind.counts["domain_suffix"],
            "url_prefix": ind.counts["url_prefix"],
            "complex": sum(c for g, c in ind.counts.items() if g.startswith("complex:")),
            "by_group": ind.counts,
        },
        "events": {
            "total": n,
            "zeek": sum(v for k, v in counts.items() if k.startswith("zeek/")),
            "eve": counts["eve/eve.json"],
            "by_kind": kind_counts,
        },
        "files": files,
        "planted_hits": sum(hits.values()),
        "planted_hits_zeek": sum(v for k, v in hits.items() if k.startswith("zeek/")),
        "planted_hits_eve": hits["eve/eve.json"],
        "planted_matches": sum(matches.values()),
        "planted_matches_zeek": sum(v for k, v in matches.items() if k.startswith("zeek/")),
        "planted_matches_eve": matches["eve/eve.json"],
        "planted_by_category": dict(sorted(planted_by_cat.items())),
        "sample": {"events": len(sample), "planted_hits": sample_hit_count,
                   "files": {k: len(v) for k, v in sorted(sample_files.items())}},
        "reference_patterns": {"total": len(chosen), "by_group": dict(sorted(ref_groups.items())),
                               "planted_in_sample": len(required)},
        "notes": ("An event counts in planted_hits if one indicator value was planted in it; "
                  "background values never match any indicator, so a correct matcher reports "
                  "exactly planted_hits events with at least one hit, and planted_matches "
                  "(event, indicator) matches: one per planted event, except that an address "
                  "planted from a CIDR matches every CIDR indicator that holds it. Values of patterns that need "
                  "several observations (complex:observation_and, followedby_within, repeats) "
                  "are never planted. email-addr indicators never match (no event carries one)."),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    log(f"done: {n:,} events, {sum(hits.values()):,} planted hits, sample {len(sample)} "
        f"({sample_hit_count} with hits), {len(chosen)} reference patterns")


if __name__ == "__main__":
    main()
