#!/usr/bin/env python3
# The app's listing (metainfo, desktop file) promises only what Ferry does. Downloads and
# uploads resume (test-resume.c, test-upload-resume.c) and the README says so; but the app
# has no Resume button yet, so its listing may not claim that
# transfers resume. Drop the rule when the app resumes both ways.
import os
import re
import sys

root = sys.argv[1]
built = sys.argv[2:]
RESUME = re.compile(r'\bresum(e|es|ed|ing|able)\b|pick(s)? up where', re.I)

files = [os.path.join(root, 'data', 'org.ferry.Ferry.metainfo.xml.in'),
         os.path.join(root, 'data', 'org.ferry.Ferry.desktop.in')] + built

print('TAP version 13')
print('1..%d' % len(files))
failed = False
for n, path in enumerate(files, 1):
    with open(path, encoding='utf-8') as f:
        hits = [(i, line.strip()) for i, line in enumerate(f, 1) if RESUME.search(line)]
    name = os.path.relpath(path, root) if path.startswith(root) else path
    if hits:
        failed = True
        print('not ok %d - %s claims that transfers resume' % (n, name))
        for i, line in hits:
            print('# line %d: %s' % (i, line))
    else:
        print('ok %d - %s does not claim that transfers resume' % (n, name))
sys.exit(1 if failed else 0)
