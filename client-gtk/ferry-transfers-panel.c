/* ferry-transfers-panel.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfers-panel"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-transfers-panel.h"
#include "ferry-transfer-row.h"

struct _FerryTransfersPanel
{
  AdwBin      parent_instance;

  /* template widgets */
  GtkListBox *list_box;
  GtkButton  *clear_button;

  /* owned references */
  GListModel *transfers;

  gboolean    has_finished;
};

enum {
  PROP_0,
  PROP_TRANSFERS,
  PROP_HAS_FINISHED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  RESUME,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FerryTransfersPanel, ferry_transfers_panel, ADW_TYPE_BIN)

static void
row_resume_cb (FerryTransfersPanel *self,
               FerryTransfer       *transfer,
               FerryTransferRow    *row)
{
  g_signal_emit (self, signals[RESUME], 0, transfer);
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  FerryTransfersPanel *self = FERRY_TRANSFERS_PANEL (user_data);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *child = ferry_transfer_row_new (item);

  g_signal_connect_object (child, "resume", G_CALLBACK (row_resume_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), child);
  return row;
}

static void
ferry_transfers_panel_update_has_finished (FerryTransfersPanel *self)
{
  gboolean has_finished = FALSE;
  guint n = self->transfers ? g_list_model_get_n_items (self->transfers) : 0;

  for (guint i = 0; i < n && !has_finished; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (self->transfers, i);

      has_finished = ferry_transfer_is_finished (transfer);
    }

  if (has_finished == self->has_finished)
    return;
  self->has_finished = has_finished;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_FINISHED]);
}

static void
transfer_notify_state_cb (FerryTransfersPanel *self)
{
  ferry_transfers_panel_update_has_finished (self);
}

static void
ferry_transfers_panel_watch (FerryTransfersPanel *self,
                             guint                position,
                             guint                n_items)
{
  for (guint i = position; i < position + n_items; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (self->transfers, i);

      g_signal_connect_object (transfer, "notify::state",
                               G_CALLBACK (transfer_notify_state_cb), self, G_CONNECT_SWAPPED);
    }
}

static void
ferry_transfers_panel_unwatch (FerryTransfersPanel *self)
{
  guint n = self->transfers ? g_list_model_get_n_items (self->transfers) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (self->transfers, i);

      g_signal_handlers_disconnect_by_func (transfer, transfer_notify_state_cb, self);
    }
  if (self->transfers)
    g_signal_handlers_disconnect_by_data (self->transfers, self);
}

/* A removed transfer may live on (its run keeps a reference); its handler then only finds
 * the model unchanged. */
static void
transfers_items_changed_cb (FerryTransfersPanel *self,
                            guint                position,
                            guint                removed,
                            guint                added,
                            GListModel          *transfers)
{
  ferry_transfers_panel_watch (self, position, added);
  ferry_transfers_panel_update_has_finished (self);
}

static void
ferry_transfers_panel_dispose (GObject *object)
{
  FerryTransfersPanel *self = FERRY_TRANSFERS_PANEL (object);

  ferry_transfers_panel_unwatch (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_TRANSFERS_PANEL);
  g_clear_object (&self->transfers);

  G_OBJECT_CLASS (ferry_transfers_panel_parent_class)->dispose (object);
}

static void
ferry_transfers_panel_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  FerryTransfersPanel *self = FERRY_TRANSFERS_PANEL (object);

  switch (prop_id)
    {
    case PROP_TRANSFERS:
      g_value_set_object (value, self->transfers);
      break;
    case PROP_HAS_FINISHED:
      g_value_set_boolean (value, self->has_finished);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfers_panel_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  FerryTransfersPanel *self = FERRY_TRANSFERS_PANEL (object);

  switch (prop_id)
    {
    case PROP_TRANSFERS:
      ferry_transfers_panel_set_transfers (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfers_panel_class_init (FerryTransfersPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_transfers_panel_dispose;
  object_class->get_property = ferry_transfers_panel_get_property;
  object_class->set_property = ferry_transfers_panel_set_property;

  properties[PROP_TRANSFERS] =
    g_param_spec_object ("transfers", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_HAS_FINISHED] =
    g_param_spec_boolean ("has-finished", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* "resume" (FerryTransfersPanel *, FerryTransfer *): a row's Resume (or Retry) button. */
  signals[RESUME] =
    g_signal_new ("resume", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, FERRY_TYPE_TRANSFER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-transfers-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryTransfersPanel, list_box);
  gtk_widget_class_bind_template_child (widget_class, FerryTransfersPanel, clear_button);
}

static void
ferry_transfers_panel_init (FerryTransfersPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* GTK 4.8 joins the label and the labelled-by label into the accessible name: keep only
   * the accessible label, "Clear Finished Transfers". */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->clear_button),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

GtkWidget *
ferry_transfers_panel_new (void)
{
  return g_object_new (FERRY_TYPE_TRANSFERS_PANEL, NULL);
}

GListModel *
ferry_transfers_panel_get_transfers (FerryTransfersPanel *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFERS_PANEL (self), NULL);

  return self->transfers;
}

void
ferry_transfers_panel_set_transfers (FerryTransfersPanel *self,
                                     GListModel          *transfers)
{
  g_return_if_fail (FERRY_IS_TRANSFERS_PANEL (self));
  g_return_if_fail (!transfers || G_IS_LIST_MODEL (transfers));

  if (self->transfers == transfers)
    return;

  ferry_transfers_panel_unwatch (self);
  g_set_object (&self->transfers, transfers);
  if (transfers)
    {
      g_signal_connect_object (transfers, "items-changed",
                               G_CALLBACK (transfers_items_changed_cb), self, G_CONNECT_SWAPPED);
      ferry_transfers_panel_watch (self, 0, g_list_model_get_n_items (transfers));
    }

  gtk_list_box_bind_model (self->list_box, transfers, create_row_cb, self, NULL);
  ferry_transfers_panel_update_has_finished (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSFERS]);
}

gboolean
ferry_transfers_panel_get_has_finished (FerryTransfersPanel *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFERS_PANEL (self), FALSE);

  return self->has_finished;
}
