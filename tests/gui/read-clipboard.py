#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# read-clipboard.py: prints the text on the X clipboard, read as another application reads it
# (GTK 4's GdkClipboard, through the X server), and exits 0; exits 1 when there is no text
# within 10 s. test-e2e.py's links test runs it after Copy Link. A process of its own: the
# test itself has GTK 3 loaded through dogtail.

import sys

import gi
gi.require_version('Gdk', '4.0')
gi.require_version('Gtk', '4.0')
from gi.repository import GLib, Gtk  # noqa: E402

result = {}


def on_text(clipboard, res, loop):
    try:
        result['text'] = clipboard.read_text_finish(res)
    except GLib.Error as e:
        result['error'] = e.message
    loop.quit()


def main():
    Gtk.init()
    loop = GLib.MainLoop()
    clipboard = Gtk.Window().get_display().get_clipboard()
    clipboard.read_text_async(None, on_text, loop)
    GLib.timeout_add_seconds(10, loop.quit)
    loop.run()
    if result.get('text') is None:
        sys.stderr.write('no text on the clipboard: %s\n' % result.get('error', 'timed out'))
        return 1
    sys.stdout.write(result['text'])
    return 0


if __name__ == '__main__':
    sys.exit(main())
