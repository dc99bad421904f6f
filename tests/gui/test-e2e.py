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
import json
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
from gi.repository import GLib  # noqa: E402

SERVER = os.environ['FERRY_SERVER']
APP = os.environ['FERRY_APP']
BUILD_DIR = os.environ.get('FERRY_BUILD_DIR') or os.environ.get('MESON_BUILD_ROOT') or '.'
SHOTS = os.path.join(BUILD_DIR, 'meson-logs', 'gui-screenshots')
ONLY = sys.argv[1] if len(sys.argv) > 1 else None

TIMEOUT = 20
DRAG_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'drag-source.py')
READ_CLIPBOARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'read-clipboard.py')

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
    return path


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

def server_fingerprint(data_dir):
    """The fingerprint a TLS server with this data directory presents (it makes its key the
    first time), or None for a server without TLS support."""
    result = subprocess.run([SERVER, '--data-dir', data_dir, '--print-fingerprint'],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            timeout=60)
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def hex_only(text):
    return re.sub(r'[^0-9a-f]', '', (text or '').lower())


class Server:
    def __init__(self, data_dir, port=0, extra=(), env=None):
        self.data_dir = data_dir
        os.makedirs(data_dir, exist_ok=True)
        # Without TLS there is nothing to pin.
        self.fingerprint = None if '--no-tls' in extra else server_fingerprint(data_dir)
        self.proc = subprocess.Popen(
            [SERVER, '--bind', '127.0.0.1', '--port', str(port), '--data-dir', data_dir]
            + list(extra),
            stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, 'server.log'), 'a'),
            text=True, env=dict(os.environ, **(env or {})))
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

    def kill(self):
        """kill -9: no goodbye to anyone, partial files left as they are."""
        self.proc.kill()
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

def config_dir(name):
    """Each person's XDG_CONFIG_HOME: their owner identity, and their settings with the keyfile
    backend."""
    path = os.path.join(tmp, name.lower() + '-config')
    os.makedirs(path, exist_ok=True)
    return path


class App:
    """One app instance. With @server it starts as `ferry --server ADDRESS --name NAME`;
    without, as plain `ferry`, which shows the first-run page when nothing is saved."""

    def __init__(self, name, server=None, extra_env=None, args=(), password_file=None):
        self.name = name
        self.config = config_dir(name)
        env = dict(os.environ,
                   FERRY_NON_UNIQUE='1',
                   XDG_CONFIG_HOME=self.config,
                   GSETTINGS_BACKEND='memory',
                   GTK_A11Y='atspi')
        env.update(extra_env or {})
        env.pop('G_DEBUG', None)  # a stray GTK warning must not kill the app under test
        argv = [APP] + list(args)
        if server is not None:
            argv += ['--server', server.address, '--name', name]
            # Trusted beforehand, as if confirmed earlier (test_first_run asks in the app).
            trust(server, self.config, password_file)
        self.proc = subprocess.Popen(argv, env=env,
                                     stdout=open(os.path.join(tmp, name + '.log'), 'a'),
                                     stderr=subprocess.STDOUT)
        processes.append(self.proc)
        self.app = wait_for(self._find_app, '%s in the AT-SPI tree' % name)

    def main_window(self):
        return wait_for(lambda: next((w for w in self.windows()
                                      if w is not None and w.getRole() == pyatspi.ROLE_FRAME
                                      and w.name == 'Ferry'), None),
                        '%s: the main window' % self.name)

    def close(self):
        """Closes the main window with its close button, as a person would; the app quits."""
        window = self.main_window()
        self.click(wait_for(lambda: self.find(name='Close', role=pyatspi.ROLE_PUSH_BUTTON,
                                              within=window), 'the window’s Close button'))
        self.proc.wait(timeout=TIMEOUT)
        assert self.proc.returncode == 0, '%s exited with %d' % (self.name, self.proc.returncode)

    def _find_app(self):
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            a = desktop.getChildAtIndex(i)
            if a is not None and a.get_process_id() == self.proc.pid:
                return a
        return None

    def windows(self):
        return [self.app.getChildAtIndex(i) for i in range(self.app.childCount)]

    def find(self, name=None, role=None, prefix=None, within=None):
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
        self.click(self.wait('the “%s” button' % name, name=name,
                             role=pyatspi.ROLE_PUSH_BUTTON))

    def has_file(self, name):
        return self.find(name='Download ' + name, role=pyatspi.ROLE_PUSH_BUTTON) is not None

    def listed_files(self):
        """The names of the files whose rows are in the Files panel, from their Download
        buttons."""
        files = self.find(name='Shared files', role=pyatspi.ROLE_LIST)
        if files is None:
            return []
        return sorted(n.name[len('Download '):] for n in walk(files)
                      if n.getRole() == pyatspi.ROLE_PUSH_BUTTON
                      and (n.name or '').startswith('Download '))

    def connected(self):
        return self.find(prefix='Connected to', role=pyatspi.ROLE_LABEL) is not None


def has_state(node, state):
    return node.getState().contains(state)


def text_of(node):
    text = node.queryText()
    return text.getText(0, text.characterCount)


def click_at(node):
    """A real pointer click in the middle of @node. (GTK 4.8 implements no grabFocus.) With no
    window manager the window sits at 0,0, so its window coordinates are screen coordinates."""
    ext = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    rawinput.click(ext.x + ext.width // 2, ext.y + ext.height // 2)


def type_into(node, text):
    """Clicks into an entry and types @text over its contents, key by key. The X server delivers
    the click and the keys in order, so the keys land in the entry. (AdwEntryRow reports no
    focused state to wait for.)"""
    click_at(node)
    rawinput.keyCombo('<Control>a')
    rawinput.typeText(text)
    wait_for(lambda: text_of(node) == text, '“%s” in “%s”' % (text, node.name))


def focus(node):
    """Puts the pointer over a window (no window manager here) and focuses it."""
    try:
        ext = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        rawinput.absoluteMotion(ext.x + ext.width // 2, ext.y + 10)
        node.queryComponent().grabFocus()
    except Exception:
        pass


def on_screen(node):
    """Whether @node has its size: mapped, so the pointer can be put over it. (GTK 4.8 sets no
    STATE_SHOWING to wait for, see above.)"""
    ext = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return ext.width > 0 and ext.height > 0


def entry_holding(dialog, text):
    """The text entry in @dialog whose whole text is @text, or None."""
    for n in walk(dialog):
        try:
            if n.getRole() in (pyatspi.ROLE_TEXT, pyatspi.ROLE_ENTRY) and text_of(n) == text:
                return n
        except Exception:  # a node without text, or gone meanwhile
            continue
    return None


def type_path(dialog, path, attempts=3):
    """Types a path into the GTK file chooser's location entry and accepts, once the entry
    holds the whole path and nothing more (no inline completion left selected). The X server
    delivers the pointer motion and the keys in order, so Ctrl+L opens (or focuses) the entry
    before the path's keys arrive; should keys still go astray (the dialog under the pointer
    but not yet focused), the path is typed again over whatever the entry holds."""
    wait_for(lambda: on_screen(dialog), 'the “%s” dialog on screen' % dialog.name)
    for attempt in range(1, attempts + 1):
        focus(dialog)
        rawinput.keyCombo('<Control>l')
        rawinput.keyCombo('<Control>a')
        rawinput.typeText(path)
        try:
            wait_for(lambda: entry_holding(dialog, path),
                     '“%s” in the “%s” dialog' % (path, dialog.name), timeout=10)
            break
        except AssertionError:
            if attempt == attempts:
                raise
            log('the path did not arrive in the “%s” dialog; typing it again' % dialog.name)
    # GTK 4.8's chooser ignores a Return that comes while its entry still loads the folder
    # for completion, which nothing on AT-SPI shows; so Return again while the path waits.
    for attempt in range(1, attempts + 1):
        rawinput.pressKey('Return')
        try:
            wait_for(lambda: not entry_holding(dialog, path),
                     'the “%s” dialog to take the path' % dialog.name, timeout=5)
            return
        except AssertionError:
            if attempt == attempts:
                raise
            log('the “%s” dialog did not take the path; pressing Return again' % dialog.name)
            focus(dialog)


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
    # The confirmation's buttons are named as they read (not GTK 4.8's "_Delete Delete").
    button = wait_for(lambda: alice.find(name='Delete', role=pyatspi.ROLE_PUSH_BUTTON),
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
    # Offline, the rows' buttons can't act, and say so by being insensitive.
    wait_for(lambda: not has_state(bob.find(name='Download first.txt',
                                            role=pyatspi.ROLE_PUSH_BUTTON),
                                   pyatspi.STATE_SENSITIVE), 'Bob’s Download button to grey out')

    server = Server(data_dir, server.port)
    wait_for(lambda: alice.connected() and bob.connected(), 'both apps to reconnect',
             timeout=60)
    wait_for(lambda: bob.has_file('first.txt'), 'first.txt after the restart')
    wait_for(lambda: has_state(bob.find(name='Download first.txt', role=pyatspi.ROLE_PUSH_BUTTON),
                               pyatspi.STATE_SENSITIVE), 'Bob’s Download button to work again')
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


RESUME_DEBUG = {'G_MESSAGES_DEBUG': 'ferry-session'}


def share_random(server, app, name, size):
    """Alice shares @size random bytes (content that a resume at the wrong byte can't hide)
    with the CLI; returns their SHA-256 and the offer's id once @app lists it."""
    src = os.path.join(tmp, name)
    digest = hashlib.sha256()
    with open(src, 'wb') as f:
        for _ in range(size // (4 * 1024 * 1024)):
            block = os.urandom(4 * 1024 * 1024)
            digest.update(block)
            f.write(block)
    cli(server, 'Alice', 'upload', src)
    wait_for(lambda: app.has_file(name), name + ' in %s’s panel' % app.name)
    offers = json.loads(cli(server, 'Alice', 'list', '--json'))
    return digest.hexdigest(), next(o['id'] for o in offers if o['name'] == name)


def file_size(path):
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def start_download_and_wait(app, name, dest, at_least):
    """Downloads @name to @dest through the save dialog; returns once NAME.part holds
    @at_least bytes, well before the end."""
    app.click_button('Download ' + name)
    type_path(app.dialog('Save File'), dest)
    deadline = time.monotonic() + 60
    while file_size(dest + '.part') < at_least:
        assert time.monotonic() < deadline, 'the download did not start'
        assert not os.path.exists(dest), 'the download ended before it could be cut'
        time.sleep(0.002)


def download_starts(offer_id):
    """The bytes each DOWNLOAD of @offer_id started at, from the server's debug log."""
    return [int(m.group(1)) for m in re.finditer(
        r'download of %s from byte (\d+)' % re.escape(offer_id),
        open(os.path.join(tmp, 'server.log'), errors='replace').read())]


def test_resume_download():
    """A big download from the app is cut by kill -9 of the server half-way; the server comes
    back on the same data directory and port; the app reconnects by itself and the download
    goes on from its NAME.part (the server's debug log shows where each DOWNLOAD started) to
    the right bytes, with no error shown."""
    data_dir = os.path.join(tmp, 'server-resume')
    server = Server(data_dir, env=RESUME_DEBUG)
    bob = App('Bob', server)
    wait_for(bob.connected, 'Bob to connect')
    name = 'random-256MiB.bin'
    size = 256 * 1024 * 1024
    digest, offer_id = share_random(server, bob, name, size)

    dest_dir = os.path.join(tmp, 'bob-resume')
    os.makedirs(dest_dir)
    dest = os.path.join(dest_dir, name)
    part = dest + '.part'
    start_download_and_wait(bob, name, dest, 8 * 1024 * 1024)
    server.kill()
    wait_for(lambda: not bob.connected(), 'Bob to notice the server is gone')
    wait_for(lambda: bob.find(name='Resume ' + name, role=pyatspi.ROLE_PUSH_BUTTON),
             'the stopped download’s Resume button')
    screenshot('resume-button')
    # What the app wrote before it stopped: the resumed request starts at most there.
    cut_at = file_size(part)
    log('server killed; %d bytes in %s' % (cut_at, os.path.basename(part)))
    assert 0 < cut_at < size, 'the download ended before it could be cut'
    assert os.path.exists(part + '.ferry'), 'no sidecar kept beside the .part'

    server = Server(data_dir, server.port, env=RESUME_DEBUG)
    wait_for(bob.connected, 'Bob to reconnect', timeout=60)
    wait_for(lambda: bob.find(name='“%s” downloaded' % name, role=pyatspi.ROLE_LABEL),
             'Bob: the download toast', timeout=120)
    screenshot('resumed-download')
    assert sha256(dest) == digest, 'the resumed download’s bytes are wrong'
    assert sorted(os.listdir(dest_dir)) == [name], os.listdir(dest_dir)
    assert not any(w is not None and 'Was Not Downloaded' in walk_names(w)
                   for w in bob.windows()), 'an error was shown for the cut download'

    starts = download_starts(offer_id)
    log('DOWNLOAD requests started at bytes %r' % starts)
    assert starts[0] == 0, starts
    assert len(starts) >= 2 and 0 < starts[-1] <= cut_at, \
        'the download restarted instead of resuming: %r' % starts
    # One row for the download, not one per attempt.
    transfers = bob.find(name='Transfers', role=pyatspi.ROLE_LIST)
    bars = [n for n in walk(transfers) if n.getRole() == pyatspi.ROLE_PROGRESS_BAR]
    assert len(bars) == 1, 'the resumed download has %d rows' % len(bars)


def test_resume_after_restart():
    """A download cancelled half-way keeps its NAME.part; the app is killed and started again,
    and downloading the same file to the same place goes on from there."""
    server = Server(os.path.join(tmp, 'server-resume-restart'), env=RESUME_DEBUG)
    bob = App('Bob', server)
    wait_for(bob.connected, 'Bob to connect')
    name = 'random-128MiB.bin'
    digest, offer_id = share_random(server, bob, name, 128 * 1024 * 1024)
    dest = os.path.join(tmp, 'bob-restart', name)
    os.makedirs(os.path.dirname(dest))

    start_download_and_wait(bob, name, dest, 4 * 1024 * 1024)
    # Frozen, the server sends no more, so the Cancel button is there to press.
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        bob.click_button('Cancel ' + name)
        bob.wait('the cancelled download', name='Cancelled', role=pyatspi.ROLE_LABEL)
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
    # Cancelled with its bytes kept: the row offers Resume, not Retry.
    bob.wait('the Resume button', name='Resume ' + name, role=pyatspi.ROLE_PUSH_BUTTON)
    cut_at = file_size(dest + '.part')
    assert cut_at > 0 and os.path.exists(dest + '.part.ferry'), 'nothing kept to resume'
    bob.proc.kill()
    bob.proc.wait(timeout=TIMEOUT)

    bob = App('Bob', server)
    wait_for(bob.connected, 'Bob to connect again')
    wait_for(lambda: bob.has_file(name), name + ' in Bob’s panel again')
    bob.click_button('Download ' + name)
    type_path(bob.dialog('Save File'), dest)
    wait_for(lambda: bob.find(name='“%s” downloaded' % name, role=pyatspi.ROLE_LABEL),
             'Bob: the download toast', timeout=120)
    assert sha256(dest) == digest, 'the resumed download’s bytes are wrong'
    assert sorted(os.listdir(os.path.dirname(dest))) == [name]
    starts = download_starts(offer_id)
    log('DOWNLOAD requests started at bytes %r' % starts)
    assert len(starts) == 2 and starts[0] == 0 and 0 < starts[1] <= cut_at, \
        'the download after the restart did not go on from the .part: %r' % starts


def walk_names(node):
    return ' '.join(n.name or '' for n in walk(node))


def make_tree(root):
    """A folder with files in subfolders, an empty folder and a symbolic link (left out)."""
    os.makedirs(os.path.join(root, 'sub', 'deeper'))
    os.makedirs(os.path.join(root, 'empty'))
    make_file(os.path.join(root, 'a.txt'), 1000, 'a')
    make_file(os.path.join(root, 'sub', 'b.bin'), 300 * 1024 + 5, 'b')
    make_file(os.path.join(root, 'sub', 'deeper', 'c d.txt'), 17, 'c')
    os.symlink('a.txt', os.path.join(root, 'link'))


def tree_of(root):
    """{relative path: sha256 or 'dir' or 'link'} of everything under @root."""
    found = {}
    for top, dirs, files in os.walk(root):
        for d in dirs:
            path = os.path.join(top, d)
            found[os.path.relpath(path, root)] = 'link' if os.path.islink(path) else 'dir'
        for f in files:
            path = os.path.join(top, f)
            found[os.path.relpath(path, root)] = 'link' if os.path.islink(path) else sha256(path)
    return found


def test_folder_dnd():
    """A folder dragged from another window and dropped on Alice's files panel is shared as
    one offer; Bob sees one folder row (its file count and size) and saves the same tree. Then
    a folder picked in the Upload Folder chooser is shared too."""
    server = Server(os.path.join(tmp, 'server-folder'))
    # No window manager: windows stack in the order they map, all at 0,0. Bob first, then
    # Alice above him, then the drag source above her top-left corner.
    bob = App('Bob', server)
    alice = App('Alice', server)
    wait_for(lambda: alice.connected() and bob.connected(), 'both apps to connect')
    wait_for(lambda: alice.find(name='No Shared Files'), 'Alice’s empty state')

    name = 'Holiday photos'
    tree = os.path.join(tmp, 'dnd', name)
    make_tree(tree)
    source_proc = subprocess.Popen(['/usr/bin/python3', DRAG_SOURCE, tree],
                                   stdout=open(os.path.join(tmp, 'drag-source.log'), 'a'),
                                   stderr=subprocess.STDOUT)
    processes.append(source_proc)

    def source_label():
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            a = desktop.getChildAtIndex(i)
            if a is not None and a.get_process_id() == source_proc.pid:
                for n in walk(a):
                    if n.getRole() == pyatspi.ROLE_LABEL and n.name == 'Drag me' \
                            and on_screen(n):
                        return n
        return None
    label = wait_for(source_label, 'the drag source window')
    screenshot('drag-source')

    # A real drag with the X pointer: press on the source, move in steps onto the middle of
    # Alice's window, release. X's drag and drop protocol carries the folder's URI to GTK,
    # which hands the app's drop target a file list.
    src = label.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    win = alice.main_window().queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    x0, y0 = src.x + src.width // 2, src.y + src.height // 2
    x1, y1 = win.x + win.width // 2, win.y + win.height * 2 // 3
    rawinput.absoluteMotion(x0, y0)
    time.sleep(0.2)
    rawinput.press(x0, y0)
    steps = 20
    for i in range(1, steps + 1):
        rawinput.absoluteMotion(x0 + (x1 - x0) * i // steps, y0 + (y1 - y0) * i // steps)
        time.sleep(0.05)
    time.sleep(0.3)
    rawinput.release(x1, y1)
    log('dropped at %d,%d' % (x1, y1))

    wait_for(lambda: alice.has_file(name), 'the dropped folder in Alice’s panel', timeout=60)
    wait_for(lambda: bob.has_file(name), 'the folder in Bob’s panel')
    assert alice.listed_files() == [name], 'not one offer: %r' % alice.listed_files()
    content = 1000 + 300 * 1024 + 5 + 17
    detail = '3 files · %s' % GLib.format_size(content)
    wait_for(lambda: bob.find(name=detail, role=pyatspi.ROLE_LABEL),
             'the folder row’s “%s”' % detail)
    # Alice's transfer row says what was left out.
    alice.wait('the left-out link', prefix='Shared · ', role=pyatspi.ROLE_LABEL)
    assert alice.find(role=pyatspi.ROLE_LABEL, prefix='Shared · ').name.endswith(
        '“link” left out'), alice.find(role=pyatspi.ROLE_LABEL, prefix='Shared · ').name
    screenshot('folder-row-alice')
    source_proc.terminate()

    dest_dir = os.path.join(tmp, 'bob-folders')
    os.makedirs(dest_dir)
    bob.click_button('Download ' + name)
    type_path(bob.dialog('Save Folder Into'), dest_dir)
    bob.wait('the download toast', name='“%s” downloaded' % name, role=pyatspi.ROLE_LABEL)
    screenshot('folder-row-bob')
    expected = tree_of(tree)
    del expected['link']
    assert tree_of(os.path.join(dest_dir, name)) == expected, \
        'the saved tree differs: %r' % tree_of(os.path.join(dest_dir, name))
    assert os.listdir(dest_dir) == [name], os.listdir(dest_dir)

    # The folder chooser (Upload Folder…, Ctrl+Shift+U) shares a folder the same way.
    second = os.path.join(tmp, 'chosen', 'Chosen folder')
    make_tree(second)
    focus(alice.main_window())
    rawinput.keyCombo('<Control><Shift>u')
    type_path(alice.dialog('Upload Folders'), second)
    wait_for(lambda: bob.has_file('Chosen folder'), 'the chosen folder in Bob’s panel')
    assert alice.listed_files() == sorted([name, 'Chosen folder']), alice.listed_files()


def read_keyfile_settings(path):
    """The org.ferry.Ferry keys that GLib's keyfile backend saved, as Python strings."""
    values = {}
    section = None
    try:
        lines = open(path, encoding='utf-8').read().splitlines()
    except FileNotFoundError:
        return values
    for line in lines:
        if line.startswith('['):
            section = line.strip('[]')
        elif section == 'org/ferry/Ferry' and '=' in line:
            key, value = line.split('=', 1)
            values[key.strip()] = value.strip().strip("'")
    return values


def trust_dialog(app, server, wait=True):
    """The "Trust This Server?" question, after checking it shows the server's fingerprint."""
    def find():
        for w in app.windows():
            if w is None or w.name == 'Ferry':
                continue
            labels = [n.name or '' for n in walk(w) if n.getRole() == pyatspi.ROLE_LABEL]
            if 'Trust This Server?' in labels:
                return w, labels
        return None
    if not wait:
        return find()
    dialog, labels = wait_for(find, '%s: the question whether to trust the server' % app.name)
    assert any(hex_only(server.fingerprint) in hex_only(t) for t in labels), \
        'the fingerprint %s is not shown: %r' % (server.fingerprint, labels)
    return dialog


def test_first_run():
    server = Server(os.path.join(tmp, 'server-first-run'))
    # GLib's keyfile backend keeps the settings in this person's own XDG_CONFIG_HOME, so a second
    # launch sees what the first one saved (the memory backend forgets at exit). It starts empty.
    keyfile = {'GSETTINGS_BACKEND': 'keyfile'}
    carol = App('Carol', extra_env=keyfile)

    # The first-run page, and only it: no files, no search or sort buttons.
    server_row = carol.wait('the first-run page', name='Server Address', role=pyatspi.ROLE_TEXT)
    name_row = carol.wait(name='Your Name', role=pyatspi.ROLE_TEXT)
    connect = carol.wait(name='Connect', role=pyatspi.ROLE_PUSH_BUTTON)
    assert carol.find(name='Shared files', role=pyatspi.ROLE_LIST) is None, \
        'the Files panel is shown before connecting'
    assert carol.find(name='Search', role=pyatspi.ROLE_PUSH_BUTTON) is None, \
        'the Search button is shown on the first-run page'
    assert not has_state(connect, pyatspi.STATE_SENSITIVE), \
        'Connect is enabled with no server address'
    screenshot('first-run')

    type_into(server_row, server.address)
    type_into(name_row, 'Carol')
    wait_for(lambda: has_state(connect, pyatspi.STATE_SENSITIVE), 'Connect to be enabled')
    carol.click(connect)

    if server.fingerprint:
        # A new server: the app shows its fingerprint and asks. Cancel goes back to the
        # first-run page, as filled in; Connect asks again, and Trust connects.
        dialog = trust_dialog(carol, server)
        assert not carol.connected()
        screenshot('trust')
        carol.click(carol.wait(name='Cancel', role=pyatspi.ROLE_PUSH_BUTTON, within=dialog))
        wait_for(lambda: trust_dialog(carol, server, wait=False) is None, 'the question to go away')
        connect = carol.wait('the first-run page again', name='Connect',
                             role=pyatspi.ROLE_PUSH_BUTTON)
        assert not carol.connected()
        carol.click(connect)
        dialog = trust_dialog(carol, server)
        carol.click(carol.wait(name='Trust and Connect', role=pyatspi.ROLE_PUSH_BUTTON,
                               within=dialog))

    wait_for(carol.connected, 'Carol to connect')
    carol.wait('the Files panel', name='No Shared Files')
    wait_for(lambda: carol.find(name='Server Address', role=pyatspi.ROLE_TEXT) is None,
             'the first-run page to go away')
    assert carol.find(name='Connected to ' + server.address, role=pyatspi.ROLE_LABEL)
    screenshot('first-run-connected')

    # Remembered: written to GSettings…
    saved = os.path.join(carol.config, 'glib-2.0', 'settings', 'keyfile')
    wait_for(lambda: read_keyfile_settings(saved).get('server') == server.address,
             'the server address in the saved settings')
    assert read_keyfile_settings(saved).get('name') == 'Carol', read_keyfile_settings(saved)
    carol.close()

    # …and used next time: plain `ferry` connects at once, without the first-run page.
    carol = App('Carol', extra_env=keyfile)
    wait_for(carol.connected, 'Carol to connect again by herself')
    assert carol.find(name='Connected to ' + server.address, role=pyatspi.ROLE_LABEL)
    assert carol.find(name='Server Address', role=pyatspi.ROLE_TEXT) is None, \
        'the first-run page is back on the second launch'
    screenshot('second-launch')


def password_question(app, dialog=None):
    """The password dialog (the given one, or the first found): its window, its Password entry
    and its Connect button."""
    if dialog is None:
        entry = app.wait('the password question', name='Password',
                         role=pyatspi.ROLE_PASSWORD_TEXT)
        dialog = entry
        while dialog.parent is not None and dialog.parent.getRole() != pyatspi.ROLE_APPLICATION:
            dialog = dialog.parent
    else:
        entry = app.wait('the password entry', name='Password', role=pyatspi.ROLE_PASSWORD_TEXT,
                         within=dialog)
    connect = app.wait(name='Connect', role=pyatspi.ROLE_PUSH_BUTTON, within=dialog)
    return dialog, entry, connect


def password_dialogs(app):
    """Every window holding a Password entry. A dialog that was just answered can linger in
    GTK 4.8's accessibility tree for a moment, next to the new one."""
    found = []
    for w in app.windows():
        try:
            if w is not None and app.find(name='Password', role=pyatspi.ROLE_PASSWORD_TEXT,
                                          within=w) is not None:
                found.append(w)
        except Exception:
            continue
    return found


def labels_in(node):
    return [n.name or '' for n in walk(node) if n.getRole() == pyatspi.ROLE_LABEL]


def answer_password(app, password, dialog=None):
    dialog, entry, connect = password_question(app, dialog)
    assert not has_state(connect, pyatspi.STATE_SENSITIVE), 'Connect is enabled with no password'
    click_at(entry)
    rawinput.keyCombo('<Control>a')
    rawinput.typeText(password)
    wait_for(lambda: has_state(connect, pyatspi.STATE_SENSITIVE), 'Connect to be enabled')
    app.click(connect)


def test_password():
    secret = os.path.join(tmp, 'password.txt')
    with open(secret, 'w') as f:
        f.write('correct horse\n')
    server = Server(os.path.join(tmp, 'server-password'), extra=['--password-file', secret])
    shared = os.path.join(tmp, 'members only.txt')
    make_file(shared, 4000, 'members only')
    cli(server, 'Bob', '--password-file', secret, 'upload', shared)
    alice = App('Alice', server, password_file=secret)

    # Asked, not connected; the question's controls are named; remembering is off by default.
    dialog, entry, connect = password_question(alice)
    assert any(server.address in t and 'password' in t for t in labels_in(dialog)), \
        labels_in(dialog)
    remember = alice.wait(name='Remember password', role=pyatspi.ROLE_CHECK_BOX, within=dialog)
    assert not has_state(remember, pyatspi.STATE_CHECKED), 'Remember password starts ticked'
    checked, problems = audit(dialog)
    log('%d operable nodes checked in the question: %s' % (len(checked), ', '.join(checked)))
    assert not problems, 'controls without a proper accessible name:\n' + '\n'.join(problems)
    assert not alice.connected()
    screenshot('password-asked')

    # A wrong one: asked again, saying so.
    answer_password(alice, 'wrong horse', dialog)

    def asked_again():
        for d in password_dialogs(alice):
            if any('wrong' in t for t in labels_in(d)):
                return d
        return None
    dialog = wait_for(asked_again,
                      'the question again, with the server’s sentence about the wrong password')
    dialog, entry, connect = password_question(alice, dialog)
    log('asked again: ' + ' / '.join(t for t in labels_in(dialog) if t))
    assert not alice.connected()
    assert alice.find(name='Shared files', role=pyatspi.ROLE_LIST) is None or \
        not alice.listed_files()
    screenshot('password-wrong')

    # The right one: connected, and the files are listed.
    answer_password(alice, 'correct horse', dialog)
    wait_for(alice.connected, 'Alice to connect')
    wait_for(lambda: alice.listed_files() == ['members only.txt'], 'the shared file')
    screenshot('password-connected')

    # `ferry --password-file` supplies it: no question.
    bob = App('Bob', server, args=['--password-file', secret], password_file=secret)
    wait_for(bob.connected, 'Bob to connect with the password file')
    wait_for(lambda: bob.listed_files() == ['members only.txt'], 'the shared file for Bob')
    assert bob.find(name='Password', role=pyatspi.ROLE_PASSWORD_TEXT) is None


def test_no_tls():
    """A TLS app against a --no-tls server shows why it can't connect; `ferry --no-tls`
    connects and says the connection is unencrypted."""
    server = Server(os.path.join(tmp, 'server-no-tls'), extra=['--no-tls'])
    alice = App('Alice', server)
    banner = alice.wait('the banner about --no-tls', role=pyatspi.ROLE_LABEL, prefix='Could not')
    wait_for(lambda: '--no-tls' in (banner.name or ''), 'the banner to mention --no-tls')
    log('banner: ' + banner.name)
    assert not alice.connected()
    screenshot('no-tls-refused')

    bob = App('Bob', server, args=['--no-tls'])
    wait_for(bob.connected, 'Bob to connect without TLS')
    assert bob.find(name='Connected to %s, unencrypted' % server.address,
                    role=pyatspi.ROLE_LABEL)
    checked, problems = audit(bob.main_window())
    assert not problems, 'controls without a proper accessible name:\n' + '\n'.join(problems)


def test_too_large():
    server = Server(os.path.join(tmp, 'server-limit'), extra=['--max-file-size', '1K'])
    alice = App('Alice', server)
    wait_for(alice.connected, 'Alice to connect')

    src = os.path.join(tmp, 'too-big.bin')
    make_file(src, 2048, 'too big')
    upload(alice, src)

    # A dialog names the file and the server's limit (1K = 1024 bytes = "1.0 kB").
    def refusal():
        for w in alice.windows():
            if w is None or w.name == 'Ferry':
                continue
            labels = [n.name or '' for n in walk(w) if n.getRole() == pyatspi.ROLE_LABEL]
            if any('too-big.bin' in t for t in labels) \
                    and any(re.search(r'up to 1\.0\skB', t) for t in labels):
                return w
        return None
    dialog = wait_for(refusal, 'a message naming too-big.bin and the 1.0 kB limit')
    log('refused: ' + ' / '.join(n.name for n in walk(dialog)
                                 if n.getRole() == pyatspi.ROLE_LABEL and n.name))
    screenshot('too-large')

    # Nothing was sent: no offer on the server, no transfer in the app, nothing half-written.
    assert json.loads(cli(server, 'Bob', 'list', '--json')) == [], 'the server got an offer'
    assert alice.find(name='Transfers', role=pyatspi.ROLE_PUSH_BUTTON) is None, \
        'a transfer was started'
    partial = os.path.join(server.data_dir, 'partial')
    assert not os.path.isdir(partial) or not os.listdir(partial), os.listdir(partial)

    alice.click(wait_for(lambda: alice.find(name='Close', role=pyatspi.ROLE_PUSH_BUTTON,
                                            within=dialog), 'the dialog’s Close button'))
    wait_for(lambda: refusal() is None, 'the dialog to close')


def choose_in_main_menu(app, item):
    """Main menu → @item, through the real popover menu."""
    menu_button = app.wait('the main menu button', name='Main Menu',
                           role=pyatspi.ROLE_PUSH_BUTTON)
    # GtkMenuButton is a push button around the toggle button that takes the click.
    inner = next((n for n in walk(menu_button) if n is not menu_button
                  and n.getRole() == pyatspi.ROLE_PUSH_BUTTON), menu_button)
    app.click(inner)
    app.click(app.wait('the %s menu item' % item, name=item, role=pyatspi.ROLE_MENU_ITEM))


def open_preferences(app):
    choose_in_main_menu(app, 'Preferences')
    return app.dialog('Preferences')


def clipboard_text():
    """The clipboard's text, as another application on the display reads it."""
    result = subprocess.run(['/usr/bin/python3', READ_CLIPBOARD], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=30)
    return result.stdout if result.returncode == 0 else None


def test_links():
    """Copy Link on a row puts the file's browser link on the clipboard (with the same key the
    CLI gets, on a password server), and Share Server shows the web address, its QR code and
    the password note, and copies the address."""
    secret = os.path.join(tmp, 'password.txt')
    with open(secret, 'w') as f:
        f.write('correct horse\n')
    server = Server(os.path.join(tmp, 'server-links'), extra=['--password-file', secret])
    shared = os.path.join(tmp, 'notes & ideas.txt')
    make_file(shared, 5000, 'notes')
    offer_id = cli(server, 'Bob', '--password-file', secret, 'upload', shared).strip()
    alice = App('Alice', server, args=['--password-file', secret], password_file=secret)
    wait_for(alice.connected, 'Alice to connect')
    wait_for(lambda: alice.has_file('notes & ideas.txt'), 'the shared file')

    alice.click_button('Copy Link to notes & ideas.txt')
    alice.wait('the “Link copied” toast', name='Link copied', role=pyatspi.ROLE_LABEL)
    screenshot('link-copied')
    expected = cli(server, 'Bob', '--password-file', secret, 'link', offer_id).strip()
    prefix = 'https://%s/f/%s/notes%%20%%26%%20ideas.txt?key=' % (server.address, offer_id)
    assert expected.startswith(prefix), expected
    url = wait_for(clipboard_text, 'the link on the clipboard')
    log('clipboard: ' + url)
    assert url == expected, 'the clipboard holds %r, not %r' % (url, expected)

    choose_in_main_menu(alice, 'Share Server…')
    dialog = alice.dialog('Share Server')
    address = 'https://%s/' % server.address
    alice.wait('the address', name=address, role=pyatspi.ROLE_LABEL, within=dialog)
    # GtkPicture's alternative text is its accessible description.
    wait_for(lambda: next((n for n in walk(dialog) if n.getRole() == pyatspi.ROLE_IMAGE
                           and n.description == 'QR code of ' + address), None), 'the QR code')
    assert any('password' in t for t in labels_in(dialog)), labels_in(dialog)
    checked, problems = audit(dialog)
    assert not problems, 'controls without a proper accessible name:\n' + '\n'.join(problems)
    time.sleep(0.5)  # the dialog's first frame; not a synchronisation
    shot = screenshot('share-server')
    # A phone reads it: zbarimg (zbar-tools) finds the code on the screen and decodes it.
    assert shutil.which('zbarimg'), 'zbarimg is missing: scripts/deps.sh test installs zbar-tools'
    decoded = subprocess.run(['zbarimg', '--quiet', '--raw', shot], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=60).stdout.strip()
    assert decoded == address, 'the QR code reads %r, not %r' % (decoded, address)
    alice.click(alice.wait('the Copy Address button', name='Copy Address',
                           role=pyatspi.ROLE_PUSH_BUTTON, within=dialog))
    wait_for(lambda: clipboard_text() == address, 'the address on the clipboard')


def test_save_to_downloads():
    server = Server(os.path.join(tmp, 'server-downloads'))
    # GLib reads the Downloads folder from user-dirs.dirs in XDG_CONFIG_HOME; the app makes the
    # folder if it is missing.
    downloads = os.path.join(tmp, 'alice-downloads')
    with open(os.path.join(config_dir('Alice'), 'user-dirs.dirs'), 'w') as f:
        f.write('XDG_DOWNLOAD_DIR="%s"\n' % downloads)
    alice = App('Alice', server)
    wait_for(alice.connected, 'Alice to connect')

    src = os.path.join(tmp, 'holiday plan.txt')
    digest = make_file(src, 200 * 1000 + 3, 'holiday')
    cli(server, 'Bob', 'upload', src)
    wait_for(lambda: alice.has_file('holiday plan.txt'), 'Bob’s file in Alice’s panel')

    prefs = open_preferences(alice)
    switch = wait_for(lambda: alice.find(name='Save to the Downloads Folder',
                                         role=pyatspi.ROLE_CHECK_BOX, within=prefs),
                      'the “Save to the Downloads Folder” switch')
    assert not has_state(switch, pyatspi.STATE_CHECKED), 'the preference starts on'
    checked, problems = audit(prefs)
    log('%d operable nodes checked in Preferences: %s' % (len(checked), ', '.join(checked)))
    assert not problems, 'controls without a proper accessible name:\n' + '\n'.join(problems)
    alice.click(switch)
    wait_for(lambda: has_state(switch, pyatspi.STATE_CHECKED), 'the switch to turn on')
    screenshot('preferences')
    alice.click(wait_for(lambda: alice.find(name='Close', role=pyatspi.ROLE_PUSH_BUTTON,
                                            within=prefs), 'the Preferences’ Close button'))
    wait_for(lambda: all(w is None or w.name != 'Preferences' for w in alice.windows()),
             'Preferences to close')

    alice.click_button('Download holiday plan.txt')
    target = os.path.join(downloads, 'holiday plan.txt')

    def save_dialog():
        return any(w is not None and w.name == 'Save File' for w in alice.windows())

    def saved():
        return os.path.exists(target) and alice.find(name='“holiday plan.txt” downloaded',
                                                     role=pyatspi.ROLE_LABEL)
    wait_for(lambda: save_dialog() or saved(), 'holiday plan.txt in the Downloads folder')
    assert not save_dialog(), 'a save dialog opened although the preference is on'
    toast = wait_for(saved, 'the download toast')

    # The toast offers to open the file; its buttons and the finished row's are named.
    toast_buttons = [n.name for n in walk(toast.parent.parent)
                     if n.getRole() == pyatspi.ROLE_PUSH_BUTTON]
    assert toast_buttons == ['Open', 'Dismiss'], 'the toast’s buttons: %r' % toast_buttons
    assert alice.find(name='Open holiday plan.txt', role=pyatspi.ROLE_PUSH_BUTTON)
    checked, problems = audit(alice.main_window())
    assert not problems, 'controls without a proper accessible name:\n' + '\n'.join(problems)
    screenshot('saved-to-downloads')
    assert sha256(target) == digest, 'the saved bytes differ from the original'
    assert os.listdir(downloads) == ['holiday plan.txt'], os.listdir(downloads)


def test_search():
    server = Server(os.path.join(tmp, 'server-search'))
    alice = App('Alice', server)
    wait_for(alice.connected, 'Alice to connect')
    names = ['alpha-report.pdf', 'beta-notes.txt', 'Gamma REPORT.odt']
    for name in names:
        path = os.path.join(tmp, name)
        make_file(path, 1000, name)
        cli(server, 'Bob', 'upload', path)
    wait_for(lambda: alice.listed_files() == sorted(names), 'the three files')
    entry = alice.wait('the search entry', name='Search files', role=pyatspi.ROLE_ENTRY)

    # Ctrl+F, then type: only the matching rows stay, whatever the case.
    focus(alice.main_window())
    rawinput.keyCombo('<Control>f')
    wait_for(lambda: has_state(entry, pyatspi.STATE_FOCUSED), 'the focus in the search entry')
    rawinput.typeText('report')
    wait_for(lambda: alice.listed_files() == ['Gamma REPORT.odt', 'alpha-report.pdf'],
             'only the two reports to be listed')
    assert text_of(entry) == 'report'
    screenshot('search')

    # Escape closes the search and clears it: every file is back.
    rawinput.pressKey('Escape')
    wait_for(lambda: alice.listed_files() == sorted(names), 'every file to be listed again')
    assert text_of(entry) == '', 'Escape left the search text: %r' % text_of(entry)

    # A search that matches nothing says so.
    rawinput.keyCombo('<Control>f')
    wait_for(lambda: has_state(entry, pyatspi.STATE_FOCUSED), 'the focus in the search entry')
    rawinput.typeText('zebra')
    alice.wait('the no-results page', name='No Results Found', role=pyatspi.ROLE_LABEL)
    assert alice.listed_files() == []
    screenshot('search-no-results')
    rawinput.pressKey('Escape')
    wait_for(lambda: alice.listed_files() == sorted(names), 'every file to be listed again')


# Roles a person operates, and so must hear a name for. GtkMenuButton and GtkToggleButton show
# as push buttons in GTK 4.8; GtkSwitch as a check box.
OPERABLE = {pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
            pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_ENTRY, pyatspi.ROLE_TEXT,
            pyatspi.ROLE_PASSWORD_TEXT, pyatspi.ROLE_SPIN_BUTTON, pyatspi.ROLE_COMBO_BOX,
            pyatspi.ROLE_SLIDER, pyatspi.ROLE_MENU_ITEM, pyatspi.ROLE_LINK,
            pyatspi.ROLE_PROGRESS_BAR, pyatspi.ROLE_LIST, pyatspi.ROLE_PAGE_TAB}
# GTK 4.8 falls back to the widget's type name ("GtkImage") when a widget has no name.
TYPE_NAME = re.compile(r'^(Gtk|Gdk|Adw|Ferry)[A-Z]\w*$')


def name_problem(name):
    name = (name or '').strip()
    words = name.split()
    half = len(words) // 2
    if not name or TYPE_NAME.match(name):
        return 'no name'
    if re.search(r'(^|\s)_\w', name):
        return 'a mnemonic underscore in the name'
    if len(words) % 2 == 0 and half and \
            [w.lower() for w in words[:half]] == [w.lower() for w in words[half:]]:
        return 'the name said twice'
    return None


def audit(root):
    problems = []
    checked = []
    for n in walk(root):
        try:
            role = n.getRole()
            if role not in OPERABLE:
                continue
            checked.append('%s %r' % (n.getRoleName(), n.name))
            problem = name_problem(n.name)
            if problem:
                problems.append('%s %r: %s (parent %r)' % (n.getRoleName(), n.name, problem,
                                                          n.parent.name if n.parent else None))
        except Exception:
            continue
    return checked, problems


def test_accessibility():
    server = Server(os.path.join(tmp, 'server-a11y'))
    alice = App('Alice', server)
    wait_for(alice.connected, 'Alice to connect')
    theirs = os.path.join(tmp, 'from-bob.txt')
    make_file(theirs, 5000, 'from bob')
    cli(server, 'Bob', 'upload', theirs)

    # Alice's own file: a Delete button, a finished transfer and a toast.
    mine = os.path.join(tmp, 'mine.txt')
    make_file(mine, 5000, 'mine')
    upload(alice, mine)
    toast = alice.wait('the upload toast', name='“mine.txt” shared', role=pyatspi.ROLE_LABEL)
    toast_widget = toast.parent.parent
    toast_buttons = [n.name for n in walk(toast_widget)
                     if n.getRole() == pyatspi.ROLE_PUSH_BUTTON]
    assert toast_buttons == ['Dismiss'], 'the toast’s buttons: %r' % toast_buttons

    # A transfer in progress: a progress bar and a Cancel button. A 4 GiB sparse file takes long
    # enough to look at.
    big = os.path.join(tmp, 'huge.iso')
    with open(big, 'wb') as f:
        f.truncate(4 * 1024 * 1024 * 1024)
    upload(alice, big)
    cancel = alice.wait('the Cancel button of the running upload', name='Cancel huge.iso',
                        role=pyatspi.ROLE_PUSH_BUTTON)
    wait_for(lambda: alice.has_file('from-bob.txt') and alice.has_file('mine.txt'), 'the files')

    window = alice.main_window()
    checked, problems = audit(window)
    log('%d operable nodes checked in the main window: %s' % (len(checked), ', '.join(checked)))
    assert alice.find(name='Cancel huge.iso', role=pyatspi.ROLE_PUSH_BUTTON), \
        'the upload finished before the audit: use a bigger file'
    screenshot('audited')
    assert not problems, 'controls without a proper accessible name:\n' + '\n'.join(problems)

    # Row buttons say which file they act on, and no two are alike.
    rows = []
    for list_name in ('Shared files', 'Transfers'):
        found = alice.find(name=list_name, role=pyatspi.ROLE_LIST)
        assert found is not None, 'no %r list' % list_name
        rows += [n.name for n in walk(found) if n.getRole() == pyatspi.ROLE_PUSH_BUTTON]
    assert len(rows) == len(set(rows)), 'row buttons with the same name: %r' % rows
    assert sorted(rows) == sorted(['Download from-bob.txt', 'Download mine.txt',
                                   'Delete mine.txt', 'Copy Link to from-bob.txt',
                                   'Copy Link to mine.txt', 'Cancel huge.iso']), rows
    bars = [n.name for n in walk(window) if n.getRole() == pyatspi.ROLE_PROGRESS_BAR]
    assert 'huge.iso' in bars, 'the progress bars are named %r' % bars

    # Cancel works, and says so.
    alice.click(cancel)
    alice.wait('the cancelled upload', name='Cancelled', role=pyatspi.ROLE_LABEL)
    listed = sorted(o['name'] for o in json.loads(cli(server, 'Bob', 'list', '--json')))
    assert listed == ['from-bob.txt', 'mine.txt'], listed

    # Clear Finished empties the list of done and cancelled transfers.
    clear = alice.wait('the Clear Finished button', name='Clear Finished Transfers',
                       role=pyatspi.ROLE_PUSH_BUTTON)
    wait_for(lambda: has_state(clear, pyatspi.STATE_SENSITIVE), 'Clear Finished to be enabled')
    alice.click(clear)

    def transfer_rows():
        found = alice.find(name='Transfers', role=pyatspi.ROLE_LIST)
        return [] if found is None else [n for n in walk(found)
                                         if n.getRole() == pyatspi.ROLE_PROGRESS_BAR]
    wait_for(lambda: not transfer_rows(), 'the finished transfers to be cleared')
    assert alice.find(name='Cancelled', role=pyatspi.ROLE_LABEL) is None


def test_big_upload():
    """Uploads 1 GiB from the app, probing the window all along: every probe must be answered,
    and the progress bar must only go forward, through intermediate values, to 100%."""
    server = Server(os.path.join(tmp, 'server-big'))
    alice = App('Alice', server)
    wait_for(alice.connected, 'Alice to connect')
    name = 'one-gibibyte.bin'
    path = os.path.join(tmp, name)
    size = 1024 * 1024 * 1024
    with open(path, 'wb') as f:
        f.truncate(size)

    window = alice.main_window()
    upload(alice, path)
    bar = alice.wait('the progress bar', name=name, role=pyatspi.ROLE_PROGRESS_BAR)
    status = bar.parent.getChildAtIndex(bar.getIndexInParent() + 1)
    assert status.getRole() == pyatspi.ROLE_LABEL

    values = []
    latencies = []
    deadline = time.monotonic() + 240
    while True:
        # Both calls are answered by the app's main loop; a blocked loop would time them out.
        start = time.monotonic()
        window.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        value = bar.queryValue().currentValue
        text = text_of(status)
        latencies.append(time.monotonic() - start)
        values.append(value)
        if text.startswith('Shared'):
            break
        assert 'failed' not in text.lower(), text
        assert time.monotonic() < deadline, 'the upload did not finish: %s' % text
        time.sleep(0.05)
    screenshot('big-upload-done')
    # The finished row keeps its bar, full, rather than hiding it at whatever it last showed.
    assert alice.find(name=name, role=pyatspi.ROLE_PROGRESS_BAR) is not None, \
        'the finished transfer hides its progress bar'

    # The bar's value reaches AT-SPI on its own D-Bus round trip: poll for it, as for a click.
    # The bar is looked up again each time: the list may rebind the row when the transfer
    # finishes, which leaves the accessible found before it defunct. A list view may keep a second row widget for the same name (recycled, not shown), so
    # every bar of that name is read, and the values are logged if none gets full.
    def bar_values():
        found = []
        for root in alice.windows():
            for n in walk(root):
                try:
                    if n.getRole() == pyatspi.ROLE_PROGRESS_BAR and n.name == name:
                        found.append(n.queryValue().currentValue)
                except Exception:
                    continue
        return found
    try:
        wait_for(lambda: 1.0 in bar_values(), 'the finished bar to be full')
    except AssertionError:
        raise AssertionError('no bar named %s reads full; they read %r (the window shows: '
                             'see the big-upload-done screenshot)' % (name, bar_values()))

    changes = [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]
    log('%d probes, all answered; slowest round trip %.0f ms, median %.0f ms'
        % (len(latencies), max(latencies) * 1000, sorted(latencies)[len(latencies) // 2] * 1000))
    log('progress values seen: ' + ' '.join('%.3f' % v for v in changes))
    backwards = [(a, b) for a, b in zip(values, values[1:]) if b < a]
    assert not backwards, 'the progress bar went backwards: %r' % backwards[:5]
    assert values[-1] == 1.0, 'the bar ended at %r, not 100%%' % values[-1]
    assert len([v for v in changes if 0.0 < v < 1.0]) >= 3, \
        'the bar jumped instead of moving: %r' % changes
    offers = json.loads(cli(server, 'Bob', 'list', '--json'))
    assert [(o['name'], o['size']) for o in offers] == [(name, size)], offers


def window_shot(path):
    # No window manager: the main window sits at 0,0 at its default size (860x620).
    subprocess.run(['import', '-window', 'root', '-crop', '860x620+0+0', '+repage', path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    log('screenshot: ' + path)


def cli(server, name, *args, config=None):
    env = dict(os.environ, XDG_CONFIG_HOME=config or os.path.join(tmp, name.lower() + '-cli'))
    trust_args = ['--trust', server.fingerprint] if server.fingerprint else []
    return subprocess.run([os.environ['FERRY_CLI'], '--server', server.address, '--name', name]
                          + trust_args + list(args), env=env, check=True,
                          stdout=subprocess.PIPE, text=True, timeout=120).stdout


def trust(server, config, password_file=None):
    """Pins the server's fingerprint in known-servers under @config (XDG_CONFIG_HOME), where the
    app reads it."""
    if server.fingerprint:
        password = ['--password-file', password_file] if password_file else []
        cli(server, 'Trust', *password, 'list', config=config)


def readme_shots(out, suffix, extra_env):
    """The first-run page, the empty state, files listed and a transfer in progress, in one
    style: NAME.png, or NAME-dark.png."""
    def shot(name):
        time.sleep(1)  # let the last frame and any transition finish; not a synchronisation
        window_shot(os.path.join(out, name + suffix + '.png'))

    newcomer = App('Newcomer' + suffix, extra_env=extra_env)
    newcomer.wait('the first-run page', name='Server Address', role=pyatspi.ROLE_TEXT)
    shot('first-run')
    newcomer.close()

    server = Server(os.path.join(tmp, 'server-shots' + suffix))
    alice = App('Alice', server, extra_env=extra_env)
    wait_for(alice.connected, 'Alice to connect')
    wait_for(lambda: alice.find(name='No Shared Files'), 'the empty state')
    shot('empty-state')

    files = [('Quarterly report.pdf', 'Bob', 2400000), ('Team photo.jpg', 'Carol', 5300000),
             ('meeting-notes.md', 'Dave', 14000), ('Budget 2025.ods', 'Bob', 88000),
             ('demo-video.webm', 'Carol', 48000000), ('slides.odp', 'Dave', 3100000)]
    for name, who, size in files:
        path = os.path.join(tmp, name)
        make_file(path, size, name)
        cli(server, who, 'upload', path)
    for name, _, _ in files:
        wait_for(lambda: alice.has_file(name), name)
    shot('files')

    big = os.path.join(tmp, 'Holiday footage.mkv')
    with open(big, 'wb') as f:
        f.truncate(4 * 1024 * 1024 * 1024)
    upload(alice, big)
    wait_for(lambda: alice.find(role=pyatspi.ROLE_LABEL, prefix='Holiday')
             and [n for w in alice.windows() for n in walk(w)
                  if n.getRole() == pyatspi.ROLE_LABEL and ' of ' in (n.name or '')
                  and ' left' in (n.name or '')], 'a transfer in progress', timeout=60)
    time.sleep(0.6)
    window_shot(os.path.join(out, 'transfer' + suffix + '.png'))
    stop_all()


def test_readme_screenshots():
    """Not a test: makes the README's screenshots in $FERRY_SCREENSHOT_DIR, in the light style
    and in the dark one (libadwaita's ADW_DEBUG_COLOR_SCHEME, as a dark desktop would)."""
    out = os.environ.get('FERRY_SCREENSHOT_DIR', SHOTS)
    os.makedirs(out, exist_ok=True)
    readme_shots(out, '', {})
    readme_shots(out, '-dark', {'ADW_DEBUG_COLOR_SCHEME': 'prefer-dark'})


EXTRA = [('README screenshots', test_readme_screenshots)]

TESTS = [
    ('share, download and delete between two people', test_share_download_delete),
    ('both apps reconnect when the server restarts', test_server_restart),
    ('the first-run page connects and is remembered', test_first_run),
    ('a file over the server’s limit is refused before sending', test_too_large),
    ('the Downloads-folder preference saves without asking', test_save_to_downloads),
    ('Ctrl+F searches the Files panel and Escape clears it', test_search),
    ('every control has a proper accessible name', test_accessibility),
    ('a 1 GiB upload: the window answers and the bar moves to 100%', test_big_upload),
    ('a password server: asked, asked again when wrong, connected when right', test_password),
    ('a --no-tls server: the reason is shown, and ferry --no-tls connects', test_no_tls),
    ('a download cut by kill -9 of the server resumes once it is back', test_resume_download),
    ('after an app restart a download to the same place goes on from its .part',
     test_resume_after_restart),
    ('a folder dropped on the files panel is one offer, saved as the same tree',
     test_folder_dnd),
    ('Copy Link copies a file’s browser link; Share Server shows the address and its QR code',
     test_links),
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
                # meson --print-errorlogs shows stderr: CI's log then says why, not only that.
                sys.stderr.write('not ok %d - %s\n%s' % (i, description, traceback.format_exc()))
                for name in sorted(f for f in os.listdir(tmp) if f.endswith('.log')):
                    log('--- ' + name)
                    log(open(os.path.join(tmp, name), errors='replace').read()[-3000:])
                print('not ok %d - %s' % (i, description), flush=True)
            finally:
                stop_all()
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
