#!/usr/bin/env python3
# Checks that po/POTFILES.in lists every source file with translatable strings, and that every
# file it lists exists.
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')

with open(os.path.join(root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
    listed = {line.strip() for line in f
              if line.strip() and not line.lstrip().startswith('#')}

C_MARK = re.compile(r'\b(_|N_|C_|NC_|g_dgettext|ngettext|g_dngettext)\s*\(')
UI_MARK = re.compile(r'translatable\s*=\s*"yes"')
IN_MARK = re.compile(r'^(Name|GenericName|Comment|Keywords)=|<(name|summary|p|li)>', re.M)

failed = False
found = set()
for folder in ('common', 'server', 'client-cli', 'client-gtk', 'data'):
    top = os.path.join(root, folder)
    for dirpath, _dirs, files in os.walk(top):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if name.endswith('.c'):
                mark = C_MARK
            elif name.endswith('.ui'):
                mark = UI_MARK
            elif name.endswith('.desktop.in') or name.endswith('.metainfo.xml.in') \
                    or name.endswith('.gschema.xml'):
                mark = IN_MARK if not name.endswith('.gschema.xml') else re.compile(r'<summary>')
            else:
                continue
            with open(path, encoding='utf-8', errors='replace') as f:
                if mark.search(f.read()):
                    found.add(rel)

print('TAP version 13')
print('1..2')
missing = sorted(found - listed)
if missing:
    print('not ok 1 - every file with translatable strings is in po/POTFILES.in')
    for m in missing:
        print('# missing from po/POTFILES.in: ' + m)
    failed = True
else:
    print('ok 1 - every file with translatable strings is in po/POTFILES.in')

stale = sorted(p for p in listed if not os.path.exists(os.path.join(root, p)))
if stale:
    print('not ok 2 - every file in po/POTFILES.in exists')
    for s in stale:
        print('# listed but missing: ' + s)
    failed = True
else:
    print('ok 2 - every file in po/POTFILES.in exists')

sys.exit(1 if failed else 0)
