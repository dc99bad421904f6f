/* ferry-trust-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-trust-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-trust-dialog.h"
#include "ferry-a11y.h"
#include "ferry-fingerprint.h"

#include <string.h>

struct _FerryTrustDialog
{
  AdwMessageDialog  parent_instance;

  /* owned references */
  char             *fingerprint;
};

G_DEFINE_FINAL_TYPE (FerryTrustDialog, ferry_trust_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
ferry_trust_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), FERRY_TYPE_TRUST_DIALOG);

  G_OBJECT_CLASS (ferry_trust_dialog_parent_class)->dispose (object);
}

static void
ferry_trust_dialog_finalize (GObject *object)
{
  FerryTrustDialog *self = FERRY_TRUST_DIALOG (object);

  g_free (self->fingerprint);

  G_OBJECT_CLASS (ferry_trust_dialog_parent_class)->finalize (object);
}

static void
ferry_trust_dialog_class_init (FerryTrustDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_trust_dialog_dispose;
  object_class->finalize = ferry_trust_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-trust-dialog.ui");
}

static void
ferry_trust_dialog_init (FerryTrustDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Adds the response that answers the question, then names every response's button as it
 * reads (see ferry-a11y.h). */
static void
ferry_trust_dialog_add_answer (FerryTrustDialog       *self,
                               const char             *id,
                               const char             *label,
                               AdwResponseAppearance   appearance)
{
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (self), id, label);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), id, appearance);
  ferry_a11y_name_buttons (GTK_WIDGET (self));
}

GtkWidget *
ferry_trust_dialog_new_untrusted (GtkWindow  *parent,
                                  const char *address,
                                  const char *fingerprint)
{
  FerryTrustDialog *self;
  g_autofree char *shown = NULL;
  g_autofree char *body = NULL;
  char *middle;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (fingerprint != NULL, NULL);

  self = g_object_new (FERRY_TYPE_TRUST_DIALOG,
                       "transient-for", parent,
                       "heading", _("Trust This Server?"),
                       NULL);
  self->fingerprint = g_strdup (fingerprint);

  /* Two lines of eight groups, in a monospace font, to compare group by group. */
  shown = ferry_fingerprint_format (fingerprint);
  middle = strchr (shown, ' ');
  for (int i = 1; middle && i < 8; i++)
    middle = strchr (middle + 1, ' ');
  if (middle)
    *middle = '\n';
  /* Translators: %s is a server address; a fingerprint follows on the next lines */
  body = g_strdup_printf (_("%s is a server you have not used before. Trust it only if this "
                            "fingerprint matches the one the server printed when it "
                            "started:"), address);
  /* format_body_markup escapes what it inserts (the sentence and the fingerprint are text,
   * not markup), so the address is escaped once, there. */
  adw_message_dialog_set_body_use_markup (ADW_MESSAGE_DIALOG (self), TRUE);
  adw_message_dialog_format_body_markup (ADW_MESSAGE_DIALOG (self), "%s\n\n<tt>%s</tt>",
                                         body, shown);

  ferry_trust_dialog_add_answer (self, "trust", _("_Trust and Connect"),
                                 ADW_RESPONSE_SUGGESTED);
  return GTK_WIDGET (self);
}

GtkWidget *
ferry_trust_dialog_new_changed (GtkWindow  *parent,
                                const char *problem)
{
  FerryTrustDialog *self;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (problem != NULL, NULL);

  self = g_object_new (FERRY_TYPE_TRUST_DIALOG,
                       "transient-for", parent,
                       "heading", _("Server Identity Changed"),
                       "body", problem,
                       NULL);

  ferry_trust_dialog_add_answer (self, "forget", _("_Forget Server"),
                                 ADW_RESPONSE_DESTRUCTIVE);
  return GTK_WIDGET (self);
}

const char *
ferry_trust_dialog_get_fingerprint (FerryTrustDialog *self)
{
  g_return_val_if_fail (FERRY_IS_TRUST_DIALOG (self), NULL);

  return self->fingerprint;
}
