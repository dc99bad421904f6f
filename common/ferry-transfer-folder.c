/* ferry-transfer-folder.c: what a folder adds to a transfer — the walk before an upload
 * (PROTOCOL.md §5, Folders; a download's NAME.part/ tree lives in ferry-transfer-landing.c
 * and ferry-transfer-resume.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-transfer"

#include "config.h"

#include <glib/gi18n.h>


#include "ferry-transfer-private.h"
#include "ferry-error.h"
#include "ferry-folder-input-stream.h"
#include "ferry-folder-scan.h"

static void
folder_scanned_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(FerryFolderScan) scan = NULL;
  GError *error = NULL;

  scan = ferry_folder_scan_finish (result, &error);
  if (!scan)
    {
      ferry_transfer_fail (self, error);
      return;
    }
  /* PROTOCOL.md §3: a folder holds at least one file, so that its option tells it from a
   * file. */
  if (scan->header->n_files == 0)
    {
      ferry_transfer_fail (self, g_error_new (FERRY_ERROR, FERRY_ERROR_INVALID_NAME,
                                              _("“%s” holds no files; there is nothing to "
                                                "share."), self->name));
      return;
    }

  self->is_folder = TRUE;
  self->folder_files = scan->header->n_files;
  self->folder_content = scan->header->content_size;
  self->folder_skipped = scan->n_skipped;
  self->folder_first_skipped = g_steal_pointer (&scan->first_skipped);
  ferry_transfer_set_total (self, ferry_folder_header_stream_size (scan->header));
  self->upload_mtime = scan->newest_mtime;
  self->input = ferry_folder_input_stream_new (self->file, g_steal_pointer (&scan->header), 0);
  ferry_transfer_upload_prepare (self);
}

void
ferry_transfer_start_folder_upload (FerryTransfer *self)
{
  ferry_folder_scan_async (self->file, self->cancellable, folder_scanned_cb,
                           g_object_ref (self));
}

guint
ferry_transfer_get_folder_skipped (FerryTransfer  *self,
                                   const char    **first)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);

  if (first)
    *first = self->folder_first_skipped;
  return self->folder_skipped;
}

gboolean
ferry_transfer_get_is_folder (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);
  return self->is_folder;
}
