/* ferry-share-dialog.c: FerryShareDialog
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-share-dialog"

#include "config.h"

#include "ferry-share-dialog.h"

#include <glib/gi18n.h>

#include "ferry-qr-code.h"

/* The code's side in pixels, about: every module is a whole number of pixels. */
#define QR_TARGET_SIDE 240

struct _FerryShareDialog
{
  AdwWindow parent_instance;

  /* template widgets */
  AdwToastOverlay *toast_overlay;
  GtkPicture      *qr_picture;
  GtkLabel        *url_label;
  GtkLabel        *password_label;

  /* owned references */
  char            *url;
};

G_DEFINE_FINAL_TYPE (FerryShareDialog, ferry_share_dialog, ADW_TYPE_WINDOW)

static void
ferry_share_dialog_copy_action (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *param)
{
  FerryShareDialog *self = FERRY_SHARE_DIALOG (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->url);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Address copied")));
}

static void
ferry_share_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), FERRY_TYPE_SHARE_DIALOG);

  G_OBJECT_CLASS (ferry_share_dialog_parent_class)->dispose (object);
}

static void
ferry_share_dialog_finalize (GObject *object)
{
  FerryShareDialog *self = FERRY_SHARE_DIALOG (object);

  g_clear_pointer (&self->url, g_free);

  G_OBJECT_CLASS (ferry_share_dialog_parent_class)->finalize (object);
}

static void
ferry_share_dialog_class_init (FerryShareDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_share_dialog_dispose;
  object_class->finalize = ferry_share_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/ferry/Ferry/ferry-share-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryShareDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FerryShareDialog, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, FerryShareDialog, url_label);
  gtk_widget_class_bind_template_child (widget_class, FerryShareDialog, password_label);

  gtk_widget_class_install_action (widget_class, "share.copy", NULL,
                                   ferry_share_dialog_copy_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK,
                                       "share.copy", NULL);
}

static void
ferry_share_dialog_init (FerryShareDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* The code as a texture: black on white whatever the style (a reader needs the contrast),
 * with its quiet zone, each module a square of whole pixels so that nothing is blurred. */
static void
set_qr_code (FerryShareDialog *self)
{
  g_autoptr(FerryQrCode) qr = NULL;
  g_autoptr(GBytes) pixels = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *description = NULL;
  g_autoptr(GError) error = NULL;
  guint side = 0;

  qr = ferry_qr_code_new (self->url, &error);
  if (!qr)
    {
      g_warning ("No QR code for %s: %s", self->url, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), FALSE);
      return;
    }
  pixels = ferry_qr_code_render (qr, MAX (1, QR_TARGET_SIDE / ferry_qr_code_get_size (qr)),
                                 &side);
  texture = gdk_memory_texture_new ((int) side, (int) side, GDK_MEMORY_R8G8B8, pixels,
                                    (gsize) side * 3);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (texture));

  /* Translators: the accessible description of the QR code; %s is a web address */
  description = g_strdup_printf (_("QR code of %s"), self->url);
  gtk_picture_set_alternative_text (self->qr_picture, description);
}

GtkWidget *
ferry_share_dialog_new (GtkWindow  *parent,
                        const char *url,
                        gboolean    needs_password)
{
  FerryShareDialog *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (FERRY_TYPE_SHARE_DIALOG, "transient-for", parent, NULL);
  self->url = g_strdup (url);
  gtk_label_set_label (self->url_label, url);
  gtk_widget_set_visible (GTK_WIDGET (self->password_label), needs_password);
  set_qr_code (self);
  return GTK_WIDGET (self);
}
