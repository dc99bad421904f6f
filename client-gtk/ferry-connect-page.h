/* ferry-connect-page.h: the first-run form, asking for a server and a name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FERRY_TYPE_CONNECT_PAGE (ferry_connect_page_get_type ())

/* Its Connect button activates "app.connect" with ("server", "name"). */
G_DECLARE_FINAL_TYPE (FerryConnectPage, ferry_connect_page, FERRY, CONNECT_PAGE, AdwBin)

GtkWidget *ferry_connect_page_new         (void);
void       ferry_connect_page_set_values  (FerryConnectPage *self,
                                           const char       *server,
                                           const char       *name);
void       ferry_connect_page_focus       (FerryConnectPage *self);

G_END_DECLS
