#!/usr/bin/env python3
"""Helpers of the end-to-end rig (rig.sh): UDP probes, the interim streams file,
mcpxd's telemetry counters, hostile traffic and the capture checks.
Standard library only; every sub-command prints JSON and exits 0 or 1."""
import json
import os
import random
import re
import shlex
import socket
import struct
import sys
import time


def udp_echo(addr, port, count, timeout):
    """Echo |count| datagrams back to their sender; print how many."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    s.settimeout(float(timeout))
    n = 0
    try:
        while n < int(count):
            data, peer = s.recvfrom(4096)
            s.sendto(data, peer)
            n += 1
    except socket.timeout:
        pass
    print(json.dumps({"echoed": n}))
    return 0


def udp_probe(local, dst, dport, count):
    """Send |count| distinct non-RTP datagrams, expect each back unchanged."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local, 0))
    s.settimeout(1.0)
    sent = back = same = 0
    for i in range(int(count)):
        msg = b"SIP/2.0 200 OK probe %04d " % i + os.urandom(16).hex().encode()
        s.sendto(msg, (dst, int(dport)))
        sent += 1
        try:
            data, _ = s.recvfrom(4096)
            back += 1
            same += data == msg
        except socket.timeout:
            pass
    print(json.dumps({"sent": sent, "received": back, "unchanged": same}))
    return 0 if same == sent else 1


def telemetry(prefix, cmd):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.recv(16384)
    s.send(cmd.encode())
    out = b""
    s.settimeout(2.0)
    out = s.recv(1 << 20)
    s.close()
    return json.loads(out.decode())


def counters(prefix):
    print(json.dumps(telemetry(prefix, "/mcpx/counters")))
    return 0


# ---- capture reading (pcap, Ethernet, IPv4, UDP) -------------------------

def pcap_ts_frames(path):
    """(time in seconds, frame) of every frame of a capture."""
    data = open(path, "rb").read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    div = 1e9 if magic in (0xa1b23c4d, 0x4d3cb2a1) else 1e6
    off, res = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        res.append((sec + frac / div, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return res


def pcap_frames(path):
    """Every frame of a capture, as bytes."""
    return [f for _, f in pcap_ts_frames(path)]


def udp_of(f):
    """(src, sport, dst, dport, payload) of an IPv4/UDP frame (a first
    fragment included: it has the UDP header), or None."""
    if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 17 or \
            struct.unpack(">H", f[20:22])[0] & 0x1FFF:
        return None
    u = 14 + (f[14] & 0x0F) * 4
    sport, dport, ulen = struct.unpack(">HHH", f[u:u + 6])
    return socket.inet_ntoa(f[26:30]), sport, socket.inet_ntoa(f[30:34]), dport, f[u + 8:u + ulen]


def pcap_udp(path):
    """(src, sport, dst, dport, payload) of every IPv4/UDP frame (fragments
    after the first have no UDP header: left out)."""
    return [u for u in map(udp_of, pcap_frames(path)) if u is not None]


def secure_check(path, media_ports, floor_ports, mkis, secrets, evil):
    """On the secure side: no 'MCPT', no known plaintext voice bytes in any UDP
    payload; every media/floor packet ends with an expected MKI (SRTP: MKI then
    the RCCm3 ROC for group keys)."""
    media_ports = set(int(p) for p in media_ports.split(","))
    floor_ports = set(int(p) for p in floor_ports.split(","))
    mkis = [bytes.fromhex(m) for m in mkis.split(",")]
    secrets = [bytes.fromhex(s) for s in secrets.split(",")]
    res = {"udp": 0, "media": 0, "floor": 0, "mcpt": 0, "voice_plain": 0,
           "media_mki_ok": 0, "floor_mki_ok": 0, "mki_bad": 0}
    for src, sport, dst, dport, pl in pcap_udp(path):
        res["udp"] += 1
        if b"MCPT" in pl:
            res["mcpt"] += 1
        if any(s in pl for s in secrets):
            res["voice_plain"] += 1
        ports = {sport, dport}
        if src == evil:
            continue    # the attacker's packets are checked on the plain side
        if ports & media_ports and len(pl) >= 12 and pl[0] >> 6 == 2 and not 64 <= (pl[1] & 0x7F) <= 95:
            res["media"] += 1
            ok = any(pl[-4 - len(m):-4] == m and len(m) == 8 for m in mkis) or \
                any(pl[-len(m):] == m and len(m) == 4 for m in mkis)
            res["media_mki_ok" if ok else "mki_bad"] += 1
        elif ports & floor_ports and len(pl) >= 8 and pl[1] == 204:
            res["floor"] += 1
            ok = any(pl[-len(m):] == m for m in mkis)
            res["floor_mki_ok" if ok else "mki_bad"] += 1
    res["ok"] = res["mcpt"] == 0 and res["voice_plain"] == 0 and res["mki_bad"] == 0 \
        and res["media"] > 0 and res["floor"] > 0
    print(json.dumps(res))
    return 0 if res["ok"] else 1


def plain_check(path, marker, evil):
    """On the plain side: nothing from the attacker's address, nothing
    carrying the hostile marker."""
    mk = bytes.fromhex(marker)
    pk = [p for p in pcap_udp(path) if p[0] == evil or mk in p[4]]
    shaped = [p for p in pk if len(p[4]) >= 12 and p[4][0] >> 6 == 2]
    print(json.dumps({"from_evil": len(pk), "rtp_shaped": len(shaped),
                      "junk": len(pk) - len(shaped)}))
    return 0 if not shaped else 1


def grab(path, sport, dport, nth):
    """One captured payload (hex) from sport to dport: the nth."""
    got = [p[4] for p in pcap_udp(path) if p[1] == int(sport) and p[3] == int(dport)]
    print(got[int(nth)].hex() if len(got) > int(nth) else "")
    return 0 if len(got) > int(nth) else 1


def inject(local, lport, dst, dport, kind, sample_hex, marker, count):
    """Hostile datagrams towards the server through mcpxd. |sample_hex| is a
    genuine captured SRTP packet of a client; |marker| is put in the clear
    part where one exists, so the plain-side capture can find any leak."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((local, int(lport)))
    good = bytes.fromhex(sample_hex)
    mk = bytes.fromhex(marker)
    rnd = random.Random(int(count) * 7919 + len(kind))
    n = int(count)
    sent = 0
    for i in range(n):
        if kind == "random":
            p = mk + os.urandom(rnd.randint(1, 300))
        elif kind == "rtp-random":
            p = bytes([0x80, 96]) + os.urandom(10) + mk + os.urandom(rnd.randint(0, 200))
        elif kind == "truncated":
            p = good[:rnd.randint(12, len(good) - 1)]
        elif kind == "replayed":
            p = good
        elif kind == "bitflip":
            b = bytearray(good)
            b[2] = (b[2] + 0x75) & 0xFF   # a fresh SEQ: past the replay check
            j = rnd.randrange(12, len(b) - 28)
            b[j] ^= 1 << rnd.randrange(8)
            p = bytes(b)
        elif kind == "wrong-mki":
            b = bytearray(good)
            b[-12:-4] = os.urandom(8)
            p = bytes(b)
        elif kind == "oversized":
            b = bytearray(good[:12])
            b[2] = (b[2] + 0x76) & 0xFF
            p = bytes(b) + mk + os.urandom(1400) + good[12:]
        elif kind == "unknown-ssrc":
            b = bytearray(good)
            b[8:12] = struct.pack(">I", 0x50000000 + i)
            p = bytes(b)
        elif kind == "forged-guk":
            b = bytearray(good)
            b[-8:-4] = struct.pack(">I", rnd.getrandbits(28))
            p = bytes(b)
        else:
            raise SystemExit("unknown kind " + kind)
        s.sendto(p, (dst, int(dport)))
        sent += 1
    print(json.dumps({"kind": kind, "sent": sent}))
    return 0


def voice_marker(uri, ssrc):
    """Octets 0-7 of every plain voice frame of |uri| (FNV-1a tag, SSRC)."""
    h = 2166136261
    for c in uri.encode():
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    print((struct.pack(">I", h) + struct.pack(">I", int(ssrc, 16))).hex())
    return 0


def counters_moved(before, after):
    """Every mcpxd counter (totals, ports, workers) that differs between two
    /mcpx/counters readings; exit 0 only if none moved."""
    a = json.load(open(before)).get("/mcpx/counters", {})
    b = json.load(open(after)).get("/mcpx/counters", {})
    moved = {}

    def walk(x, y, path):
        if isinstance(x, dict) or isinstance(y, dict):
            x = x if isinstance(x, dict) else {}
            y = y if isinstance(y, dict) else {}
            for k in sorted(set(x) | set(y)):
                walk(x.get(k, 0), y.get(k, 0), path + [str(k)])
        elif isinstance(x, (int, float)) and isinstance(y, (int, float)) and x != y:
            moved[".".join(path)] = y - x

    walk(a, b, [])
    print(json.dumps({"moved": len(moved), "which": moved}))
    return 0 if not moved else 1


def ue_from(path, ssrc):
    """What one mcpx-ue --json report says of one sender's media (SSRC hex)
    and of the floor messages it got."""
    try:
        c = json.load(open(path))["clients"][0]
    except Exception:
        print(json.dumps({"report": False}))
        return 1
    want = int(ssrc, 16)
    out = {"report": True, "ok": bool(c.get("ok")), "failed": c.get("failed") or "",
           "verified": 0, "first": -1, "last": -1, "bad": 0, "late": 0, "gaps": 0,
           "refused": 0, "before_join": c.get("received", {}).get("before_join", 0)}
    for se in c.get("sessions", []):
        for v, n in se.get("srtp_rx", {}).items():
            if v != "fwd":
                out["refused"] += n
        for s in se.get("senders", []):
            sv = s.get("ssrc")
            sv = int(sv, 16) if isinstance(sv, str) else sv
            if s.get("proto") == "srtp" and sv == want:
                for k in ("verified", "first", "last", "bad", "late", "gaps"):
                    out[k] = s.get(k, 0)
    f = c.get("floor", {}) or {}
    out["floor_rx"] = f.get("received", {})
    out["floor_sent"] = f.get("sent", {})
    print(json.dumps(out))
    return 0


def ue_rekey(path, ssrc):
    """A rekey run's report: per media key (in the order given) what was sent
    and verified under it, the sending switches, and one sender's frames
    across every key (media_from: a burst that crosses the switch is one run)."""
    try:
        c = json.load(open(path))["clients"][0]
    except Exception:
        print(json.dumps({"report": False}))
        return 1
    want = int(ssrc, 16)
    out = {"report": True, "ok": bool(c.get("ok")), "failed": c.get("failed") or "",
           "switches": c.get("key_switches", 0), "sent": c.get("sent", {}).get("frames", 0),
           "verified": 0, "first": -1, "last": -1, "gaps": 0, "late": 0, "bad": 0,
           "refused": sum(k.get("refused", 0) for k in c.get("keys", []))}
    for i, k in enumerate(c.get("keys", [])):
        for f in ("key_id", "sent", "first_sent", "verified"):
            out["k%d_%s" % (i + 1, f)] = "%08x" % k[f] if f == "key_id" else k.get(f, 0)
    for m in c.get("media_from", []):
        if m.get("ssrc") == want:
            for f in ("verified", "first", "last", "gaps", "late", "bad"):
                out[f] = m.get(f, 0)
    print(json.dumps(out))
    return 0


# ---- k. kill -9 and restart: the server's output again, indices compared ---

def replay(path, server, ports, send):
    """What the server sent towards the secure side in a plain capture (UDP
    from |server|, source port in |ports|): counted per destination, and with
    |send| = "send" sent again, byte for byte, from the same address and ports
    at the captured pace. The worst case for the appliance's protect side: the
    same SSRCs, SEQs and payloads as before. Nobody's key is used (the plain
    side has none): a client sending the same SEQs again would itself repeat
    its own (key, SSRC, index)."""
    ports = [int(p) for p in ports.split(",")]
    out = []
    for ts, f in pcap_ts_frames(path):
        u = udp_of(f)
        if u is not None and u[0] == server and u[1] in ports:
            out.append((ts, u))
    res = {"packets": len(out), "media": {}, "floor": {}}
    for _, u in out:
        d = res["media" if u[1] == ports[0] else "floor"]
        k = u[2].replace(".", "_")     # the rig's jget splits paths at dots
        d[k] = d.get(k, 0) + 1
    if send == "send":
        socks = {}
        for p in ports:
            socks[p] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks[p].setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            socks[p].bind((server, p))
        t0, c0 = time.monotonic(), out[0][0] if out else 0
        for ts, u in out:
            wait = (ts - c0) - (time.monotonic() - t0)
            if wait > 0:
                time.sleep(wait)
            try:
                socks[u[1]].sendto(u[4], (u[2], u[3]))
            except OSError:
                pass    # an ICMP unreachable from an earlier datagram: not ours to judge
    print(json.dumps(res))
    return 0 if out else 1


def index_check(path, server, media_port, floor_port, split):
    """What mcpxd protected towards the clients (UDP from |server|'s media or
    floor port in the secure capture), split into two runs at time |split|:
    SRTP's full index is ROC (RCCm3 trailer, the last 4 octets, after the
    8-octet MKI) << 16 | SEQ; SRTCP's is the E||index word before the 4-octet
    MKI. No (MKI, SSRC, index) may occur in both runs; within one run only the
    identical copies to several members may share one. Figures: packets per
    run, and for each kind the highest run-1 and the lowest run-2 index of
    every (MKI, SSRC) present in both."""
    split = float(split)
    seen = {}       # (kind, mki, ssrc, index) -> (run, payload)
    res = {"media1": 0, "media2": 0, "floor1": 0, "floor2": 0, "repeat_across": 0,
           "repeat_within": 0, "copies": 0}
    hi = {}         # (kind, mki, ssrc) -> [max run 1, min run 2]
    for ts, f in pcap_ts_frames(path):
        u = udp_of(f)
        if u is None or u[0] != server:
            continue
        pl = u[4]
        if u[1] == int(media_port) and len(pl) >= 12 + 28 and pl[0] >> 6 == 2:
            kind, mki, ssrc = "media", pl[-12:-4], pl[8:12]
            idx = struct.unpack(">I", pl[-4:])[0] << 16 | struct.unpack(">H", pl[2:4])[0]
        elif u[1] == int(floor_port) and len(pl) >= 8 + 24 and pl[1] in range(200, 205):
            kind, mki, ssrc = "floor", pl[-4:], pl[4:8]
            idx = struct.unpack(">I", pl[-8:-4])[0] & 0x7FFFFFFF
        else:
            continue
        run = 1 if ts < split else 2
        res["%s%d" % (kind, run)] += 1
        k = (kind, mki, ssrc, idx)
        if k in seen:
            if seen[k][0] != run:
                res["repeat_across"] += 1
            elif seen[k][1] != pl:
                res["repeat_within"] += 1
            else:
                res["copies"] += 1
        else:
            seen[k] = (run, pl)
        h = hi.setdefault((kind, mki, ssrc), [-1, -1])
        if run == 1:
            h[0] = max(h[0], idx)
        elif h[1] < 0 or idx < h[1]:
            h[1] = idx
    for kind in ("media", "floor"):
        both = [h for k, h in hi.items() if k[0] == kind and h[0] >= 0 and h[1] >= 0]
        res[kind + "_keys"] = len(both)
        res[kind + "_below"] = sum(1 for h in both if h[1] <= h[0])
        res[kind + "_max1"] = max((h[0] for h in both), default=-1)
        res[kind + "_min2"] = min((h[1] for h in both), default=-1)
    res["ok"] = res["repeat_across"] == 0 and res["repeat_within"] == 0 and \
        res["media_keys"] >= 1 and res["floor_keys"] >= 1 and \
        res["media_below"] == 0 and res["floor_below"] == 0
    print(json.dumps(res))
    return 0 if res["ok"] else 1


# ---- e. the secure capture decrypted offline (mcpxd's pcap mode) ----------

def offline_streams(work, out, *reqs):
    """The streams file of the offline run: one MIKEY entry per I_MESSAGE the
    live mcpxd got (|reqs|: MSG:STREAMS:PURPOSE, files in |work|), every
    stream to unprotect. What mcpxd protected towards the clients becomes an
    unprotect stream of the same key, SSRC and CS on any port (its copies go
    to several); no key in the file."""
    entries = []
    for r in reqs:
        msg, streams, purpose = r.split(":")
        ss = json.load(open(os.path.join(work, streams)))
        ss = [s for s in ss if s["dir"] == "unprotect"] + \
            [s for s in ss if s["dir"] == "protect"]    # the layout: as the live key's
        conv = []
        for s in ss:
            s = dict(s)
            if s.pop("members", None) is not None:
                s["dir"] = "unprotect"
            conv.append(s)
        entries.append({"mikey_file": msg, "purpose": int(purpose), "streams": conv})
    with open(out, "w") as f:
        json.dump({"streams": entries}, f, indent=1)
    print(json.dumps({"entries": len(entries), "streams": sum(len(e["streams"]) for e in entries)}))
    return 0


def offline_check(secure, decrypted, plain, ports, evil):
    """The secure capture's SRTP/SRTCP (UDP to or from a media or floor port)
    against what mcpxd's pcap mode made of it: every decrypted frame must be,
    byte for byte, a frame of the plain capture. The group media the server
    copied to several members carries one ciphertext per index: a copy after
    the first is a replay offline (drop_replay), counted apart; so are the
    attacker's packets, none of which may come out."""
    ports = set(int(p) for p in ports.split(","))
    total = hostile = copies = 0
    seen = set()
    for f in pcap_frames(secure):
        u = udp_of(f)
        if u is None or not {u[1], u[3]} & ports:
            continue
        total += 1
        if u[0] == evil:
            hostile += 1
        elif u[1] in ports and u[4] in seen:
            copies += 1     # the server's copy of a packet already sent: same ciphertext
        elif u[1] in ports:
            seen.add(u[4])
    want = set(pcap_frames(plain))
    matched = unmatched = from_evil = 0
    for f in pcap_frames(decrypted):
        u = udp_of(f)
        if u is None or not {u[1], u[3]} & ports:
            continue
        from_evil += u[0] == evil
        if f in want:
            matched += 1
        else:
            unmatched += 1
    res = {"total": total, "matched": matched, "unmatched": unmatched, "copies": copies,
           "hostile": hostile, "hostile_out": from_evil}
    res["ok"] = unmatched == 0 and from_evil == 0 and matched > 0 and \
        matched + copies + hostile == total
    print(json.dumps(res))
    return 0 if res["ok"] else 1


def shell_vars(prefix, text):
    """A JSON object's scalars as shell assignments (PREFIX_key=value, nested
    keys joined by _ and made name-safe), for eval: one Python start for every
    figure of a check, not one each."""
    try:
        d = json.loads(text)
    except Exception:
        d = {}
    out = []

    def walk(x, name):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, name + "_" + re.sub(r"[^A-Za-z0-9_]", "_", str(k)))
        elif isinstance(x, bool):
            out.append("%s=%s" % (name, "true" if x else "false"))
        elif isinstance(x, (int, float, str)):
            out.append("%s=%s" % (name, shlex.quote(str(x))))

    walk(d, prefix)
    print("\n".join(out))
    return 0


CMDS = {"voice-marker": voice_marker, "udp-echo": udp_echo, "udp-probe": udp_probe, "counters": counters,
        "secure-check": secure_check, "plain-check": plain_check,
        "grab": grab, "inject": inject,
        "counters-moved": counters_moved, "ue-from": ue_from,
        "offline-streams": offline_streams, "offline-check": offline_check,
        "ue-rekey": ue_rekey, "replay": replay, "index-check": index_check,
        "shell-vars": shell_vars}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.exit("usage: e2e.py " + "|".join(CMDS) + " ...")
    sys.exit(CMDS[sys.argv[1]](*sys.argv[2:]))
