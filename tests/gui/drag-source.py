#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# drag-source.py PATH…: a small GTK 4 window that offers PATH… as a file drag, the way a file
# manager does (text/uri-list, through GdkFileList). test-e2e.py's folder_dnd drags from it
# to the Ferry window with the X pointer (XTest), so the drop goes through X's drag and drop
# protocol and the app's own drop target, as a drop from Files would. No window manager runs
# under the test's Xvfb: the window sits at 0,0, above the windows mapped before it.

import sys

import gi
gi.require_version('Gdk', '4.0')
gi.require_version('Gtk', '4.0')
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402


def on_prepare(source, x, y, uris):
    data = ''.join(uri + '\r\n' for uri in uris).encode()
    return Gdk.ContentProvider.new_for_bytes('text/uri-list', GLib.Bytes.new(data))


def on_activate(app):
    uris = [Gio.File.new_for_path(p).get_uri() for p in sys.argv[1:]]
    window = Gtk.ApplicationWindow(application=app, title='Drag Source')
    window.set_default_size(160, 90)
    label = Gtk.Label(label='Drag me')
    source = Gtk.DragSource(actions=Gdk.DragAction.COPY)
    source.connect('prepare', on_prepare, uris)
    label.add_controller(source)
    window.set_child(label)
    window.present()


app = Gtk.Application(application_id='org.ferry.Ferry.DragSource',
                      flags=Gio.ApplicationFlags.NON_UNIQUE)
app.connect('activate', on_activate)
sys.exit(app.run([sys.argv[0]]))
