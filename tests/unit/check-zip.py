#!/usr/bin/env python3
# check-zip.py ZIP: reads ZIP with Python's zipfile, as a second, independent reader for
# test-zip-stream. Reads every entry (zipfile checks its CRC at the end), and prints one
# tab-separated line per entry, in the central directory's order:
#   NAME  file|folder  SIZE  SHA256-OF-CONTENT  MODE(octal)  YYYY-MM-DD HH:MM:SS  ZIP64(0|1)
# (ZIP64: the entry's central record has a ZIP64 extra field), then "end64 0|1": whether the
# archive ends with a ZIP64 end of central directory locator before its end record.
# It also walks the local records as a streaming reader does (zipfile itself reads only the
# central directory): each local header, its data and its data descriptor must agree with the
# central record and follow the one before, and the central directory the last.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import hashlib
import struct
import sys
import zipfile


def has_zip64_extra(extra):
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        if tag == 0x0001:
            return True
        at += 4 + size
    return False


def check_local_records(f, infos, central_offset):
    at = 0
    for info in infos:
        if info.header_offset != at:
            return f"{info.filename}: starts at {info.header_offset}, not {at}"
        f.seek(at)
        (sig, _, flags, method, _, _, crc, csize, size, name_len,
         extra_len) = struct.unpack("<IHHHHHIIIHH", f.read(30))
        name = f.read(name_len).decode("utf-8")
        extra = f.read(extra_len)
        if sig != 0x04034b50 or name != info.filename or method != 0:
            return f"{info.filename}: a bad local header"
        zip64 = has_zip64_extra(extra)
        if zip64 != (csize == size == 0xFFFFFFFF):
            return f"{info.filename}: ZIP64 marks and field disagree"
        at += 30 + name_len + extra_len + info.compress_size
        if flags & 0x0008:
            f.seek(at)
            form = "<IIQQ" if zip64 else "<IIII"
            sig, crc, csize, size = struct.unpack(form, f.read(struct.calcsize(form)))
            at += struct.calcsize(form)
            if sig != 0x08074b50:
                return f"{info.filename}: no data descriptor"
        if (crc, csize, size) != (info.CRC, info.compress_size, info.file_size):
            return f"{info.filename}: the local CRC or sizes are wrong"
    if at != central_offset:
        return f"the central directory starts at {central_offset}, not {at}"
    return None


def main():
    path = sys.argv[1]
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        central_offset = archive.start_dir
        for info in infos:
            digest = hashlib.sha256()
            with archive.open(info) as member:
                for chunk in iter(lambda: member.read(1 << 20), b""):
                    digest.update(chunk)
            kind = "folder" if info.is_dir() else "file"
            when = "%04d-%02d-%02d %02d:%02d:%02d" % info.date_time
            print(f"{info.filename}\t{kind}\t{info.file_size}\t{digest.hexdigest()}\t"
                  f"{info.external_attr >> 16:o}\t{when}\t{int(has_zip64_extra(info.extra))}")
    with open(path, "rb") as f:
        problem = check_local_records(f, infos, central_offset)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        f.seek(-(22 + 20), 2)
        end64 = f.read(4) == b"PK\x06\x07"
    print(f"end64\t{int(end64)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
