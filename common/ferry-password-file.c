/* ferry-password-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-password-file"

#include "config.h"

#include "ferry-password-file.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-error.h"

/* The password, a line ending, and one byte more to tell "too long" from "just fits". */
#define READ_LIMIT (FERRY_PASSWORD_MAX_BYTES + 3)

static void
wipe_free (char *buffer)
{
  if (buffer)
    memset (buffer, 0, READ_LIMIT + 1);
  g_free (buffer);
}

char *
ferry_password_file_read (GFile         *file,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *shown = NULL;
  char *buffer = NULL;
  gsize length = 0;
  gsize line;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  shown = g_file_get_parse_name (file);
  input = g_file_read (file, cancellable, &local_error);
  buffer = g_malloc0 (READ_LIMIT + 1);
  if (!input ||
      !g_input_stream_read_all (G_INPUT_STREAM (input), buffer, READ_LIMIT, &length,
                                cancellable, &local_error))
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                   /* Translators: %s is a sentence that names the file and says why */
                   _("Could not read the password file: %s"), local_error->message);
      wipe_free (buffer);
      return NULL;
    }
  g_input_stream_close (G_INPUT_STREAM (input), NULL, NULL);

  /* The buffer ends in NUL: the line stops at a newline, a NUL or the end of what was read. */
  line = strcspn (buffer, "\n");
  if (line > 0 && buffer[line - 1] == '\r')
    line--;

  if (line == 0)
    g_set_error (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                 _("The password file %s is empty; its first line must hold the password."),
                 shown);
  else if (line > FERRY_PASSWORD_MAX_BYTES)
    g_set_error (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                 _("The password in %s is longer than %u bytes."),
                 shown, (guint) FERRY_PASSWORD_MAX_BYTES);
  else if (!g_utf8_validate (buffer, (gssize) line, NULL))
    g_set_error (error, FERRY_ERROR, FERRY_ERROR_FAILED,
                 _("The password in %s is not valid UTF-8 text."), shown);
  else
    {
      char *password = g_strndup (buffer, line);

      wipe_free (buffer);
      return password;
    }

  wipe_free (buffer);
  return NULL;
}

char *
ferry_password_file_read_path (const char  *path,
                               GError     **error)
{
  g_autoptr(GFile) file = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_commandline_arg (path);
  return ferry_password_file_read (file, NULL, error);
}
