/* ferry-offer-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-offer-row"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-offer-row.h"
#include "ferry-clock.h"
#include "ferry-units.h"

struct _FerryOfferRow
{
  AdwBin      parent_instance;

  /* template widgets */
  GtkImage   *icon;
  GtkLabel   *name_label;
  GtkLabel   *size_label;
  GtkLabel   *uploader_label;
  GtkLabel   *age_label;
  GtkButton  *download_button;
  GtkButton  *delete_button;
  GtkButton  *link_button;

  /* owned references */
  FerryOffer *offer;
};

enum {
  PROP_0,
  PROP_OFFER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryOfferRow, ferry_offer_row, ADW_TYPE_BIN)

static void
ferry_offer_row_update_age (FerryOfferRow *self)
{
  g_autofree char *age = NULL;

  if (!self->offer)
    return;

  age = ferry_format_age (ferry_offer_get_created (self->offer),
                          ferry_clock_get_now (ferry_clock_get_default ()));
  gtk_label_set_label (self->age_label, age);
}

static void
clock_notify_now_cb (FerryOfferRow *self,
                     GParamSpec    *pspec,
                     FerryClock    *clock)
{
  ferry_offer_row_update_age (self);
}

/* The content type's symbolic icons, then a generic document: without that last fallback, a type
 * the icon theme lacks (application/octet-stream in Adwaita) gets a full-colour legacy icon that
 * neither matches the others nor follows the style. */
static GIcon *
symbolic_icon_for_type (const char *content_type)
{
  g_autoptr(GIcon) icon = g_content_type_get_symbolic_icon (content_type);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) strv = NULL;

  if (G_IS_THEMED_ICON (icon))
    {
      const char * const *all = g_themed_icon_get_names (G_THEMED_ICON (icon));

      for (guint i = 0; all && all[i]; i++)
        {
          if (g_str_has_suffix (all[i], "-symbolic"))
            g_strv_builder_add (names, all[i]);
        }
    }
  g_strv_builder_add (names, "text-x-generic-symbolic");
  strv = g_strv_builder_end (names);

  return g_themed_icon_new_from_names (strv, -1);
}

static void
ferry_offer_row_update (FerryOfferRow *self)
{
  g_autofree char *size = NULL;
  g_autofree char *download_label = NULL;
  g_autofree char *delete_label = NULL;
  g_autofree char *link_label = NULL;
  g_autoptr(GIcon) icon = NULL;
  const char *name;

  if (!self->offer)
    {
      gtk_label_set_label (self->name_label, "");
      gtk_label_set_label (self->size_label, "");
      gtk_label_set_label (self->uploader_label, "");
      gtk_label_set_label (self->age_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->delete_button), FALSE);
      return;
    }

  name = ferry_offer_get_name (self->offer);
  if (ferry_offer_is_folder (self->offer))
    {
      size = ferry_format_folder (ferry_offer_get_folder_files (self->offer),
                                  ferry_offer_get_folder_bytes (self->offer));
      icon = g_themed_icon_new ("folder-symbolic");
    }
  else
    {
      size = g_format_size (ferry_offer_get_size (self->offer));
      icon = symbolic_icon_for_type (ferry_offer_get_content_type (self->offer));
    }

  gtk_image_set_from_gicon (self->icon, icon);
  gtk_label_set_label (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), name);
  gtk_label_set_label (self->size_label, size);
  gtk_label_set_label (self->uploader_label, ferry_offer_get_uploader (self->offer));
  ferry_offer_row_update_age (self);

  /* Translators: the accessible name of a row's button; %s is a file name */
  download_label = g_strdup_printf (_("Download %s"), name);
  /* Translators: the accessible name of a row's button; %s is a file name */
  delete_label = g_strdup_printf (_("Delete %s"), name);
  /* Translators: the accessible name of a row's button; %s is a file name */
  link_label = g_strdup_printf (_("Copy Link to %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->download_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, download_label,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->delete_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, delete_label,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->link_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, link_label,
                                  -1);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_button), ferry_offer_get_mine (self->offer));

  /* The buttons point at the window's actions, so they are insensitive whenever those are
   * (while offline, say). */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->download_button), "s",
                                    ferry_offer_get_id (self->offer));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->delete_button), "s",
                                    ferry_offer_get_id (self->offer));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->link_button), "s",
                                    ferry_offer_get_id (self->offer));
}

static void
ferry_offer_row_dispose (GObject *object)
{
  FerryOfferRow *self = FERRY_OFFER_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_OFFER_ROW);
  g_clear_object (&self->offer);

  G_OBJECT_CLASS (ferry_offer_row_parent_class)->dispose (object);
}

static void
ferry_offer_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FerryOfferRow *self = FERRY_OFFER_ROW (object);

  switch (prop_id)
    {
    case PROP_OFFER:
      g_value_set_object (value, self->offer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_offer_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FerryOfferRow *self = FERRY_OFFER_ROW (object);

  switch (prop_id)
    {
    case PROP_OFFER:
      ferry_offer_row_set_offer (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_offer_row_class_init (FerryOfferRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_offer_row_dispose;
  object_class->get_property = ferry_offer_row_get_property;
  object_class->set_property = ferry_offer_row_set_property;

  properties[PROP_OFFER] =
    g_param_spec_object ("offer", NULL, NULL, FERRY_TYPE_OFFER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-offer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, icon);
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, size_label);
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, uploader_label);
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, age_label);
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, download_button);
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, delete_button);
  gtk_widget_class_bind_template_child (widget_class, FerryOfferRow, link_button);


  gtk_widget_class_set_css_name (widget_class, "ferryofferrow");
}

static void
ferry_offer_row_init (FerryOfferRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (ferry_clock_get_default (), "notify::now",
                           G_CALLBACK (clock_notify_now_cb), self,
                           G_CONNECT_SWAPPED);
}

GtkWidget *
ferry_offer_row_new (void)
{
  return g_object_new (FERRY_TYPE_OFFER_ROW, NULL);
}

FerryOffer *
ferry_offer_row_get_offer (FerryOfferRow *self)
{
  g_return_val_if_fail (FERRY_IS_OFFER_ROW (self), NULL);

  return self->offer;
}

void
ferry_offer_row_set_offer (FerryOfferRow *self,
                           FerryOffer    *offer)
{
  g_return_if_fail (FERRY_IS_OFFER_ROW (self));
  g_return_if_fail (!offer || FERRY_IS_OFFER (offer));

  if (g_set_object (&self->offer, offer))
    {
      ferry_offer_row_update (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFER]);
    }
}
