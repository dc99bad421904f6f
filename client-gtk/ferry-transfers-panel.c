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

  /* owned references */
  GListModel *transfers;
};

enum {
  PROP_0,
  PROP_TRANSFERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryTransfersPanel, ferry_transfers_panel, ADW_TYPE_BIN)

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), ferry_transfer_row_new (item));
  return row;
}

static void
ferry_transfers_panel_dispose (GObject *object)
{
  FerryTransfersPanel *self = FERRY_TRANSFERS_PANEL (object);

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
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-transfers-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryTransfersPanel, list_box);
}

static void
ferry_transfers_panel_init (FerryTransfersPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
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

  if (!g_set_object (&self->transfers, transfers))
    return;

  gtk_list_box_bind_model (self->list_box, transfers, create_row_cb, NULL, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSFERS]);
}
