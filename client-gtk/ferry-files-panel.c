/* ferry-files-panel.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-files-panel"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-files-panel.h"
#include "ferry-offer.h"
#include "ferry-offer-row.h"

struct _FerryFilesPanel
{
  AdwBin              parent_instance;

  /* template widgets */
  GtkSearchBar       *search_bar;
  GtkSearchEntry     *search_entry;
  GtkStack           *stack;
  GtkListView        *list_view;
  GtkFilterListModel *filter_model;
  GtkSortListModel   *sort_model;
  GtkStringFilter    *string_filter;

  /* owned references */
  GListModel         *offers;
  char               *sort_by;
};

enum {
  PROP_0,
  PROP_OFFERS,
  PROP_SORT_BY,
  PROP_SEARCH_TEXT,
  PROP_SEARCH_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryFilesPanel, ferry_files_panel, ADW_TYPE_BIN)

static GtkExpression *
offer_property (const char *name)
{
  return gtk_property_expression_new (FERRY_TYPE_OFFER, NULL, name);
}

static GtkSorter *
ferry_files_panel_make_sorter (const char *sort_by)
{
  GtkMultiSorter *multi = gtk_multi_sorter_new ();
  GtkSorter *by_name = GTK_SORTER (gtk_string_sorter_new (offer_property ("name")));

  if (g_strcmp0 (sort_by, "size") == 0)
    {
      GtkNumericSorter *by_size = gtk_numeric_sorter_new (offer_property ("size"));

      gtk_numeric_sorter_set_sort_order (by_size, GTK_SORT_DESCENDING);
      gtk_multi_sorter_append (multi, GTK_SORTER (by_size));
    }
  else if (g_strcmp0 (sort_by, "time") == 0)
    {
      GtkNumericSorter *by_time = gtk_numeric_sorter_new (offer_property ("created"));

      gtk_numeric_sorter_set_sort_order (by_time, GTK_SORT_DESCENDING);
      gtk_multi_sorter_append (multi, GTK_SORTER (by_time));
    }
  else if (g_strcmp0 (sort_by, "uploader") == 0)
    {
      gtk_multi_sorter_append (multi,
                               GTK_SORTER (gtk_string_sorter_new (offer_property ("uploader"))));
    }

  gtk_multi_sorter_append (multi, by_name);
  return GTK_SORTER (multi);
}

static void
ferry_files_panel_update_page (FerryFilesPanel *self)
{
  const char *page;

  if (!self->offers || g_list_model_get_n_items (self->offers) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->sort_model)) == 0)
    page = "no-results";
  else
    page = "list";

  /* Only the current page is visible, so assistive technologies see only it. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->stack));
       child;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *name = gtk_stack_page_get_name (gtk_stack_get_page (self->stack, child));

      gtk_widget_set_visible (child, g_strcmp0 (name, page) == 0);
    }
  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
shown_items_changed_cb (FerryFilesPanel *self,
                        guint            position,
                        guint            removed,
                        guint            added,
                        GListModel      *model)
{
  ferry_files_panel_update_page (self);
}

static void
search_changed_cb (FerryFilesPanel *self,
                   GtkSearchEntry  *entry)
{
  gtk_string_filter_set_search (self->string_filter,
                                gtk_editable_get_text (GTK_EDITABLE (entry)));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);
}

static void
search_mode_notify_cb (FerryFilesPanel *self,
                       GParamSpec      *pspec,
                       GtkSearchBar    *search_bar)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE]);
}

static void
ferry_files_panel_dispose (GObject *object)
{
  FerryFilesPanel *self = FERRY_FILES_PANEL (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_FILES_PANEL);
  g_clear_object (&self->offers);

  G_OBJECT_CLASS (ferry_files_panel_parent_class)->dispose (object);
}

static void
ferry_files_panel_finalize (GObject *object)
{
  FerryFilesPanel *self = FERRY_FILES_PANEL (object);

  g_free (self->sort_by);

  G_OBJECT_CLASS (ferry_files_panel_parent_class)->finalize (object);
}

static void
ferry_files_panel_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FerryFilesPanel *self = FERRY_FILES_PANEL (object);

  switch (prop_id)
    {
    case PROP_OFFERS:
      g_value_set_object (value, self->offers);
      break;
    case PROP_SORT_BY:
      g_value_set_string (value, self->sort_by);
      break;
    case PROP_SEARCH_TEXT:
      g_value_set_string (value, ferry_files_panel_get_search_text (self));
      break;
    case PROP_SEARCH_MODE:
      g_value_set_boolean (value, ferry_files_panel_get_search_mode (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_files_panel_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  FerryFilesPanel *self = FERRY_FILES_PANEL (object);

  switch (prop_id)
    {
    case PROP_OFFERS:
      ferry_files_panel_set_offers (self, g_value_get_object (value));
      break;
    case PROP_SORT_BY:
      ferry_files_panel_set_sort_by (self, g_value_get_string (value));
      break;
    case PROP_SEARCH_TEXT:
      ferry_files_panel_set_search_text (self, g_value_get_string (value));
      break;
    case PROP_SEARCH_MODE:
      ferry_files_panel_set_search_mode (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_files_panel_class_init (FerryFilesPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = ferry_files_panel_dispose;
  object_class->finalize = ferry_files_panel_finalize;
  object_class->get_property = ferry_files_panel_get_property;
  object_class->set_property = ferry_files_panel_set_property;

  properties[PROP_OFFERS] =
    g_param_spec_object ("offers", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  properties[PROP_SORT_BY] = g_param_spec_string ("sort-by", NULL, NULL, "time", flags);
  properties[PROP_SEARCH_TEXT] = g_param_spec_string ("search-text", NULL, NULL, NULL, flags);
  properties[PROP_SEARCH_MODE] =
    g_param_spec_boolean ("search-mode", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (FERRY_TYPE_OFFER);
  g_type_ensure (FERRY_TYPE_OFFER_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-files-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryFilesPanel, search_bar);
  gtk_widget_class_bind_template_child (widget_class, FerryFilesPanel, search_entry);
  gtk_widget_class_bind_template_child (widget_class, FerryFilesPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, FerryFilesPanel, list_view);
  gtk_widget_class_bind_template_child (widget_class, FerryFilesPanel, filter_model);
  gtk_widget_class_bind_template_child (widget_class, FerryFilesPanel, sort_model);
  gtk_widget_class_bind_template_child (widget_class, FerryFilesPanel, string_filter);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_mode_notify_cb);
}

static void
ferry_files_panel_init (FerryFilesPanel *self)
{
  g_autoptr(GtkSorter) sorter = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* The entry sits in a clamp, so the search bar can't find it by itself: without this, Escape
   * neither closes nor clears the search, and typing into the window doesn't start one. */
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));

  self->sort_by = g_strdup ("time");
  sorter = ferry_files_panel_make_sorter (self->sort_by);
  gtk_sort_list_model_set_sorter (self->sort_model, sorter);

  g_signal_connect_object (self->sort_model, "items-changed",
                           G_CALLBACK (shown_items_changed_cb), self, G_CONNECT_SWAPPED);
  ferry_files_panel_update_page (self);
}

GtkWidget *
ferry_files_panel_new (void)
{
  return g_object_new (FERRY_TYPE_FILES_PANEL, NULL);
}

GListModel *
ferry_files_panel_get_offers (FerryFilesPanel *self)
{
  g_return_val_if_fail (FERRY_IS_FILES_PANEL (self), NULL);

  return self->offers;
}

void
ferry_files_panel_set_offers (FerryFilesPanel *self,
                              GListModel      *offers)
{
  g_return_if_fail (FERRY_IS_FILES_PANEL (self));
  g_return_if_fail (!offers || G_IS_LIST_MODEL (offers));

  if (!g_set_object (&self->offers, offers))
    return;

  gtk_filter_list_model_set_model (self->filter_model, offers);
  ferry_files_panel_update_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFERS]);
}

const char *
ferry_files_panel_get_sort_by (FerryFilesPanel *self)
{
  g_return_val_if_fail (FERRY_IS_FILES_PANEL (self), NULL);

  return self->sort_by;
}

void
ferry_files_panel_set_sort_by (FerryFilesPanel *self,
                               const char      *sort_by)
{
  g_autoptr(GtkSorter) sorter = NULL;

  g_return_if_fail (FERRY_IS_FILES_PANEL (self));

  if (!sort_by)
    sort_by = "time";

  if (g_strcmp0 (self->sort_by, sort_by) == 0)
    return;

  g_free (self->sort_by);
  self->sort_by = g_strdup (sort_by);
  sorter = ferry_files_panel_make_sorter (sort_by);
  gtk_sort_list_model_set_sorter (self->sort_model, sorter);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORT_BY]);
}

const char *
ferry_files_panel_get_search_text (FerryFilesPanel *self)
{
  g_return_val_if_fail (FERRY_IS_FILES_PANEL (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
}

void
ferry_files_panel_set_search_text (FerryFilesPanel *self,
                                   const char      *text)
{
  g_return_if_fail (FERRY_IS_FILES_PANEL (self));

  /* Applied at once (search_changed_cb), without the entry's typing delay. */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
  gtk_string_filter_set_search (self->string_filter, text);
}

gboolean
ferry_files_panel_get_search_mode (FerryFilesPanel *self)
{
  g_return_val_if_fail (FERRY_IS_FILES_PANEL (self), FALSE);

  return gtk_search_bar_get_search_mode (self->search_bar);
}

void
ferry_files_panel_set_search_mode (FerryFilesPanel *self,
                                   gboolean         search_mode)
{
  g_return_if_fail (FERRY_IS_FILES_PANEL (self));

  gtk_search_bar_set_search_mode (self->search_bar, search_mode);
  if (search_mode)
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
ferry_files_panel_set_key_capture_widget (FerryFilesPanel *self,
                                          GtkWidget       *widget)
{
  g_return_if_fail (FERRY_IS_FILES_PANEL (self));

  gtk_search_bar_set_key_capture_widget (self->search_bar, widget);
}

GListModel *
ferry_files_panel_get_shown (FerryFilesPanel *self)
{
  g_return_val_if_fail (FERRY_IS_FILES_PANEL (self), NULL);

  return G_LIST_MODEL (self->sort_model);
}

const char *
ferry_files_panel_get_page (FerryFilesPanel *self)
{
  g_return_val_if_fail (FERRY_IS_FILES_PANEL (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}
