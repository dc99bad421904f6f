/* ferry-window.h: the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-application.h"

G_BEGIN_DECLS

#define FERRY_TYPE_WINDOW (ferry_window_get_type ())

/* Actions: win.upload, win.search, win.download(s id), win.delete(s id), win.open-file(s uri),
 * win.sort-by(s), win.show-transfers(b). */
G_DECLARE_FINAL_TYPE (FerryWindow, ferry_window, FERRY, WINDOW, AdwApplicationWindow)

GtkWidget *ferry_window_new        (FerryApplication *application);
/* Uploads local files, refusing folders and files over the server's limit first. */
void       ferry_window_upload     (FerryWindow      *self,
                                    GListModel       *files);
void       ferry_window_show_error (FerryWindow      *self,
                                    const char       *heading,
                                    const char       *body);
/* Answers @client's problem FERRY_CLIENT_PROBLEM_UNTRUSTED (trust its fingerprint, or go back
 * to the first-run page) or _KEY_CHANGED (says so: forget it, or go back). One question at a
 * time; nothing for any other problem. */
void       ferry_window_ask_trust  (FerryWindow      *self,
                                    FerryClient      *client);
/* Asks for the server's password; answers with app.log-in "(sb)" (password, remember) or
 * app.disconnect. @problem: the server's sentence about the last password, or NULL. While a
 * question is on screen, a new call only updates its @problem. */
void       ferry_window_ask_password (FerryWindow    *self,
                                      FerryClient    *client,
                                      const char     *problem,
                                      gboolean        remember);

G_END_DECLS
