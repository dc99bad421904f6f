/* ferry-web-download.c: GET and HEAD /f/ID/NAME, an offer's bytes with Range, ETag and an
 * attachment's Content-Disposition (docs/HTTP.md §6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The offer is found by its id; NAME is cosmetic and any name is served (the file is the
 * same, and the attachment's name is always the offer's). A body is streamed: the blob is
 * read on a worker thread (FerryChunkReader) one chunk ahead of the socket, and each chunk
 * is appended to the response (not accumulated) when libsoup has written the one before, so
 * a download holds about two chunks, never the file. When the message finishes, or the client
 * goes away, the reads stop. A folder offer is sent as the zip FerryZipInputStream makes of its
 * stored folder stream, through the same chunks; its length is known once the folder stream's
 * header is read, so HEAD reads that too.
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ferry-checksum.h"
#include "ferry-chunk-reader.h"
#include "ferry-error.h"
#include "ferry-frame.h"
#include "ferry-links.h"
#include "ferry-message.h"
#include "ferry-zip-stream.h"

/* The download CSP replaces the page's (HTTP.md §4): a file is never rendered. */
#define DOWNLOAD_CSP "default-src 'none'; sandbox"

/* Chunks in the response body that libsoup has not written yet; with the reader's one chunk
 * ahead, what one download holds. */
#define MAX_QUEUED 1

typedef struct
{
  /* owned references */
  FerryWeb          *web;
  SoupServerMessage *msg;
  FerryCatalogueRow *row;
  GCancellable      *cancellable;   /* the blob's opening */
  FerryChunkReader  *reader;

  guint64            start;         /* the body is bytes [start, start + length) */
  guint64            length;
  guint              queued;        /* chunks appended that libsoup has not written */
  gboolean           reading;       /* a chunk is asked of the reader */
  gboolean           finished;      /* the message is over: no more I/O on it */
  gboolean           head;          /* HEAD of a folder: the zip's length, no body */
  gulong             wrote_id;
  gulong             finished_id;
  gulong             disconnected_id;
} Download;

static void
download_clear (Download *d)
{
  g_clear_object (&d->reader);
  g_clear_object (&d->cancellable);
  g_clear_pointer (&d->row, ferry_catalogue_row_unref);
  g_clear_object (&d->msg);
  g_clear_object (&d->web);
}

static Download *
download_ref (Download *d)
{
  return g_rc_box_acquire (d);
}

static void
download_unref (Download *d)
{
  g_rc_box_release_full (d, (GDestroyNotify) download_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Download, download_unref)

/* The message is over (written, or its client gone): stop everything. Holds the reference the
 * signal handlers had. */
static void
download_stop (Download *d)
{
  if (d->finished)
    return;
  d->finished = TRUE;
  g_cancellable_cancel (d->cancellable);
  if (d->reader)
    ferry_chunk_reader_cancel (d->reader);
  g_clear_signal_handler (&d->wrote_id, d->msg);
  g_clear_signal_handler (&d->finished_id, d->msg);
  g_clear_signal_handler (&d->disconnected_id, d->msg);
  download_unref (d);
}

static void
message_over_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  download_stop (user_data);
}

static void pump (Download *d);

static void
chunk_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Download) d = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = NULL;

  d->reading = FALSE;
  chunk = ferry_chunk_reader_next_finish (FERRY_CHUNK_READER (object), result, &error);
  if (d->finished)
    return;
  if (error)
    {
      FerryWebStream *stream = ferry_web_get_stream (d->web, d->msg);

      g_warning ("%s: download of %s cut short: %s", ferry_web_get_peer (d->web, d->msg),
                 d->row->id, error->message);
      /* The headers promised the length: the only honest end is to close the connection. */
      if (stream)
        ferry_web_stream_abort (stream);
      return;
    }
  /* NULL: every byte was read; libsoup ends the message once it has written them. */
  if (!chunk)
    return;

  soup_message_body_append_bytes (soup_server_message_get_response_body (d->msg), chunk);
  d->queued++;
  soup_server_message_unpause (d->msg);
  pump (d);
}

static void
pump (Download *d)
{
  if (d->finished || d->reading || d->queued >= MAX_QUEUED)
    return;
  d->reading = TRUE;
  ferry_chunk_reader_next_async (d->reader, NULL, chunk_cb, download_ref (d));
}

static void
wrote_chunk_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  Download *d = user_data;

  d->queued--;
  pump (d);
}

/* Headers (HTTP.md §6) */

/* The name of the attachment: the offer's, and NAME.zip for a folder. */
static char *
dup_attachment_name (FerryCatalogueRow *row)
{
  return row->is_folder ? g_strconcat (row->name, ".zip", NULL) : g_strdup (row->name);
}

/* attachment; filename="ASCII"; filename*=UTF-8''PERCENT (RFC 6266, RFC 5987): in the ASCII
 * form each character that is not printable ASCII, and '"' and '\', becomes '_'. */
static char *
content_disposition (const char *name)
{
  g_autoptr(GString) ascii = g_string_new (NULL);
  g_autofree char *percent = NULL;

  for (const char *p = name; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
        g_string_append_c (ascii, (char) c);
      else
        g_string_append_c (ascii, '_');
    }
  /* attr-char: ALPHA, DIGIT and !#$&+-.^_`|~ stay; everything else is escaped. */
  percent = g_uri_escape_string (name, "!#$&+^`|", FALSE);
  return g_strdup_printf ("attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii->str,
                          percent);
}

static char *
dup_etag (FerryCatalogueRow *row)
{
  g_autofree char *hex = ferry_sha256_to_hex (row->sha256);

  /* A zip is made from the stored stream, which the SHA-256 names; its bytes are not those,
   * so its tag is weak (and so never a validator for ranges, which a zip has none of). */
  return g_strdup_printf (row->is_folder ? "W/\"%s\"" : "\"%s\"", hex);
}

static char *
dup_last_modified (FerryCatalogueRow *row)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (row->created);

  return time ? soup_date_time_to_string (time, SOUP_DATE_HTTP) : NULL;
}

static void
set_entity_headers (SoupServerMessage *msg,
                    FerryCatalogueRow *row,
                    const char        *etag,
                    const char        *last_modified)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *name = dup_attachment_name (row);
  g_autofree char *disposition = content_disposition (name);

  soup_message_headers_replace (headers, "ETag", etag);
  if (last_modified)
    soup_message_headers_replace (headers, "Last-Modified", last_modified);
  soup_message_headers_replace (headers, "Accept-Ranges", row->is_folder ? "none" : "bytes");
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_message_headers_replace (headers, "Content-Type",
                                row->is_folder ? "application/zip" : "application/octet-stream");
  soup_message_headers_replace (headers, "Content-Security-Policy", DOWNLOAD_CSP);
}

/* Whether an If-None-Match list names @etag (weak comparison, RFC 9110 §13.1.2). */
static gboolean
none_match (const char *header,
            const char *etag)
{
  g_auto(GStrv) tags = g_strsplit (header, ",", -1);
  const char *bare = g_str_has_prefix (etag, "W/") ? etag + 2 : etag;

  for (guint i = 0; tags[i]; i++)
    {
      const char *tag = g_strstrip (tags[i]);

      if (g_str_has_prefix (tag, "W/"))
        tag += 2;
      if (g_str_equal (tag, "*") || g_str_equal (tag, bare))
        return TRUE;
    }
  return FALSE;
}

/* Range (RFC 9110 §14): */
typedef enum
{
  RANGE_WHOLE,           /* no Range, one we ignore (several, malformed), or a stale If-Range */
  RANGE_PART,            /* one satisfiable range */
  RANGE_UNSATISFIABLE,
} RangeAnswer;

static gboolean
parse_position (const char *text,
                const char *end,
                guint64    *value)
{
  guint64 v = 0;

  if (text == end)
    return FALSE;
  for (const char *p = text; p < end; p++)
    {
      if (!g_ascii_isdigit (*p) || v > (G_MAXUINT64 - 9) / 10)
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  *value = v;
  return TRUE;
}

/* Reads "bytes=A-B", "bytes=A-" or "bytes=-N" against a body of @size. */
static RangeAnswer
parse_range (const char *header,
                       guint64     size,
                       guint64    *start,
                       guint64    *length)
{
  const char *spec;
  const char *dash;
  const char *end;
  guint64 a, b;

  if (!g_str_has_prefix (header, "bytes="))
    return RANGE_WHOLE;
  spec = header + 6;
  while (*spec == ' ')
    spec++;
  end = spec + strlen (spec);
  while (end > spec && end[-1] == ' ')
    end--;
  /* Several ranges: the whole file (HTTP.md §6), rather than multipart/byteranges. */
  if (memchr (spec, ',', (gsize) (end - spec)))
    return RANGE_WHOLE;
  dash = memchr (spec, '-', (gsize) (end - spec));
  if (!dash)
    return RANGE_WHOLE;

  if (dash == spec)
    {
      /* The last N bytes. */
      if (!parse_position (dash + 1, end, &b))
        return RANGE_WHOLE;
      if (b == 0 || size == 0)
        return RANGE_UNSATISFIABLE;
      *length = MIN (b, size);
      *start = size - *length;
      return RANGE_PART;
    }
  if (!parse_position (spec, dash, &a))
    return RANGE_WHOLE;
  if (dash + 1 == end)
    b = G_MAXUINT64;
  else if (!parse_position (dash + 1, end, &b) || b < a)
    return RANGE_WHOLE;
  if (a >= size)
    return RANGE_UNSATISFIABLE;
  *start = a;
  *length = MIN (b, size - 1) - a + 1;
  return RANGE_PART;
}

/* The body */

static void
start_body (Download     *d,
            GInputStream *stream)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (d->msg);

  soup_message_headers_set_content_length (headers, (goffset) d->length);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (d->msg), FALSE);
  if (d->length == 0)
    {
      soup_server_message_unpause (d->msg);
      return;
    }
  d->reader = ferry_chunk_reader_new (stream, d->length, FERRY_CHUNK_SIZE, 1, FALSE);
  d->wrote_id = g_signal_connect (d->msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), d);
  pump (d);
}

/* The blob (or its zip) could not be opened: nothing was sent yet, so an error is. */
static void
fail_open (Download     *d,
           const GError *error)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (d->msg);

  soup_message_headers_remove (headers, "Content-Disposition");
  soup_message_headers_remove (headers, "ETag");
  soup_message_headers_remove (headers, "Content-Range");
  /* Deleted meanwhile (NOT_FOUND), or a sentence that names no server path. */
  if (g_error_matches (error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
    ferry_web_reply_gerror (d->msg, error);
  else
    {
      g_warning ("%s: cannot send %s: %s", ferry_web_get_peer (d->web, d->msg), d->row->id,
                 error->message);
      ferry_web_reply_error (d->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "INTERNAL",
                             error->message);
    }
  soup_server_message_unpause (d->msg);
}

static void
zip_opened_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Download) d = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryZipInputStream) zip = NULL;

  zip = ferry_zip_input_stream_new_finish (result, &error);
  if (d->finished)
    return;
  if (!zip)
    {
      fail_open (d, error);
      return;
    }
  d->length = ferry_zip_input_stream_get_length (zip);
  if (d->head)
    {
      soup_message_headers_set_content_length (soup_server_message_get_response_headers (d->msg),
                                               (goffset) d->length);
      soup_server_message_unpause (d->msg);
      return;
    }
  start_body (d, G_INPUT_STREAM (zip));
}

static void
blob_opened_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Download) d = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  FerryCatalogueRow *row = d->row;

  stream = ferry_store_open_blob_finish (d->web->store, result, &error);
  if (d->finished)
    return;
  if (!stream)
    fail_open (d, error);
  else if (row->is_folder)
    /* A zip's length is known once the folder stream's header is read. */
    ferry_zip_input_stream_new_async (stream, row->size, row->folder_files, row->folder_content,
                                      row->name, row->created, G_PRIORITY_DEFAULT,
                                      d->cancellable, zip_opened_cb, download_ref (d));
  else
    start_body (d, stream);
}

/* Link keys (HTTP.md §6): a request the gate let in by its ?key= alone opens this offer only
 * with a key made for it, not expired, while the offer exists (@row NULL: it does not).
 * Answers 403 otherwise. */
static gboolean
check_link_key (FerryWeb          *self,
                SoupServerMessage *msg,
                FerryCatalogueRow *row)
{
  const char *key = ferry_web_auth_get_link_key (msg);
  g_autoptr(GError) error = NULL;

  if (!key)
    return TRUE;
  if (row && ferry_links_check_key (self->links, row->id, key, &error))
    return TRUE;
  g_message ("%s: refused a link key for %s", ferry_web_get_peer (self, msg),
             row ? row->id : "an offer that is gone");
  ferry_web_reply_error (msg, SOUP_STATUS_FORBIDDEN, "FORBIDDEN",
                         error ? error->message
                               : _("This link's file is no longer shared."));
  return FALSE;
}

/* GET and HEAD /f/ID/NAME */
static void
download_cb (FerryWeb          *self,
             SoupServerMessage *msg,
             const char        *rest,
             gpointer           user_data)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *slash = strchr (rest, '/');
  g_autofree char *id = slash ? g_strndup (rest, (gsize) (slash - rest)) : NULL;
  g_autofree char *name = slash ? ferry_web_decode_segment (slash + 1) : NULL;
  g_autofree char *etag = NULL;
  g_autofree char *last_modified = NULL;
  g_autoptr(Download) d = NULL;
  const char *value;
  FerryCatalogueRow *row;
  RangeAnswer range = RANGE_WHOLE;
  guint64 start = 0;
  guint64 length = 0;

  row = id && name && ferry_id_is_valid (id) ? ferry_hub_lookup (self->hub, id) : NULL;
  if (!check_link_key (self, msg, row))
    return;
  if (!row)
    {
      ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                             _("No file with that id is shared."));
      return;
    }
  etag = dup_etag (row);
  last_modified = dup_last_modified (row);
  set_entity_headers (msg, row, etag, last_modified);

  value = soup_message_headers_get_one (request, "If-None-Match");
  if (value && none_match (value, etag))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }

  value = soup_message_headers_get_one (request, "Range");
  /* A zip has no ranges: it is built as it is sent. */
  if (value && !row->is_folder)
    {
      const char *if_range = soup_message_headers_get_one (request, "If-Range");

      /* If-Range: the range only if the client's copy is this one (the ETag, or the exact
       * Last-Modified); otherwise the whole file. */
      if (!if_range || g_str_equal (if_range, etag) ||
          (last_modified && g_str_equal (if_range, last_modified)))
        range = parse_range (value, row->size, &start, &length);
    }
  if (range == RANGE_UNSATISFIABLE)
    {
      g_autofree char *content_range = g_strdup_printf ("bytes */%" G_GUINT64_FORMAT, row->size);

      soup_message_headers_remove (response, "Content-Disposition");
      ferry_web_reply_error (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, "BAD_REQUEST",
                             _("The requested range is not within the file."));
      soup_message_headers_replace (response, "Content-Range", content_range);
      return;
    }
  if (range == RANGE_PART)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_set_content_range (response, (goffset) start,
                                              (goffset) (start + length - 1),
                                              (goffset) row->size);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      length = row->size;
    }

  if (soup_server_message_get_method (msg) == SOUP_METHOD_HEAD && !row->is_folder)
    {
      soup_message_headers_set_content_length (response, (goffset) length);
      return;
    }

  d = g_rc_box_new0 (Download);
  d->web = g_object_ref (self);
  d->msg = g_object_ref (msg);
  d->row = ferry_catalogue_row_ref (row);
  d->cancellable = g_cancellable_new ();
  d->start = start;
  d->length = length;
  d->head = soup_server_message_get_method (msg) == SOUP_METHOD_HEAD;
  g_debug ("%s: web download of %s, %" G_GUINT64_FORMAT " bytes from %" G_GUINT64_FORMAT,
           ferry_web_get_peer (self, msg), row->id, length, start);
  /* The handlers' reference, dropped by download_stop(). */
  download_ref (d);
  d->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (message_over_cb), d);
  d->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (message_over_cb), d);
  soup_server_message_pause (msg);
  ferry_store_open_blob_async (self->store, row->id, start, d->cancellable, blob_opened_cb,
                               download_ref (d));
}

void
ferry_web_download_register (FerryWeb *self)
{
  static const FerryWebRoute route = {
    "GET", "/f/", FERRY_WEB_ROUTE_PREFIX | FERRY_WEB_ROUTE_LINK_KEY, NULL, download_cb, NULL
  };

  ferry_web_add_route (self, &route);
}
