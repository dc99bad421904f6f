#!/usr/bin/env python3
# Installs the project into a private prefix, the way a user would with `meson install`, and
# checks that the result can start: the GSettings schema is compiled (without it the app aborts
# with "Settings schema 'org.ferry.Ferry' is not installed"), and the icon and desktop caches
# are refreshed when their tools exist. Meson skips those post-install steps under DESTDIR, so
# this needs a real prefix: a second build of the tree under BUILD/install-check/, configured
# once and then rebuilt incrementally.
import os
import shutil
import subprocess
import sys

source_root, build_root = sys.argv[1], sys.argv[2]
work = os.path.join(build_root, 'install-check')
build = os.path.join(work, 'build')
prefix = os.path.join(work, 'prefix')
share = os.path.join(prefix, 'share')

env = dict(os.environ)
env.pop('DESTDIR', None)
env.pop('GSETTINGS_SCHEMA_DIR', None)

print('TAP version 13')
print('1..4')


def run(args, **kwargs):
    return subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kwargs)


def fail_all(first, why, output):
    for line in output.splitlines()[-40:]:
        print('# ' + line)
    for n in range(first, 5):
        print('not ok %d - %s' % (n, why))
    sys.exit(1)


shutil.rmtree(prefix, ignore_errors=True)
if not os.path.exists(os.path.join(build, 'build.ninja')):
    shutil.rmtree(build, ignore_errors=True)
    r = run(['meson', 'setup', '--prefix', prefix, '-Dgtk=true', '-Dfuzzing=false', build,
             source_root])
    if r.returncode != 0:
        fail_all(1, 'meson setup failed', r.stdout)
# The machine is shared: two jobs, never ninja's default.
r = run(['ninja', '-C', build, '-j2'])
if r.returncode != 0:
    fail_all(1, 'the install-check build failed', r.stdout)
r = run(['meson', 'install', '-C', build, '--no-rebuild'])
if r.returncode != 0:
    fail_all(1, 'meson install failed', r.stdout)
install_log = r.stdout

failed = False


def check(n, ok, what, detail=''):
    global failed
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    if not ok:
        failed = True
        for line in detail.splitlines()[-20:]:
            print('# ' + line)


schemas = os.path.join(share, 'glib-2.0', 'schemas')
check(1, os.path.isfile(os.path.join(schemas, 'gschemas.compiled')),
      'meson install compiles the GSettings schema into ' + schemas, install_log)

# What the app does at start: find its schema through XDG_DATA_DIRS.
env['XDG_DATA_DIRS'] = share
env['GSETTINGS_BACKEND'] = 'memory'
r = run(['gsettings', 'list-keys', 'org.ferry.Ferry'])
check(2, r.returncode == 0 and r.stdout.strip() != '',
      'the installed schema org.ferry.Ferry is found through XDG_DATA_DIRS', r.stdout)

icon_tool = shutil.which('gtk4-update-icon-cache') or shutil.which('gtk-update-icon-cache')
if icon_tool:
    check(3, os.path.isfile(os.path.join(share, 'icons', 'hicolor', 'icon-theme.cache')),
          'meson install updates the hicolor icon cache', install_log)
else:
    print('ok 3 # SKIP no gtk-update-icon-cache')

if shutil.which('update-desktop-database'):
    check(4, os.path.isfile(os.path.join(share, 'applications', 'mimeinfo.cache')),
          'meson install updates the desktop database', install_log)
else:
    print('ok 4 # SKIP no update-desktop-database')

sys.exit(1 if failed else 0)
