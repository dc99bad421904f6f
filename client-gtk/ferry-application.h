/* ferry-application.h: the single-instance app; owns the client and the settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-client.h"

G_BEGIN_DECLS

#define FERRY_TYPE_APPLICATION (ferry_application_get_type ())

/* Property "client": the FerryClient in use, or NULL before the first run is done. It is
 * replaced when the server or name changes.
 * Actions: app.connect((ss) server, name), app.trust-server(s fingerprint), app.forget-server,
 * app.disconnect, app.preferences, app.about, app.quit. */
G_DECLARE_FINAL_TYPE (FerryApplication, ferry_application, FERRY, APPLICATION, AdwApplication)

/* With FERRY_NON_UNIQUE=1 in the environment the app does not register as the single
 * instance (G_APPLICATION_NON_UNIQUE); the GUI tests use it to run two users in one session. */
FerryApplication *ferry_application_new          (void);
FerryClient      *ferry_application_get_client   (FerryApplication *self);
GSettings        *ferry_application_get_settings (FerryApplication *self);
/* The server and name in use (command-line overrides first, then GSettings). */
char             *ferry_application_dup_server   (FerryApplication *self);
char             *ferry_application_dup_name     (FerryApplication *self);

G_END_DECLS
