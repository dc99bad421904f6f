#!/usr/bin/python3
"""Writes the seed corpus for the fuzz targets: valid frames of every type, each message
payload alone, and the text inputs. Run with Debian's python3 (python3-gi):
    /usr/bin/python3 tests/fuzz/make-corpus.py tests/fuzz/corpus
The output is committed; rerun only when the protocol changes."""
import os
import struct
import sys

from gi.repository import GLib

V = GLib.Variant
SECRET = bytes(range(32))
SHA = bytes.fromhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
EMPTY = V("a{sv}", {})

MESSAGES = {
    "hello": (1, V("(ussaya{sv})", (2, "ferry 0.2", "Alice", SECRET, {}))),
    "hello-password": (1, V("(ussaya{sv})", (2, "ferry", "Bob", SECRET,
                                             {"password": V("s", "hunter2")}))),
    "welcome": (2, V("(usta{sv})", (2, "ferry-server 0.2", 4 << 30, {}))),
    "welcome-web": (2, V("(usta{sv})", (2, "ferry-server 0.2", 4 << 30,
                                        {"auth": V("b", True), "web": V("b", True)}))),
    "subscribe": (3, V("()", ())),
    "offer": (4, V("(sstaysxxba{sv})", ("3f9a0c1d2e4b5a67", "report.pdf", 123456, SHA, "Alice",
                                        1700000000, 0, True, {}))),
    "offer-odd-name": (4, V("(sstaysxxba{sv})", ("0123456789abcdef", "../../etc/pass\nwd:🚢", 0,
                                                 SHA, "Bob", 1, 2, False, {}))),
    "offer-folder": (4, V("(sstaysxxba{sv})", ("00112233aabbccdd", "photos", 4096, SHA, "Alice",
                                               1700000000, 0, False,
                                               {"folder": V("(ut)", (3, 2048))}))),
    "synced": (5, V("(u)", (3,))),
    "deleted": (6, V("(s)", ("3f9a0c1d2e4b5a67",))),
    "upload": (7, V("(stsa{sv})", ("holiday.mkv", 1 << 30, "", {}))),
    "upload-folder": (7, V("(stsa{sv})", ("photos", 4096, "", {"folder": V("(ut)", (3, 2048))}))),
    "accept": (8, V("(st)", ("00112233aabbccdd", 0))),
    "end": (10, V("(ay)", (SHA,))),
    "download": (11, V("(sta{sv})", ("3f9a0c1d2e4b5a67", 0, {}))),
    "delete": (12, V("(s)", ("3f9a0c1d2e4b5a67",))),
    "error": (13, V("(us)", (5, "Only the person who shared this file can delete it."))),
    "ping": (14, V("(t)", (42,))),
    "pong": (15, V("(t)", (42,))),
    "link": (16, V("(st)", ("3f9a0c1d2e4b5a67", 3600))),
    "link-answer": (16, V("(s)", ("/f/3f9a0c1d2e4b5a67/report.pdf"
                                  "?key=AAAAAGVT8QAsGxQpjV4-aGPM3Xubrjc2",))),
}


def frame(msg_type, payload, flags=0):
    return b"FERY" + struct.pack(">BBHI", 1, msg_type, flags, len(payload)) + payload


def data_payload(offset, body):
    return struct.pack(">Q", offset) + body


def write(path, blob):
    with open(path, "wb") as f:
        f.write(blob)


def main(out):
    for sub in ("frame", "message", "text", "folder"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    stream = b""
    for name, (msg_type, value) in MESSAGES.items():
        payload = value.get_data_as_bytes().get_data()
        flags = 1 if name == "offer" else 0
        whole = frame(msg_type, payload, flags)
        stream += whole
        # fuzz-frame: first byte is the split step.
        write(os.path.join(out, "frame", name), b"\x00" + whole)
        write(os.path.join(out, "frame", name + "-split3"), b"\x02" + whole)
        # fuzz-message: first byte is the type, then the payload.
        write(os.path.join(out, "message", name), bytes([msg_type - 1]) + payload)

    data = data_payload(262144, b"x" * 100)
    write(os.path.join(out, "frame", "data"), b"\x00" + frame(9, data))
    write(os.path.join(out, "message", "data"), bytes([8]) + data)
    write(os.path.join(out, "frame", "conversation"), b"\x05" + stream)
    write(os.path.join(out, "frame", "truncated"), b"\x00" + frame(3, b"\x00")[:7])
    write(os.path.join(out, "frame", "huge-length"), b"\x00FERY\x01\x09\x00\x00\xff\xff\xff\xff")
    write(os.path.join(out, "frame", "bad-version"), b"\x00FERY\x02\x03\x00\x00\x00\x00\x00\x01\x00")
    write(os.path.join(out, "message", "wrong-type"),
          bytes([0]) + V("(s)", ("not a hello",)).get_data_as_bytes().get_data())

    texts = {
        "size": "1.5G", "size-bad": "12Q", "duration": "24h", "duration-bad": "-3d",
        "fingerprint": "3F9A 0C1D 2E4B 5A67 8901 2345 6789 ABCD EF01 2345 6789 ABCD EF01 2345 6789 ABCD",
        "address": "files.example.org:5005", "address6": "[::1]:7000",
        "name-traversal": "../../etc/passwd", "name-control": "a\x01b\nc\x7f.txt",
        "name-dots": "...", "name-long": "n" * 300 + ".txt",
    }
    for name, text in texts.items():
        write(os.path.join(out, "text", name), text.encode())
    write(os.path.join(out, "text", "name-not-utf8"), b"caf\xe9 \xff.txt")


    # fuzz-folder: u32 files, u64 content bytes, u64 stream size, then the stream's start.
    def entry(kind, flags, path, size):
        raw = path.encode()
        return struct.pack(">BBH", kind, flags, len(raw)) + raw + struct.pack(">Q", size)

    def folder(entries, extra=b""):
        header = b"FERYTREE" + struct.pack(">II", 1, len(entries))
        header += b"".join(entry(*e) for e in entries)
        files = [e for e in entries if e[0] == 1]
        content = sum(e[3] for e in files)
        return struct.pack(">IQQ", len(files), content, len(header) + content) + header + extra

    write(os.path.join(out, "folder", "tree"),
          folder([(2, 0, "a", 0), (1, 1, "a/run.sh", 10), (2, 0, "a/sub", 0),
                  (1, 0, "b:c\n\u202e.txt", 5), (1, 0, "empty", 0)], b"x" * 15))
    write(os.path.join(out, "folder", "empty"), folder([]))
    write(os.path.join(out, "folder", "dotdot"), folder([(1, 0, "../x", 1)]))
    write(os.path.join(out, "folder", "unsorted"), folder([(1, 0, "b", 1), (1, 0, "a", 1)]))
    write(os.path.join(out, "folder", "inside-file"), folder([(1, 0, "a", 1), (1, 0, "a/b", 1)]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus"))
