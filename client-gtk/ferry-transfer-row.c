/* ferry-transfer-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfer-row"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-transfer-row.h"
#include "ferry-units.h"

struct _FerryTransferRow
{
  AdwBin          parent_instance;

  /* template widgets */
  GtkImage       *icon;
  GtkLabel       *name_label;
  GtkProgressBar *progress_bar;
  GtkLabel       *status_label;
  GtkButton      *cancel_button;
  GtkButton      *open_button;
  GtkButton      *resume_button;

  /* owned references */
  FerryTransfer  *transfer;
};

enum {
  PROP_0,
  PROP_TRANSFER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  RESUME,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FerryTransferRow, ferry_transfer_row, ADW_TYPE_BIN)

static char *
ferry_transfer_row_dup_name (FerryTransferRow *self)
{
  const char *name = ferry_transfer_get_name (self->transfer);
  GFile *file;

  if (name && *name)
    return g_strdup (name);

  file = ferry_transfer_get_file (self->transfer);
  if (file)
    return g_file_get_basename (file);

  return g_strdup (_("Starting download…"));
}

static char *
ferry_transfer_row_dup_state_status (FerryTransferRow *self)
{
  FerryTransfer *t = self->transfer;
  FerryTransferDirection direction = ferry_transfer_get_direction (t);
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;
  g_autofree char *rate = NULL;
  g_autofree char *left = NULL;
  const GError *error;
  FerryOffer *offer;
  gint64 seconds;

  switch (ferry_transfer_get_state (t))
    {
    case FERRY_TRANSFER_PENDING:
      return g_strdup (_("Waiting…"));

    case FERRY_TRANSFER_CONNECTING:
      /* The engine waits and asks again on its own; the row only says so. */
      if (ferry_transfer_get_server_busy (t))
        return g_strdup (_("Server busy, waiting…"));
      return g_strdup (_("Connecting…"));

    case FERRY_TRANSFER_RUNNING:
      done = g_format_size (ferry_transfer_get_bytes_done (t));
      total = g_format_size (ferry_transfer_get_total (t));
      rate = ferry_format_rate (ferry_transfer_get_bytes_per_second (t));
      seconds = ferry_transfer_get_seconds_left (t);
      if (seconds >= 0)
        {
          g_autofree char *duration = ferry_format_duration ((guint64) seconds);

          /* Translators: the time left of a transfer, such as "3m 20s left" */
          left = g_strdup_printf (_("%s left"), duration);
          /* Translators: "1.2 MB of 4.0 GB · 12.3 MB/s · 3m 20s left" */
          return g_strdup_printf (_("%s of %s · %s · %s"), done, total, rate, left);
        }
      /* Translators: "1.2 MB of 4.0 GB · 12.3 MB/s" */
      return g_strdup_printf (_("%s of %s · %s"), done, total, rate);

    case FERRY_TRANSFER_VERIFYING:
      return g_strdup (_("Checking the file…"));

    case FERRY_TRANSFER_DONE:
      offer = ferry_transfer_get_offer (t);
      if (offer && ferry_offer_is_folder (offer))
        total = ferry_format_folder (ferry_offer_get_folder_files (offer),
                                     ferry_offer_get_folder_bytes (offer));
      else
        total = g_format_size (ferry_transfer_get_total (t));
      if (direction == FERRY_TRANSFER_UPLOAD)
        /* Translators: a finished upload; %s is its size */
        return g_strdup_printf (_("Shared · %s"), total);
      /* Translators: a finished download; %s is its size */
      return g_strdup_printf (_("Saved · %s"), total);

    case FERRY_TRANSFER_FAILED:
      error = ferry_transfer_get_error (t);
      if (error && error->message)
        return g_strdup (error->message);
      return g_strdup (_("The transfer failed."));

    case FERRY_TRANSFER_CANCELLED:
      return g_strdup (_("Cancelled"));

    default:
      return g_strdup ("");
    }
}

/* What a folder upload left out (links, devices…), or NULL. */
static char *
ferry_transfer_row_dup_skipped (FerryTransferRow *self)
{
  const char *first = NULL;
  guint skipped;

  if (!ferry_transfer_get_is_folder (self->transfer))
    return NULL;
  skipped = ferry_transfer_get_folder_skipped (self->transfer, &first);
  if (skipped == 0)
    return NULL;
  if (skipped == 1 && first)
    /* Translators: in a folder upload's status; %s is a path inside the folder, such as
     * “photos/latest” (a symbolic link, left out) */
    return g_strdup_printf (_("“%s” left out"), first);
  /* Translators: in a folder upload's status; %u is how many entries (symbolic links,
   * devices…) were left out, %s the first one's path inside the folder */
  return g_strdup_printf (ngettext ("%u item left out, such as “%s”",
                                    "%u items left out, such as “%s”", skipped),
                          skipped, first ? first : "");
}

static char *
ferry_transfer_row_dup_status (FerryTransferRow *self)
{
  g_autofree char *status = ferry_transfer_row_dup_state_status (self);
  g_autofree char *skipped = ferry_transfer_row_dup_skipped (self);
  FerryTransferState state = ferry_transfer_get_state (self->transfer);

  if (!skipped || state == FERRY_TRANSFER_FAILED || state == FERRY_TRANSFER_CANCELLED)
    return g_steal_pointer (&status);
  /* Translators: a folder upload's status, then what it left out */
  return g_strdup_printf (_("%s · %s"), status, skipped);
}

static void
ferry_transfer_row_update (FerryTransferRow *self)
{
  g_autofree char *name = NULL;
  g_autofree char *status = NULL;
  g_autofree char *cancel_label = NULL;
  g_autofree char *open_label = NULL;
  g_autofree char *resume_label = NULL;
  FerryTransferState state;
  gboolean upload;
  gboolean folder;
  gboolean resumable;
  gboolean stopped;

  if (!self->transfer)
    return;

  state = ferry_transfer_get_state (self->transfer);
  upload = ferry_transfer_get_direction (self->transfer) == FERRY_TRANSFER_UPLOAD;
  folder = ferry_transfer_get_is_folder (self->transfer);
  resumable = ferry_transfer_get_resumable (self->transfer);
  stopped = state == FERRY_TRANSFER_FAILED || state == FERRY_TRANSFER_CANCELLED;
  name = ferry_transfer_row_dup_name (self);
  status = ferry_transfer_row_dup_status (self);

  if (folder)
    gtk_image_set_from_icon_name (self->icon, "folder-symbolic");
  else
    gtk_image_set_from_icon_name (self->icon,
                                  upload ? "document-send-symbolic" : "folder-download-symbolic");
  gtk_label_set_label (self->name_label, name);
  gtk_label_set_label (self->status_label, status);
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 state == FERRY_TRANSFER_DONE
                                 ? 1.0 : ferry_transfer_get_fraction (self->transfer));

  /* A finished transfer keeps its full bar: the bar visibly reaches the end, and the row keeps
   * its height. Failed and cancelled ones say so in words instead. */
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), !stopped);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button),
                          !ferry_transfer_is_finished (self->transfer));
  gtk_widget_set_visible (GTK_WIDGET (self->open_button),
                          !upload && state == FERRY_TRANSFER_DONE
                          && ferry_transfer_get_file (self->transfer));

  /* A stopped transfer goes on from where it stopped when the engine kept what it had
   * (Resume), or starts over (Retry). */
  gtk_widget_set_visible (GTK_WIDGET (self->resume_button), stopped);
  gtk_button_set_icon_name (self->resume_button,
                            resumable ? "media-playback-start-symbolic" : "view-refresh-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->resume_button),
                               resumable ? _("Resume") : _("Retry"));
  if (resumable)
    /* Translators: the accessible name of a transfer's button; %s is a file name */
    resume_label = g_strdup_printf (_("Resume %s"), name);
  else
    /* Translators: the accessible name of a transfer's button; %s is a file name */
    resume_label = g_strdup_printf (_("Retry %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->resume_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, resume_label,
                                  -1);

  if (state == FERRY_TRANSFER_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");

  /* Translators: the accessible name of a transfer's button; %s is a file name */
  cancel_label = g_strdup_printf (_("Cancel %s"), name);
  /* Translators: the accessible name of a transfer's button; %s is a file name */
  open_label = g_strdup_printf (_("Open %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cancel_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, cancel_label,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->open_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, open_label,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
}

static void
transfer_notify_cb (FerryTransferRow *self,
                    GParamSpec       *pspec,
                    FerryTransfer    *transfer)
{
  ferry_transfer_row_update (self);
}

static void
ferry_transfer_row_cancel_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *param)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (widget);

  if (self->transfer)
    ferry_transfer_cancel (self->transfer);
}

static void
ferry_transfer_row_resume_action (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *param)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (widget);

  if (self->transfer && ferry_transfer_is_finished (self->transfer))
    g_signal_emit (self, signals[RESUME], 0, self->transfer);
}

static void
ferry_transfer_row_open_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *param)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (widget);
  g_autofree char *uri = NULL;
  GFile *file;

  if (!self->transfer || !(file = ferry_transfer_get_file (self->transfer)))
    return;

  uri = g_file_get_uri (file);
  gtk_widget_activate_action (widget, "win.open-file", "s", uri);
}

static void
ferry_transfer_row_dispose (GObject *object)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_TRANSFER_ROW);
  g_clear_object (&self->transfer);

  G_OBJECT_CLASS (ferry_transfer_row_parent_class)->dispose (object);
}

static void
ferry_transfer_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (object);

  switch (prop_id)
    {
    case PROP_TRANSFER:
      g_value_set_object (value, self->transfer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (object);

  switch (prop_id)
    {
    case PROP_TRANSFER:
      ferry_transfer_row_set_transfer (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_row_class_init (FerryTransferRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_transfer_row_dispose;
  object_class->get_property = ferry_transfer_row_get_property;
  object_class->set_property = ferry_transfer_row_set_property;

  properties[PROP_TRANSFER] =
    g_param_spec_object ("transfer", NULL, NULL, FERRY_TYPE_TRANSFER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* "resume" (FerryTransferRow *, FerryTransfer *): the person asked to resume or retry the
   * row's stopped transfer (ferry_client_resume_transfer()). */
  signals[RESUME] =
    g_signal_new ("resume", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, FERRY_TYPE_TRANSFER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-transfer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, icon);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, resume_button);

  gtk_widget_class_install_action (widget_class, "transfer.cancel", NULL,
                                   ferry_transfer_row_cancel_action);
  gtk_widget_class_install_action (widget_class, "transfer.open", NULL,
                                   ferry_transfer_row_open_action);
  gtk_widget_class_install_action (widget_class, "transfer.resume", NULL,
                                   ferry_transfer_row_resume_action);

  gtk_widget_class_set_css_name (widget_class, "ferrytransferrow");
}

static void
ferry_transfer_row_init (FerryTransferRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ferry_transfer_row_new (FerryTransfer *transfer)
{
  return g_object_new (FERRY_TYPE_TRANSFER_ROW, "transfer", transfer, NULL);
}

FerryTransfer *
ferry_transfer_row_get_transfer (FerryTransferRow *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_ROW (self), NULL);

  return self->transfer;
}

void
ferry_transfer_row_set_transfer (FerryTransferRow *self,
                                 FerryTransfer    *transfer)
{
  g_return_if_fail (FERRY_IS_TRANSFER_ROW (self));
  g_return_if_fail (!transfer || FERRY_IS_TRANSFER (transfer));

  if (self->transfer == transfer)
    return;

  if (self->transfer)
    g_signal_handlers_disconnect_by_data (self->transfer, self);

  g_set_object (&self->transfer, transfer);

  if (transfer)
    {
      /* The engine throttles notify::bytes-done to a few per second. */
      g_signal_connect_object (transfer, "notify::bytes-done",
                               G_CALLBACK (transfer_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (transfer, "notify::total",
                               G_CALLBACK (transfer_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (transfer, "notify::bytes-per-second",
                               G_CALLBACK (transfer_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (transfer, "notify::state",
                               G_CALLBACK (transfer_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (transfer, "notify::error",
                               G_CALLBACK (transfer_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (transfer, "notify::name",
                               G_CALLBACK (transfer_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (transfer, "notify::server-busy",
                               G_CALLBACK (transfer_notify_cb), self, G_CONNECT_SWAPPED);
      ferry_transfer_row_update (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSFER]);
}

double
ferry_transfer_row_get_shown_fraction (FerryTransferRow *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_ROW (self), 0.0);

  return gtk_progress_bar_get_fraction (self->progress_bar);
}

const char *
ferry_transfer_row_get_shown_status (FerryTransferRow *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_ROW (self), NULL);

  return gtk_label_get_label (self->status_label);
}
