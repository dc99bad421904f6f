/* ferry-window-private.h: what the parts of FerryWindow share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-client.h"
#include "ferry-connect-page.h"
#include "ferry-files-panel.h"
#include "ferry-transfers-panel.h"
#include "ferry-window.h"

G_BEGIN_DECLS

struct _FerryWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  AdwWindowTitle       *window_title;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  FerryConnectPage     *connect_page;
  GtkWidget            *files_page;
  FerryFilesPanel      *files_panel;
  FerryTransfersPanel  *transfers_panel;
  GtkRevealer          *transfers_revealer;
  GtkToggleButton      *transfers_button;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;
  GtkButton            *upload_button;
  GtkButton            *change_server_button;

  /* borrowed references */
  GtkWidget            *trust_dialog;
  GtkWidget            *password_dialog;

  /* owned references */
  GSettings            *settings;
  FerryClient          *client;
  GCancellable         *cancellable;   /* the window's lifetime: cancelled in dispose */
  GPtrArray            *deletes;       /* one GCancellable per delete under way */
  GPtrArray            *interrupted;   /* FerryTransfer cut by a lost connection, to resume */
  char                 *sort_by;

  guint                 name_toasts_id;
  guint                 resume_id;
  gboolean              show_transfers;
  gboolean              was_connected;
  gboolean              lost_connection;
};

/* ferry-window.c */
void ferry_window_toast              (FerryWindow        *self,
                                     const char         *markup);
void ferry_window_add_toast          (FerryWindow        *self,
                                     AdwToast           *toast);

/* ferry-window-actions.c: the win.* actions and their shortcuts */
void ferry_window_class_actions_init (FerryWindowClass   *klass);
void ferry_window_actions_init       (FerryWindow        *self);
void ferry_window_actions_dispose    (FerryWindow        *self);

/* ferry-window-links.c: Copy Link and Share Server */
void ferry_window_class_links_init   (FerryWindowClass   *klass);
/* After the client or its state changed: enables them while a server that serves browsers is
 * connected. */
void ferry_window_links_update       (FerryWindow        *self);

/* ferry-window-dnd.c: files dropped on the files panel */
void ferry_window_dnd_init           (FerryWindow        *self);

/* ferry-window-transfers.c: starting uploads and downloads, telling how they ended, and
 * resuming them */
void ferry_window_start_download     (FerryWindow        *self,
                                     const char         *offer_id,
                                     GFile              *destination,
                                     FerryDownloadFlags  flags);
void ferry_window_transfers_init     (FerryWindow        *self);
void ferry_window_transfers_dispose  (FerryWindow        *self);
/* After self->client changed: forgets the transfers waiting to resume, and watches the new
 * client's state to resume them once connected again. */
void ferry_window_transfers_set_client (FerryWindow      *self);

G_END_DECLS
