#!/usr/bin/python3
# End-to-end test of the Ferry desktop app, driven through AT-SPI as a person would.
#
# Runs inside run-headless.sh (private Xvfb + D-Bus session + AT-SPI bus). Starts a real
# ferry-server on port 0 and two app instances, Alice and Bob, each with its own
# XDG_CONFIG_HOME (so its own owner identity). Both run in the same D-Bus session so one AT-SPI
# registry sees both; FERRY_NON_UNIQUE=1 keeps the second from handing over to the first
# (GtkApplication is single-instance per session otherwise).
#
# Speaks TAP. Screenshots of each step go to $FERRY_BUILD_DIR/meson-logs/gui-screenshots/.

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

os.environ.pop('NO_AT_BRIDGE', None)

from dogtail.config import config  # noqa: E402
config.checkForA11y = False
config.logDebugToFile = False
config.logDebugToStdOut = False
from dogtail import rawinput  # noqa: E402
import pyatspi  # noqa: E402

SERVER = os.environ['FERRY_SERVER']
APP = os.environ['FERRY_APP']
BUILD_DIR = os.environ.get('FERRY_BUILD_DIR') or os.environ.get('MESON_BUILD_ROOT') or '.'
SHOTS = os.path.join(BUILD_DIR, 'meson-logs', 'gui-screenshots')
ONLY = sys.argv[1] if len(sys.argv) > 1 else None

TIMEOUT = 20

tmp = tempfile.mkdtemp(prefix='ferry-e2e-')
processes = []
step = [0]


def log(msg):
    for line in str(msg).splitlines():
        print('# ' + line, flush=True)


def screenshot(name):
    os.makedirs(SHOTS, exist_ok=True)
    step[0] += 1
    path = os.path.join(SHOTS, '%s-%02d-%s.png' % (ONLY or 'e2e', step[0], name))
    subprocess.run(['import', '-window', 'root', path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    log('screenshot: ' + path)


def wait_for(check, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except Exception:  # nodes vanish under our feet while the UI changes
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %ds waiting for %s' % (timeout, what))
        time.sleep(0.2)


# The server

class Server:
    def __init__(self, data_dir, port=0):
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [SERVER, '--bind', '127.0.0.1', '--port', str(port), '--data-dir', data_dir],
            stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, 'server.log'), 'a'),
            text=True)
        processes.append(self.proc)
        line = self.proc.stdout.readline()
        m = re.search(r'listening on .*:(\d+)', line)
        if not m:
            raise AssertionError('ferry-server did not start: %r' % line)
        self.port = int(m.group(1))
        self.address = '127.0.0.1:%d' % self.port

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=20)


# The apps

def walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        yield n
        try:
            children = [n.getChildAtIndex(i) for i in range(n.childCount)]
        except Exception:
            children = []
        stack.extend(reversed(children))


# GTK 4.8 leaves hidden widgets (visible = FALSE) out of the AT-SPI tree but does not set
# STATE_SHOWING, so presence in the tree is what the checks below rely on.

class App:
    def __init__(self, name, server):
        self.name = name
        self.config = os.path.join(tmp, name.lower() + '-config')
        os.makedirs(self.config, exist_ok=True)
        env = dict(os.environ,
                   FERRY_NON_UNIQUE='1',
                   XDG_CONFIG_HOME=self.config,
                   GSETTINGS_BACKEND='memory',
                   GTK_A11Y='atspi')
        env.pop('G_DEBUG', None)  # a stray GTK warning must not kill the app under test
        self.proc = subprocess.Popen([APP, '--server', server.address, '--name', name],
                                     env=env,
                                     stdout=open(os.path.join(tmp, name + '.log'), 'w'),
                                     stderr=subprocess.STDOUT)
        processes.append(self.proc)
        self.app = wait_for(self._find_app, '%s in the AT-SPI tree' % name)

    def _find_app(self):
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            a = desktop.getChildAtIndex(i)
            if a is not None and a.get_process_id() == self.proc.pid:
                return a
        return None

    def windows(self):
        return [self.app.getChildAtIndex(i) for i in range(self.app.childCount)]

    def find(self, name=None, role=None, prefix=None, within=None, only_showing=False):
        roots = [within] if within is not None else self.windows()
        for root in roots:
            for n in walk(root):
                try:
                    if role is not None and n.getRole() != role:
                        continue
                    if name is not None and n.name != name:
                        continue
                    if prefix is not None and not (n.name or '').startswith(prefix):
                        continue
                    if only_showing and not showing(n):
                        continue
                    return n
                except Exception:
                    continue
        return None

    def count(self, name, role=pyatspi.ROLE_PUSH_BUTTON):
        total = 0
        for root in self.windows():
            for n in walk(root):
                try:
                    if n.getRole() == role and n.name == name:
                        total += 1
                except Exception:
                    continue
        return total

    def wait(self, what='', **kw):
        return wait_for(lambda: self.find(**kw), '%s: %s' % (self.name, what or kw))

    def dialog(self, title):
        def check():
            for w in self.windows():
                if w is not None and w.name == title:
                    return w
            return None
        return wait_for(check, '%s: the “%s” dialog' % (self.name, title))

    def click(self, node):
        action = node.queryAction()
        for i in range(action.nActions):
            if action.getName(i) in ('click', 'press', 'activate'):
                action.doAction(i)
                return
        action.doAction(0)

    def click_button(self, name):
        self.click(self.wait('the “%s” button' % name, name=name, role=pyatspi.ROLE_PUSH_BUTTON))

    def has_file(self, name):
        return self.find(name='Download ' + name, role=pyatspi.ROLE_PUSH_BUTTON) is not None

    def connected(self):
        return self.find(prefix='Connected to', role=pyatspi.ROLE_LABEL) is not None


def focus(node):
    """Puts the pointer over a window (no window manager here) and focuses it."""
    try:
        ext = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        rawinput.absoluteMotion(ext.x + ext.width // 2, ext.y + 10)
        node.queryComponent().grabFocus()
    except Exception:
        pass


def type_path(dialog, path):
    """Types a path into the GTK file chooser's location entry and accepts."""
    focus(dialog)
    time.sleep(0.3)
    rawinput.keyCombo('<Control>l')
    time.sleep(0.3)
    rawinput.keyCombo('<Control>a')
    rawinput.typeText(path)
    time.sleep(0.5)
    rawinput.pressKey('Return')


def make_file(path, size, seed):
    data = hashlib.sha256(seed.encode()).digest() * (size // 32 + 1)
    with open(path, 'wb') as f:
        f.write(data[:size])
    return hashlib.sha256(data[:size]).hexdigest()


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


# The flows

def upload(alice, path):
    alice.click_button('Upload')
    dialog = alice.dialog('Upload Files')
    screenshot('upload-dialog')
    type_path(dialog, path)
    wait_for(lambda: all(w is None or w.name != 'Upload Files' for w in alice.windows()),
             'the file chooser to close')


def download(bob, name, dest):
    bob.click_button('Download ' + name)
    dialog = bob.dialog('Save File')
    screenshot('save-dialog')
    type_path(dialog, dest)
    bob.wait('the download toast', name='“%s” downloaded' % name, role=pyatspi.ROLE_LABEL)
    screenshot('downloaded-toast')


def delete(alice, name):
    alice.click_button('Delete ' + name)
    # GTK 4.8 names a labelled button "<label with mnemonic> <label>": "_Delete Delete"
    button = wait_for(lambda: alice.find(name='Delete', role=pyatspi.ROLE_PUSH_BUTTON)
                      or alice.find(prefix='_Delete', role=pyatspi.ROLE_PUSH_BUTTON),
                      'Alice: the Delete button of the confirmation')
    screenshot('delete-confirm')
    alice.click(button)


def test_share_download_delete():
    server = Server(os.path.join(tmp, 'server-1'))
    alice = App('Alice', server)
    bob = App('Bob', server)
    try:
        wait_for(lambda: alice.connected() and bob.connected(), 'both apps to connect')
        wait_for(lambda: alice.find(name='No Shared Files'), 'the empty state')
        screenshot('empty')

        src = os.path.join(tmp, 'report.pdf')
        digest = make_file(src, 3 * 1024 * 1024 + 17, 'report')
        upload(alice, src)
        wait_for(lambda: alice.has_file('report.pdf'), 'report.pdf in Alice’s Files panel')
        wait_for(lambda: bob.has_file('report.pdf'), 'report.pdf in Bob’s Files panel')
        alice.wait('the upload toast', name='“report.pdf” shared', role=pyatspi.ROLE_LABEL)
        screenshot('uploaded')

        # Bob sees Alice's file but may not delete it; Alice may.
        assert bob.find(name='Delete report.pdf', role=pyatspi.ROLE_PUSH_BUTTON) is None, \
            'Bob has a Delete button on Alice’s file'
        assert alice.find(name='Delete report.pdf', role=pyatspi.ROLE_PUSH_BUTTON) is not None, \
            'Alice has no Delete button on her own file'
        assert bob.find(name='Alice', role=pyatspi.ROLE_LABEL), 'the uploader is not shown'

        dest = os.path.join(tmp, 'bob-downloads', 'saved-report.pdf')
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        download(bob, 'report.pdf', dest)
        wait_for(lambda: os.path.exists(dest), 'the downloaded file')
        assert sha256(dest) == digest, 'the downloaded bytes differ from the original'
        assert not [f for f in os.listdir(os.path.dirname(dest)) if f.endswith('.part')]

        delete(alice, 'report.pdf')
        wait_for(lambda: not alice.has_file('report.pdf'), 'report.pdf to leave Alice’s panel')
        wait_for(lambda: not bob.has_file('report.pdf'), 'report.pdf to leave Bob’s panel')
        wait_for(lambda: bob.find(name='No Shared Files'), 'Bob’s empty state')
        screenshot('deleted')
    finally:
        screenshot('end')


def test_server_restart():
    data_dir = os.path.join(tmp, 'server-2')
    server = Server(data_dir)
    alice = App('Alice', server)
    bob = App('Bob', server)
    wait_for(lambda: alice.connected() and bob.connected(), 'both apps to connect')

    first = os.path.join(tmp, 'first.txt')
    make_file(first, 1000, 'first')
    upload(alice, first)
    wait_for(lambda: bob.has_file('first.txt'), 'first.txt in Bob’s panel')

    server.stop()
    wait_for(lambda: alice.find(prefix='Offline', role=pyatspi.ROLE_LABEL)
             or alice.find(role=pyatspi.ROLE_LABEL, prefix='The server'), 'Alice to notice')
    screenshot('server-gone')
    assert not alice.connected() and not bob.connected()

    server = Server(data_dir, server.port)
    wait_for(lambda: alice.connected() and bob.connected(), 'both apps to reconnect',
             timeout=60)
    wait_for(lambda: bob.has_file('first.txt'), 'first.txt after the restart')
    assert alice.count('Download first.txt') == 1, 'a duplicate row after reconnecting'
    assert bob.count('Download first.txt') == 1, 'a duplicate row after reconnecting'

    second = os.path.join(tmp, 'second.txt')
    digest = make_file(second, 5000, 'second')
    upload(alice, second)
    wait_for(lambda: bob.has_file('second.txt'), 'second.txt in Bob’s panel')
    dest = os.path.join(tmp, 'second-copy.txt')
    download(bob, 'second.txt', dest)
    assert sha256(dest) == digest
    delete(alice, 'first.txt')
    wait_for(lambda: not bob.has_file('first.txt'), 'first.txt to leave Bob’s panel')
    assert bob.count('Download second.txt') == 1
    screenshot('after-restart')


def window_shot(path):
    # No window manager: the main window sits at 0,0 at its default size (860x620).
    subprocess.run(['import', '-window', 'root', '-crop', '860x620+0+0', '+repage', path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    log('screenshot: ' + path)


def cli(server, name, *args):
    config_dir = os.path.join(tmp, name.lower() + '-cli')
    env = dict(os.environ, XDG_CONFIG_HOME=config_dir)
    subprocess.run([os.environ['FERRY_CLI'], '--server', server.address, '--name', name]
                   + list(args), env=env, check=True, stdout=subprocess.DEVNULL)


def test_readme_screenshots():
    """Not a test: makes the README's screenshots in $FERRY_SCREENSHOT_DIR."""
    out = os.environ.get('FERRY_SCREENSHOT_DIR', SHOTS)
    os.makedirs(out, exist_ok=True)
    server = Server(os.path.join(tmp, 'server-shots'))
    alice = App('Alice', server)
    wait_for(alice.connected, 'Alice to connect')
    wait_for(lambda: alice.find(name='No Shared Files'), 'the empty state')
    time.sleep(1)
    window_shot(os.path.join(out, 'empty-state.png'))

    files = [('Quarterly report.pdf', 'Bob', 2400000), ('Team photo.jpg', 'Carol', 5300000),
             ('meeting-notes.md', 'Dave', 14000), ('Budget 2025.ods', 'Bob', 88000),
             ('demo-video.webm', 'Carol', 48000000), ('slides.odp', 'Dave', 3100000)]
    for name, who, size in files:
        path = os.path.join(tmp, name)
        make_file(path, size, name)
        cli(server, who, 'upload', path)
    for name, _, _ in files:
        wait_for(lambda: alice.has_file(name), name)
    time.sleep(1)
    window_shot(os.path.join(out, 'files.png'))

    big = os.path.join(tmp, 'Holiday footage.mkv')
    with open(big, 'wb') as f:
        f.truncate(4 * 1024 * 1024 * 1024)
    upload(alice, big)
    wait_for(lambda: alice.find(role=pyatspi.ROLE_LABEL, prefix='Holiday')
             and [n for w in alice.windows() for n in walk(w)
                  if n.getRole() == pyatspi.ROLE_LABEL and ' of ' in (n.name or '')
                  and ' left' in (n.name or '')], 'a transfer in progress', timeout=60)
    time.sleep(0.4)
    window_shot(os.path.join(out, 'transfer.png'))

    # The window stays responsive during the upload: AT-SPI calls are served by its main loop.
    worst = 0.0
    for _ in range(20):
        start = time.monotonic()
        alice.find(name='Upload', role=pyatspi.ROLE_PUSH_BUTTON)
        worst = max(worst, time.monotonic() - start)
        time.sleep(0.1)
    log('slowest UI round trip during a 4 GiB upload: %.0f ms' % (worst * 1000))


EXTRA = [('README screenshots', test_readme_screenshots)]

TESTS = [
    ('share, download and delete between two people', test_share_download_delete),
    ('both apps reconnect when the server restarts', test_server_restart),
]


def stop_all():
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    processes.clear()


def main():
    tests = [(d, f) for d, f in TESTS + EXTRA
             if (not ONLY and (d, f) in TESTS) or f.__name__ == 'test_' + str(ONLY)]
    print('TAP version 13')
    print('1..%d' % len(tests), flush=True)
    failed = 0
    try:
        for i, (description, func) in enumerate(tests, 1):
            try:
                func()
                print('ok %d - %s' % (i, description), flush=True)
            except Exception:
                failed += 1
                log(traceback.format_exc())
                for name in ('Alice.log', 'Bob.log', 'server.log'):
                    path = os.path.join(tmp, name)
                    if os.path.exists(path):
                        log('--- ' + name)
                        log(open(path, errors='replace').read()[-3000:])
                print('not ok %d - %s' % (i, description), flush=True)
            finally:
                stop_all()
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
