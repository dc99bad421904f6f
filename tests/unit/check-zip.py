#!/usr/bin/env python3
# check-zip.py ZIP: reads ZIP with Python's zipfile, as a second, independent reader for
# test-zip-stream. Checks every CRC, then prints one tab-separated line per entry, in the
# central directory's order:
#   NAME  file|folder  SIZE  SHA256-OF-CONTENT  MODE(octal)  YYYY-MM-DD HH:MM:SS  ZIP64(0|1)
# (ZIP64: the entry's central record has a ZIP64 extra field), then "end64 0|1": whether the
# archive ends with a ZIP64 end of central directory locator before its end record.
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


def main():
    path = sys.argv[1]
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        if bad is not None:
            print(f"bad CRC: {bad}", file=sys.stderr)
            return 1
        for info in archive.infolist():
            digest = hashlib.sha256()
            with archive.open(info) as member:
                for chunk in iter(lambda: member.read(1 << 20), b""):
                    digest.update(chunk)
            kind = "folder" if info.is_dir() else "file"
            when = "%04d-%02d-%02d %02d:%02d:%02d" % info.date_time
            print(f"{info.filename}\t{kind}\t{info.file_size}\t{digest.hexdigest()}\t"
                  f"{info.external_attr >> 16:o}\t{when}\t{int(has_zip64_extra(info.extra))}")
    with open(path, "rb") as f:
        f.seek(-(22 + 20), 2)
        end64 = f.read(4) == b"PK\x06\x07"
    print(f"end64\t{int(end64)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
