/* ferry-cli-progress.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "ferry-cli-progress.h"
#include "ferry-units.h"

#define BAR_WIDTH 24

struct _FerryCliProgress
{
  FerryTransfer *transfer;
  char          *verb;
  gulong         handler;
  gulong         busy_handler;
  gboolean       drawn;
  gboolean       told_busy;
};

static void
draw (FerryCliProgress *self)
{
  double fraction = ferry_transfer_get_fraction (self->transfer);
  int filled = (int) (fraction * BAR_WIDTH);
  g_autofree char *done = ferry_format_size (ferry_transfer_get_bytes_done (self->transfer));
  g_autofree char *total = ferry_format_size (ferry_transfer_get_total (self->transfer));
  g_autofree char *rate = ferry_format_rate (ferry_transfer_get_bytes_per_second (self->transfer));
  gint64 left = ferry_transfer_get_seconds_left (self->transfer);
  g_autofree char *eta = left >= 0 ? ferry_format_duration ((guint64) left) : g_strdup ("--");
  g_autoptr(GString) bar = g_string_new (NULL);
  const char *name = ferry_transfer_get_name (self->transfer);

  for (int i = 0; i < BAR_WIDTH; i++)
    g_string_append (bar, i < filled ? "█" : "░");

  /* \033[K clears what a longer previous line left behind. */
  fprintf (stderr, "\r%s %.40s %s %3d%%  %s / %s  %s  %s %s\033[K",
           self->verb, name ? name : "", bar->str, (int) (fraction * 100), done, total, rate,
           _("ETA"), eta);
  fflush (stderr);
  self->drawn = TRUE;
}

/* The engine waits for a busy server on its own (FerryTransfer:server-busy); this only says so.
 * On a terminal it takes the progress line; elsewhere it is one line on stderr. */
static void
busy_cb (GObject    *object,
         GParamSpec *pspec,
         gpointer    user_data)
{
  FerryCliProgress *self = user_data;
  const char *name = ferry_transfer_get_name (self->transfer);

  if (!ferry_transfer_get_server_busy (self->transfer))
    return;
  if (isatty (STDERR_FILENO))
    {
      fprintf (stderr, "\r%s %.40s  %s\033[K", self->verb, name ? name : "",
               _("Server busy, waiting…"));
      fflush (stderr);
      self->drawn = TRUE;
    }
  else if (!self->told_busy)
    {
      fprintf (stderr, "%s %s: %s\n", self->verb, name ? name : "", _("Server busy, waiting…"));
      fflush (stderr);
    }
  self->told_busy = TRUE;
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  draw (user_data);
}

FerryCliProgress *
ferry_cli_progress_new (FerryTransfer *transfer,
                        const char    *verb)
{
  FerryCliProgress *self = g_new0 (FerryCliProgress, 1);

  self->transfer = g_object_ref (transfer);
  self->verb = g_strdup (verb);
  if (isatty (STDERR_FILENO))
    self->handler = g_signal_connect (transfer, "notify::bytes-done", G_CALLBACK (notify_cb), self);
  self->busy_handler = g_signal_connect (transfer, "notify::server-busy", G_CALLBACK (busy_cb),
                                         self);
  return self;
}

void
ferry_cli_progress_free (FerryCliProgress *self)
{
  if (!self)
    return;
  g_clear_signal_handler (&self->handler, self->transfer);
  g_clear_signal_handler (&self->busy_handler, self->transfer);
  if (self->drawn)
    fprintf (stderr, "\r\033[K");
  g_object_unref (self->transfer);
  g_free (self->verb);
  g_free (self);
}
