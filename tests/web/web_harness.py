# SPDX-License-Identifier: GPL-3.0-or-later
#
# The web suite's harness (test-web.py has the tests): a real ferry-server on 127.0.0.1 port 0
# with TLS, ferry-cli and curl beside it, and headless Chromium driven by python3-selenium.
# Everything started here is listed in `processes` and `browsers`, and stop_all() ends it.

import hashlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

SERVER = os.environ['FERRY_SERVER']
CLI = os.environ['FERRY_CLI']
BUILD_DIR = os.environ.get('MESON_BUILD_ROOT') or os.environ.get('FERRY_BUILD_DIR') or '.'
SHOTS = os.path.join(BUILD_DIR, 'meson-logs', 'web-screenshots')
TIMEOUT = 30
PASSWORD = 'correct horse battery staple'

tmp = tempfile.mkdtemp(prefix='ferry-web-')
processes = []
browsers = []


class Skip(Exception):
    """A subtest that cannot run here yet; its message is the reason, for TAP's # SKIP."""


def log(msg):
    for line in str(msg).splitlines():
        print('# ' + line, flush=True)


def wait_for(check, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except WebDriverException:  # a node replaced under our feet
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %ds waiting for %s' % (timeout, what))
        time.sleep(0.05)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def make_file(name, size):
    """@size random bytes in tmp/src/@name: content that a resume at the wrong byte can't hide."""
    folder = os.path.join(tmp, 'src')
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, 'wb') as f:
        left = size
        while left > 0:
            f.write(os.urandom(min(left, 1 << 20)))
            left -= min(left, 1 << 20)
    return path


# The server, ferry-cli and curl

class Server:
    def __init__(self, extra=(), data_dir=None, port=0):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix='data-', dir=tmp)
        self.password_file = None
        if '--password' in extra:
            extra = [e for e in extra if e != '--password']
            self.password_file = os.path.join(tmp, 'password')
            with open(self.password_file, 'w') as f:
                f.write(PASSWORD + '\n')
            extra = list(extra) + ['--password-file', self.password_file]
        self.fingerprint = subprocess.run(
            [SERVER, '--data-dir', self.data_dir, '--print-fingerprint'], check=True,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=60
        ).stdout.strip()
        self.proc = subprocess.Popen(
            [SERVER, '--bind', '127.0.0.1', '--port', str(port), '--data-dir', self.data_dir]
            + list(extra),
            stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, 'server.log'), 'a'), text=True)
        processes.append(self.proc)
        line = self.proc.stdout.readline()
        m = re.search(r'listening on .*:(\d+)', line)
        if not m:
            raise AssertionError('ferry-server did not start: %r' % line)
        self.port = int(m.group(1))
        self.address = '127.0.0.1:%d' % self.port
        self.url = 'https://%s' % self.address

    def kill(self):
        """kill -9: no goodbye to anyone, partial uploads left as they are."""
        self.proc.kill()
        self.proc.wait(timeout=20)

    def cli(self, name, *args):
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, name.lower() + '-cli'))
        password = ['--password-file', self.password_file] if self.password_file else []
        return subprocess.run([CLI, '--server', self.address, '--name', name,
                               '--trust', self.fingerprint] + password + list(args),
                              env=env, check=True, stdout=subprocess.PIPE, text=True,
                              timeout=120).stdout

    def offers(self, name='Bob'):
        return json.loads(self.cli(name, 'list', '--json'))

    def offer(self, file_name):
        return next((o for o in self.offers() if o['name'] == file_name), None)

    def curl(self, *args, check=True):
        """curl -k (the test's self-signed certificate); returns (HTTP status, body)."""
        result = subprocess.run(['curl', '-k', '-sS', '--max-time', '60', '-w', '\n%{http_code}']
                                + list(args), stdout=subprocess.PIPE, timeout=90)
        body, _, status = result.stdout.rpartition(b'\n')
        if check and result.returncode != 0:
            raise AssertionError('curl %s failed with %d' % (' '.join(args), result.returncode))
        return int(status or 0), body


# The browser

class Browser:
    """One headless Chromium with its own profile (so its own owner secret) and download
    folder."""

    def __init__(self, width=1280, height=800):
        self.profile = tempfile.mkdtemp(prefix='chromium-', dir=tmp)
        self.downloads = tempfile.mkdtemp(prefix='downloads-', dir=tmp)
        options = webdriver.ChromeOptions()
        if os.path.exists('/usr/lib/chromium/chromium'):
            options.binary_location = '/usr/lib/chromium/chromium'
        for arg in ['--headless=new', '--ignore-certificate-errors', '--disable-gpu',
                    '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions',
                    '--user-data-dir=' + self.profile, '--window-size=%d,%d' % (width, height)]:
            options.add_argument(arg)
        if os.geteuid() == 0:
            options.add_argument('--no-sandbox')
        options.accept_insecure_certs = True
        # The console for a failed test's log; the network for what the page sent.
        options.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
        options.add_experimental_option('prefs', {
            'download.default_directory': self.downloads,
            'download.prompt_for_download': False,
            'safebrowsing.enabled': False,
        })
        service = Service(executable_path='/usr/bin/chromedriver',
                          log_path=os.path.join(tmp, 'chromedriver.log'))
        self.driver = webdriver.Chrome(service=service, options=options)
        browsers.append(self)
        self.driver.set_page_load_timeout(TIMEOUT)
        self.driver.set_script_timeout(TIMEOUT)
        self.driver.execute_cdp_cmd('Browser.setDownloadBehavior',
                                    {'behavior': 'allow', 'downloadPath': self.downloads})

    def quit(self):
        if self in browsers:
            browsers.remove(self)
            self.driver.quit()

    def open(self, server, path='/'):
        self.driver.get(server.url + path)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def by_id(self, element_id):
        return self.driver.find_element(By.ID, element_id)

    def visible(self, element_id):
        return self.js('const e = document.getElementById(arguments[0]);'
                       'return !!e && !e.hidden && e.getClientRects().length > 0;', element_id)

    def synced(self):
        """Waits for the live list to be synced (the list or the empty state is shown)."""
        wait_for(lambda: self.visible('offer-list') or
                 (self.visible('status') and
                  self.by_id('status-title').text in ('No Shared Files', 'No Results Found')),
                 'the page to be synced')

    def names(self):
        return self.js('return Array.from(document.querySelectorAll("#offer-list .name"),'
                       ' (e) => e.textContent);')

    def row(self, name):
        for row in self.driver.find_elements(By.CSS_SELECTOR, '#offer-list .offer-row'):
            if row.find_element(By.CSS_SELECTOR, '.name').get_attribute('textContent') == name:
                return row
        return None

    def upload(self, *paths):
        self.by_id('file-input').send_keys('\n'.join(paths))

    def put_ranges(self):
        """The Content-Range of every PUT the page sent since the last call, in order."""
        ranges = []
        for entry in self.driver.get_log('performance'):
            message = json.loads(entry['message'])['message']
            if message['method'] != 'Network.requestWillBeSent':
                continue
            request = message['params']['request']
            if request['method'] == 'PUT':
                ranges.append(request['headers'].get('Content-Range'))
        return ranges

    def no_alert(self):
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            raise AssertionError('the page showed an alert: %r' % text)
        except NoAlertPresentException:
            pass

    def shot(self, name, width, height, dark):
        """A screenshot of the page at @width×@height CSS pixels, light or dark."""
        self.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
            'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': width < 600})
        self.driver.execute_cdp_cmd('Emulation.setEmulatedMedia', {
            'features': [{'name': 'prefers-color-scheme', 'value': 'dark' if dark else 'light'}]})
        # Two animation frames: the new size and colours are laid out and painted.
        self.driver.execute_async_script(
            'const done = arguments[0];'
            'requestAnimationFrame(() => requestAnimationFrame(() => done()));')
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, '%s-%d%s.png' % (name, width, '-dark' if dark else ''))
        self.driver.save_screenshot(path)
        log('screenshot: ' + path)
        return path


def wait_download(browser, name, size):
    path = os.path.join(browser.downloads, name)
    wait_for(lambda: os.path.exists(path) and os.path.getsize(path) == size
             and not os.path.exists(path + '.crdownload'), 'the download of ' + name)
    return path


def upload_from_page(browser, server, path):
    """Uploads @path with the page's file input; waits for the page's row and the finished
    upload."""
    name = os.path.basename(path)
    browser.upload(path)
    wait_for(lambda: browser.row(name), name + ' listed in the page', timeout=120)
    wait_for(lambda: server.offer(name), name + ' listed by ferry-cli')
    return server.offer(name)


def describe(browser):
    """What a browser shows, and what its console said, for a failed test's log."""
    try:
        log('--- the page at ' + browser.driver.current_url)
        log(browser.js('return document.body.innerText;')[-2000:])
        for entry in browser.driver.get_log('browser')[-20:]:
            log('console: %s %s' % (entry['level'], entry['message']))
    except Exception as e:  # a browser that is gone has nothing more to say
        log('the browser does not answer: %s' % e)


def stop_all():
    for browser in list(browsers):
        try:
            browser.quit()
        except Exception:
            pass
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    processes.clear()
