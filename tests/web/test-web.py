#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The web page in a real browser: Debian's chromium, headless, driven by python3-selenium through
# chromium-driver, against a real ferry-server on 127.0.0.1 port 0 with TLS (its self-signed
# certificate accepted for the test). ferry-cli and curl are the other side (web_harness.py).
#
# Speaks TAP; `test-web.py NAME` runs test_NAME only. Screenshots go to
# $MESON_BUILD_ROOT/meson-logs/web-screenshots/.

import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
import zipfile

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_harness import (  # noqa: E402
    PASSWORD, Browser, Server, Skip, browsers, describe, log, make_file, sha256, stop_all, tmp,
    upload_from_page, wait_download, wait_for)

ONLY = sys.argv[1] if len(sys.argv) > 1 else None


# The tests

def test_upload():
    """A file chosen in the page's file input goes up in ranges and is the same file for
    ferry-cli, byte for byte."""
    server = Server()
    browser = Browser()
    browser.open(server)
    browser.synced()
    # Over one 8 MiB range, and not a multiple of anything.
    src = make_file('holiday photos.tar', 9 * 1024 * 1024 + 12345)
    offer = upload_from_page(browser, server, src)
    assert offer['size'] == os.path.getsize(src), offer
    assert offer['sha256'] == sha256(src), 'the server holds other bytes'
    out = os.path.join(tmp, 'cli-out')
    os.makedirs(out)
    server.cli('Bob', 'download', offer['id'], '-o', out)
    assert sha256(os.path.join(out, 'holiday photos.tar')) == sha256(src), 'bytes differ'
    assert offer['uploader'] == 'web', offer
    browser.no_alert()


def test_folder():
    """A folder chosen in the page is one offer (a folder stream built by the page); ferry-cli
    downloads the same tree."""
    server = Server()
    browser = Browser()
    browser.open(server)
    browser.synced()
    root = os.path.join(tmp, 'src', 'Trip photos')
    files = {'day 1/beach.jpg': 70000, 'day 1/sunset.jpg': 1, 'day 2/été.txt': 0,
             'notes.md': 3000, 'z/deep/er/file.bin': 9 * 1024 * 1024}
    for rel, size in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), 'wb') as f:
            f.write(os.urandom(size))
    browser.by_id('folder-input').send_keys(root)
    wait_for(lambda: browser.row('Trip photos'), 'the folder listed in the page', timeout=120)
    row = browser.row('Trip photos')
    assert '5 files' in row.text, row.text
    offer = wait_for(lambda: server.offer('Trip photos'), 'the folder listed by ferry-cli')
    out = os.path.join(tmp, 'cli-out')
    os.makedirs(out)
    server.cli('Bob', 'download', offer['id'], '-o', out)
    for rel in files:
        assert sha256(os.path.join(out, 'Trip photos', rel)) == sha256(os.path.join(root, rel)), rel


def test_folder_zip():
    """A shared folder downloads from the page as NAME.zip holding the same files."""
    server = Server()
    root = os.path.join(tmp, 'src', 'Project')
    files = {'README.md': 1200, 'src/main.c': 40000, 'src/lib/util.c': 0, 'data/blob.bin': 300000}
    for rel, size in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), 'wb') as f:
            f.write(os.urandom(size))
    server.cli('Bob', 'upload', root)
    browser = Browser()
    browser.open(server)
    browser.synced()
    row = wait_for(lambda: browser.row('Project'), 'the folder in the page')
    assert '4 files' in row.text, row.text
    row.find_element(By.CSS_SELECTOR, 'a.download').click()
    path = os.path.join(browser.downloads, 'Project.zip')
    wait_for(lambda: os.path.exists(path) and not os.path.exists(path + '.crdownload')
             and zipfile.is_zipfile(path), 'Project.zip')
    with zipfile.ZipFile(path) as archive:
        for rel in files:
            with open(os.path.join(root, rel), 'rb') as f:
                assert archive.read('Project/' + rel) == f.read(), rel


def test_resume():
    """An upload from the page that the server's death cuts goes on, by itself, from the offset
    the restarted server holds (not from 0)."""
    server = Server()
    browser = Browser()
    browser.open(server)
    browser.synced()
    # Slow enough that the cut falls in the middle, whatever the machine.
    browser.driver.execute_cdp_cmd('Network.enable', {})
    browser.driver.execute_cdp_cmd('Network.emulateNetworkConditions', {
        'offline': False, 'latency': 0, 'downloadThroughput': -1,
        'uploadThroughput': 16 * 1024 * 1024})
    src = make_file('long upload.bin', 24 * 1024 * 1024)
    browser.upload(src)

    # Watched from the server's side: chromedriver answers nothing while the page's throttled
    # request is under way. The server keeps an upload's bytes in DATA/partial/ until it ends.
    def held():
        folder = os.path.join(server.data_dir, 'partial')
        return max([os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)]
                   if os.path.isdir(folder) else [0], default=0)
    # In the middle of a range, so that the cut drops a request under way.
    at = wait_for(lambda: (lambda n: n if n % (8 * 1024 * 1024) else 0)(held()),
                  'a range under way at the server', timeout=120)
    server.kill()
    log('killed the server holding %d of %d bytes' % (at, os.path.getsize(src)))
    assert at < os.path.getsize(src), 'finished before the cut'
    server = Server(data_dir=server.data_dir, port=server.port)
    wait_for(lambda: browser.row('long upload.bin'), 'the upload to finish', timeout=180)
    offer = server.offer('long upload.bin')
    assert offer['sha256'] == sha256(src), 'the resumed upload holds other bytes'
    ranges = browser.put_ranges()
    log('PUT ranges: ' + ', '.join(ranges))
    starts = [int(re.match(r'bytes (\d+)-', r).group(1)) for r in ranges]
    assert len(starts) > 3, 'three ranges for 24 MiB: nothing was sent again after the cut'
    assert starts.count(0) == 1, 'the upload started over'


def test_too_large():
    """A file over the server's limit is refused with the server's sentence, not JSON."""
    server = Server(['--max-file-size', '1K'])
    browser = Browser()
    browser.open(server)
    browser.synced()
    browser.upload(make_file('too big.bin', 5000))
    wait_for(lambda: browser.by_id('toasts').text, 'the refusal')
    text = browser.by_id('toasts').text
    log('refusal: ' + text)
    assert 'too big.bin' in text and '{' not in text and '"' not in text, text
    assert server.offers() == [], 'the server got an offer'


def test_live():
    """A ferry-cli upload appears in the open page without a reload; a delete leaves it."""
    server = Server()
    browser = Browser()
    browser.open(server)
    browser.synced()
    browser.js('window.ferryTestMarker = 42;')
    src = make_file('from the terminal.txt', 1234)
    server.cli('Bob', 'upload', src)
    sent = time.monotonic()
    wait_for(lambda: browser.row('from the terminal.txt'), 'the offer in the page')
    log('the offer appeared in the page %.0f ms after ferry-cli returned'
        % ((time.monotonic() - sent) * 1000))
    assert browser.js('return window.ferryTestMarker;') == 42, 'the page was reloaded'
    row = browser.row('from the terminal.txt')
    assert 'Bob' in row.text, row.text
    assert not row.find_elements(By.CSS_SELECTOR, 'button.delete'), 'Delete on another’s file'
    server.cli('Bob', 'delete', server.offer('from the terminal.txt')['id'])
    wait_for(lambda: browser.row('from the terminal.txt') is None, 'the row to go')
    wait_for(lambda: browser.by_id('status-title').text == 'No Shared Files', 'the empty state')
    assert browser.js('return window.ferryTestMarker;') == 42, 'the page was reloaded'


def test_download():
    """Download through the page is byte-exact; curl resumes a cut download with a Range."""
    server = Server()
    src = make_file('concert.mkv', 3 * 1024 * 1024 + 7)
    server.cli('Bob', 'upload', src)
    browser = Browser()
    browser.open(server)
    browser.synced()
    row = wait_for(lambda: browser.row('concert.mkv'), 'the offer in the page')
    row.find_element(By.CSS_SELECTOR, 'a.download').click()
    got = wait_download(browser, 'concert.mkv', os.path.getsize(src))
    assert sha256(got) == sha256(src), 'the page’s download differs'

    url = row.find_element(By.CSS_SELECTOR, 'a.download').get_attribute('href')
    part = os.path.join(tmp, 'curl-part')
    status, _ = server.curl('-r', '0-1048575', '-o', part, url)
    assert status == 206 and os.path.getsize(part) == 1048576, (status, os.path.getsize(part))
    status, _ = server.curl('-C', '-', '-o', part, url)
    assert status == 206, status
    assert sha256(part) == sha256(src), 'curl’s resumed download differs'


def test_delete():
    """Delete is on one's own rows only; confirming it removes the offer for everyone. The name
    set in the menu goes with the upload."""
    server = Server()
    server.cli('Bob', 'upload', make_file('bob.txt', 10))
    browser = Browser()
    browser.open(server)
    browser.synced()
    # The name set in the menu is the uploader others see.
    browser.by_id('menu-button').click()
    browser.by_id('your-name').send_keys('Alice Liddell' + Keys.ENTER)
    upload_from_page(browser, server, make_file('mine.txt', 2000))
    assert server.offer('mine.txt')['uploader'] == 'Alice Liddell', server.offer('mine.txt')
    assert not browser.row('bob.txt').find_elements(By.CSS_SELECTOR, 'button.delete'), \
        'Delete on Bob’s file'
    browser.row('mine.txt').find_element(By.CSS_SELECTOR, 'button.delete').click()
    wait_for(lambda: browser.visible('delete-dialog'), 'the question')
    browser.by_id('delete-confirm').click()
    wait_for(lambda: browser.row('mine.txt') is None, 'the row to go')
    assert server.offer('mine.txt') is None, 'the server still lists it'
    assert server.offer('bob.txt'), 'Bob’s file went too'


def test_drop():
    """Files dropped on the page are uploaded (a drop event carrying them, as a drag would)."""
    server = Server()
    browser = Browser()
    browser.open(server)
    browser.synced()
    browser.js('const data = new DataTransfer();'
               'data.items.add(new File(["dropped bytes"], "dropped.txt"));'
               'for (const type of ["dragenter", "dragover", "drop"])'
               '  document.body.dispatchEvent(new DragEvent(type, {bubbles: true,'
               '                                                  dataTransfer: data}));')
    wait_for(lambda: browser.row('dropped.txt'), 'the dropped file in the page')
    assert browser.by_id('drop-overlay').get_attribute('hidden') is not None
    out = os.path.join(tmp, 'cli-out')
    os.makedirs(out)
    server.cli('Bob', 'download', server.offer('dropped.txt')['id'], '-o', out)
    with open(os.path.join(out, 'dropped.txt'), 'rb') as f:
        assert f.read() == b'dropped bytes'


def test_keyboard_delete():
    """Tab reaches a row; the Delete key on one's own row asks, Escape keeps the file."""
    server = Server()
    browser = Browser()
    browser.open(server)
    browser.synced()
    upload_from_page(browser, server, make_file('keyboard.txt', 100))
    row = browser.row('keyboard.txt')
    row.send_keys(Keys.DELETE)
    wait_for(lambda: browser.visible('delete-dialog'), 'the question')
    browser.by_id('delete-cancel').click()
    wait_for(lambda: not browser.visible('delete-dialog'), 'the question to close')
    assert server.offer('keyboard.txt'), 'cancelled, yet deleted'


def test_login():
    """A password server: the page asks, says why a wrong password fails, logs in with the
    right one, and shows the lockout sentence after too many wrong ones."""
    server = Server(['--password'])
    server.cli('Bob', 'upload', make_file('secret plans.pdf', 500))
    browser = Browser()
    browser.open(server)
    wait_for(lambda: browser.visible('login'), 'the login')
    assert browser.by_id('offer-list').get_attribute('hidden') is not None
    assert 'secret plans.pdf' not in browser.driver.page_source

    browser.by_id('password').send_keys('wrong' + Keys.ENTER)
    wait_for(lambda: browser.visible('login-error'), 'the wrong password’s sentence')
    wrong = browser.by_id('login-error').text
    log('wrong password: ' + wrong)
    assert wrong and '{' not in wrong, wrong

    browser.by_id('password').send_keys(PASSWORD + Keys.ENTER)
    wait_for(lambda: browser.row('secret plans.pdf'), 'the list after logging in')
    browser.shot('login-done', 1280, 800, False)

    browser.by_id('menu-button').click()
    browser.by_id('logout-button').click()
    wait_for(lambda: browser.visible('login'), 'the login after logging out')
    sentences = []
    for _ in range(8):
        browser.by_id('password').clear()
        browser.by_id('password').send_keys('still wrong' + Keys.ENTER)
        before = len(sentences)
        wait_for(lambda: browser.visible('login-error') and browser.by_id('login-error').text
                 and not browser.by_id('login-button').get_attribute('disabled'),
                 'an answer')
        sentences.append(browser.by_id('login-error').text)
        assert len(sentences) > before
        if 'Too many' in sentences[-1]:
            break
    log('answers: ' + ' | '.join(sentences))
    assert 'Too many' in sentences[-1], 'no lockout after %d wrong passwords' % len(sentences)
    browser.shot('login-locked', 360, 740, False)


def test_xss_name():
    """A file named like markup shows as that text and runs nothing."""
    server = Server()
    name = '<img src=x onerror=alert(1)>.html'
    server.cli('Mallory', 'upload', make_file(name, 50))
    browser = Browser()
    browser.open(server)
    browser.synced()
    wait_for(lambda: browser.row(name), 'the row')
    assert name in browser.names(), browser.names()
    assert browser.js('return document.querySelectorAll("main img").length;') == 0, \
        'the name became markup'
    # An alert would be pending now; selenium would also refuse the next command.
    browser.no_alert()
    assert browser.js('return document.title;').startswith('Ferry')


def test_link():
    """A capability link opens its one file, without a password, and not the list."""
    server = Server(['--password'])
    src = make_file('for the client.pdf', 4321)
    server.cli('Bob', 'upload', src)
    offer = server.offer('for the client.pdf')
    status, body = server.curl('-u', ':' + PASSWORD, '-X', 'POST',
                               '-H', 'Content-Type: application/json', '-d', '{"lifetime": 0}',
                               server.url + '/api/offers/%s/link' % offer['id'], check=False)
    if status == 200:
        link = json.loads(body)['url']
    else:
        # The native LINK request gives the same key (HTTP.md §6).
        log('POST /api/offers/ID/link answered %d; asking with ferry-cli link' % status)
        try:
            link = server.cli('Bob', 'link', offer['id']).splitlines()[0]
        except subprocess.CalledProcessError:
            raise Skip('neither POST /api/offers/ID/link (%d) nor ferry-cli link is there yet'
                       % status)
    link = link[link.index('/f/'):]
    assert '?key=' in link, link

    browser = Browser()
    browser.open(server, link)
    got = wait_download(browser, 'for the client.pdf', os.path.getsize(src))
    assert sha256(got) == sha256(src)
    status, _ = server.curl('-o', os.devnull, server.url + '/api/offers?key=' +
                            link.split('?key=')[1], check=False)
    assert status == 401, 'the key opened the list: %d' % status
    browser.open(server)
    wait_for(lambda: browser.visible('login'), 'the login, not the list')
    assert 'for the client.pdf' not in browser.names()


def test_screenshots():
    """The page at phone and desktop widths, light and dark (look at them)."""
    server = Server()
    for name, size in [('Quarterly report.pdf', 2400), ('Team photo.jpg', 5300),
                       ('demo-video.webm', 4800), ('meeting-notes.md', 1400),
                       ('songs.flac', 3100), ('backup.tar.gz', 900)]:
        server.cli(('Bob', 'Carol', 'Dave')[size % 3], 'upload', make_file(name, size))
    tree = os.path.join(tmp, 'src', 'Holiday')
    os.makedirs(os.path.join(tree, 'day 1'))
    for i in range(3):
        with open(os.path.join(tree, 'day 1', 'img%d.jpg' % i), 'wb') as f:
            f.write(os.urandom(1000 + i))
    server.cli('Carol', 'upload', tree)
    browser = Browser()
    browser.open(server)
    browser.synced()
    wait_for(lambda: len(browser.names()) == 7, 'seven rows')
    for dark in (False, True):
        for width in (360, 1280):
            browser.shot('files', width, 800 if width > 360 else 740, dark)
    browser.by_id('menu-button').click()
    browser.shot('menu', 360, 740, False)
    browser.by_id('menu-button').click()
    browser.by_id('search').send_keys('zzz')
    wait_for(lambda: browser.by_id('status-title').text == 'No Results Found', 'no results')
    browser.shot('no-results', 1280, 800, True)
    browser.by_id('search').send_keys(Keys.ESCAPE)

    # One's own file has Delete; a long name wraps.
    upload_from_page(browser, server, make_file('My notes with a rather long name, to see how '
                                                'it wraps on a phone.txt', 777))
    browser.shot('files-mine', 1280, 800, False)
    browser.shot('files-mine', 360, 740, True)

    empty = Server()
    browser.open(empty)
    browser.synced()
    browser.shot('empty', 1280, 800, False)
    browser.shot('empty', 360, 740, True)
    browser.no_alert()


TESTS = [
    ('upload through the page’s file input; ferry-cli gets the same bytes', test_upload),
    ('a folder chosen in the page is one offer with the same tree', test_folder),
    ('a shared folder downloads from the page as a zip of the same files', test_folder_zip),
    ('an upload cut by the server’s death resumes where the server stopped', test_resume),
    ('a file over the limit is refused with a sentence', test_too_large),
    ('a ferry-cli upload appears in the open page without a reload', test_live),
    ('a download through the page is byte-exact; curl resumes with a Range', test_download),
    ('delete one’s own from the page, no Delete on others’', test_delete),
    ('files dropped on the page are uploaded', test_drop),
    ('the Delete key on one’s own row asks first', test_keyboard_delete),
    ('login on a password server: wrong password, right one, lockout', test_login),
    ('a file named like markup shows as text and runs nothing', test_xss_name),
    ('a capability link opens one file and not the list', test_link),
    ('screenshots at 360 and 1280 px, light and dark', test_screenshots),
]


def main():
    tests = [(d, f) for d, f in TESTS if not ONLY or f.__name__ == 'test_' + ONLY]
    print('TAP version 13')
    print('1..%d' % len(tests), flush=True)
    failed = 0
    try:
        for i, (description, func) in enumerate(tests, 1):
            try:
                func()
                print('ok %d - %s' % (i, description), flush=True)
            except Skip as reason:
                print('ok %d - %s # SKIP %s' % (i, description, reason), flush=True)
            except Exception:
                failed += 1
                log(traceback.format_exc())
                # meson --print-errorlogs shows stderr: CI's log then says why, not only that.
                sys.stderr.write('not ok %d - %s\n%s' % (i, description, traceback.format_exc()))
                for browser in browsers:
                    describe(browser)
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
