/* ferry-password-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-password-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-password-dialog.h"
#include "ferry-a11y.h"

struct _FerryPasswordDialog
{
  AdwMessageDialog  parent_instance;

  /* template widgets */
  GtkPasswordEntry *password_entry;
  GtkCheckButton   *remember_check;

  /* owned references */
  char             *address;
};

G_DEFINE_FINAL_TYPE (FerryPasswordDialog, ferry_password_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
password_changed_cb (FerryPasswordDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->password_entry));

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "connect", *text != '\0');
}

static void
ferry_password_dialog_dispose (GObject *object)
{
  FerryPasswordDialog *self = FERRY_PASSWORD_DIALOG (object);

  /* GTK 4.8's GtkPasswordEntry leaves a focus handler on its inner text, which the window
   * still holds as its focus widget and unfocuses only after the entry is gone: move the
   * focus away while the entry still exists. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_PASSWORD_DIALOG);

  G_OBJECT_CLASS (ferry_password_dialog_parent_class)->dispose (object);
}

static void
ferry_password_dialog_finalize (GObject *object)
{
  FerryPasswordDialog *self = FERRY_PASSWORD_DIALOG (object);

  g_free (self->address);

  G_OBJECT_CLASS (ferry_password_dialog_parent_class)->finalize (object);
}

static void
ferry_password_dialog_class_init (FerryPasswordDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_password_dialog_dispose;
  object_class->finalize = ferry_password_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-password-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryPasswordDialog, password_entry);
  gtk_widget_class_bind_template_child (widget_class, FerryPasswordDialog, remember_check);
  gtk_widget_class_bind_template_callback (widget_class, password_changed_cb);
}

static void
ferry_password_dialog_init (FerryPasswordDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The responses' buttons: "Cancel", not "_Cancel Cancel" (see ferry-a11y.h); and the check
   * button's name once, not its raw label followed by its label. */
  ferry_a11y_name_buttons (GTK_WIDGET (self));
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->remember_check),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

GtkWidget *
ferry_password_dialog_new (GtkWindow  *parent,
                           const char *address,
                           const char *problem,
                           gboolean    remember)
{
  FerryPasswordDialog *self;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (address != NULL, NULL);

  self = g_object_new (FERRY_TYPE_PASSWORD_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->address = g_strdup (address);
  ferry_password_dialog_set_problem (self, problem);
  ferry_password_dialog_set_remember (self, remember);
  return GTK_WIDGET (self);
}

void
ferry_password_dialog_set_problem (FerryPasswordDialog *self,
                                   const char          *problem)
{
  g_return_if_fail (FERRY_IS_PASSWORD_DIALOG (self));

  if (problem && *problem)
    {
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), problem);
    }
  else
    {
      g_autofree char *body = NULL;

      /* Translators: %s is a server address */
      body = g_strdup_printf (_("The server at %s asks for a password."), self->address);
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);
    }
}

const char *
ferry_password_dialog_get_password (FerryPasswordDialog *self)
{
  g_return_val_if_fail (FERRY_IS_PASSWORD_DIALOG (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->password_entry));
}

void
ferry_password_dialog_set_password (FerryPasswordDialog *self,
                                    const char          *password)
{
  g_return_if_fail (FERRY_IS_PASSWORD_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->password_entry), password ? password : "");
}

gboolean
ferry_password_dialog_get_remember (FerryPasswordDialog *self)
{
  g_return_val_if_fail (FERRY_IS_PASSWORD_DIALOG (self), FALSE);

  return gtk_check_button_get_active (self->remember_check);
}

void
ferry_password_dialog_set_remember (FerryPasswordDialog *self,
                                    gboolean             remember)
{
  g_return_if_fail (FERRY_IS_PASSWORD_DIALOG (self));

  gtk_check_button_set_active (self->remember_check, remember);
}
