/* ferry-web-upload.c: uploads through the web front (docs/HTTP.md §5), over the same upload
 * engine as the native protocol (ferry-upload-job.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * POST /api/uploads begins a FerryUploadJob and keeps it here under its token, so that the
 * PUTs that follow go on with its SHA-256 without reading the file again. A job left without a
 * request for FERRY_WEB_UPLOAD_IDLE_S is detached: kept on disk for --keep-partial like a cut
 * native upload, and continued (its bytes read once into the SHA-256) by the next GET or PUT of
 * its token. A request body streams to the job: it is read in pieces of at most
 * FERRY_WEB_UPLOAD_PIECE bytes, and the request is paused while the job's writer is full.
 */
#define G_LOG_DOMAIN "ferry-server"

#include "config.h"

#include "ferry-web-upload-private.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-checksum.h"
#include "ferry-error.h"
#include "ferry-message.h"

#define UPLOADS_KEY "ferry-web-uploads"
#define ENDED_KEY   "ferry-web-upload-ended"
/* libsoup 3.2 names no 429. */
#define STATUS_TOO_MANY_REQUESTS 429


typedef struct
{
  FerryWeb   *web;            /* borrowed: it owns this */
  GHashTable *uploads;        /* token -> FerryWebUpload */
  guint       sweep_id;
} Uploads;

static void
web_upload_free (FerryWebUpload *upload)
{
  /* Not finished by a request: kept for resuming when the server keeps partial uploads. */
  ferry_upload_job_detach (upload->job);
  g_object_unref (upload->job);
  g_free (upload->address);
  g_free (upload);
}

static void
uploads_free (Uploads *uploads)
{
  g_clear_handle_id (&uploads->sweep_id, g_source_remove);
  g_hash_table_unref (uploads->uploads);
  g_free (uploads);
}

static Uploads *
get_uploads (FerryWeb *web)
{
  return g_object_get_data (G_OBJECT (web), UPLOADS_KEY);
}

static gboolean
sweep_cb (gpointer user_data)
{
  Uploads *uploads = user_data;
  gint64 limit = g_get_monotonic_time () - (gint64) FERRY_WEB_UPLOAD_IDLE_S * G_USEC_PER_SEC;
  GHashTableIter iter;
  FerryWebUpload *upload;

  g_hash_table_iter_init (&iter, uploads->uploads);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &upload))
    if (!upload->busy && (upload->active < limit || ferry_upload_job_is_over (upload->job)))
      g_hash_table_iter_remove (&iter);
  return G_SOURCE_CONTINUE;
}

static void
ended_cb (SoupServerMessage *msg,
          gpointer           user_data)
{
  g_object_set_data (G_OBJECT (msg), ENDED_KEY, GINT_TO_POINTER (2));
}

void
ferry_web_upload_pause (SoupServerMessage *msg)
{
  if (!g_object_get_data (G_OBJECT (msg), ENDED_KEY))
    {
      g_object_set_data (G_OBJECT (msg), ENDED_KEY, GINT_TO_POINTER (1));
      g_signal_connect (msg, "finished", G_CALLBACK (ended_cb), NULL);
    }
  soup_server_message_pause (msg);
}

gboolean
ferry_web_upload_ended (SoupServerMessage *msg)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (msg), ENDED_KEY)) == 2;
}

void
ferry_web_upload_resume (SoupServerMessage *msg)
{
  if (!ferry_web_upload_ended (msg))
    soup_server_message_unpause (msg);
}

gboolean
ferry_web_upload_check_room (FerryWeb          *web,
                             SoupServerMessage *msg)
{
  const char *address = ferry_web_get_address (web, msg);
  GHashTableIter iter;
  FerryWebUpload *upload;
  guint n = 0;

  g_hash_table_iter_init (&iter, get_uploads (web)->uploads);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &upload))
    n += g_strcmp0 (upload->address, address) == 0;
  if (n < FERRY_WEB_UPLOADS_PER_ADDRESS)
    return TRUE;
  ferry_web_reply_error (msg, STATUS_TOO_MANY_REQUESTS, "BUSY",
                         _("Too many unfinished uploads from this address; finish or delete "
                           "some first."));
  return FALSE;
}

void
ferry_web_upload_forget (FerryWeb   *web,
                         const char *token)
{
  g_hash_table_remove (get_uploads (web)->uploads, token);
}

FerryUploadJob *
ferry_web_upload_new_job (FerryWeb          *web,
                          SoupServerMessage *msg,
                          const char        *uploader,
                          const guint8      *owner_hash)
{
  FerryUploadJobSource source = {
    .peer = ferry_web_get_peer (web, msg),
    .address = ferry_web_get_address (web, msg),
    .uploader = uploader,
    .owner_hash = owner_hash,
    .max_file_size = web->config.max_file_size,
    .expire_seconds = web->config.expire_seconds,
  };

  return ferry_upload_job_new (web->store, web->hub, &source);
}

FerryWebUpload *
ferry_web_upload_hold (FerryWeb          *web,
                       SoupServerMessage *msg,
                       FerryUploadJob    *job,
                       const guint8      *owner_hash)
{
  Uploads *uploads = get_uploads (web);
  FerryWebUpload *upload = g_new0 (FerryWebUpload, 1);

  upload->job = g_object_ref (job);
  upload->address = g_strdup (ferry_web_get_address (web, msg));
  memcpy (upload->owner_hash, owner_hash, FERRY_CATALOGUE_HASH_SIZE);
  upload->active = g_get_monotonic_time ();
  g_hash_table_replace (uploads->uploads, g_strdup (ferry_upload_job_get_token (job)), upload);
  return upload;
}

static void
reply_upload_json (SoupServerMessage *msg,
                   guint              status,
                   FerryUploadJob    *job,
                   gboolean           full)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  if (full)
    {
      json_builder_set_member_name (builder, "token");
      json_builder_add_string_value (builder, ferry_upload_job_get_token (job));
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, ferry_upload_job_get_name (job));
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, (gint64) ferry_upload_job_get_size (job));
    }
  json_builder_set_member_name (builder, "offset");
  json_builder_add_int_value (builder, (gint64) ferry_upload_job_get_offset (job));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  ferry_web_reply_json (msg, status, node);
}

void
ferry_web_upload_reply_offset (SoupServerMessage *msg,
                               FerryUploadJob    *job)
{
  reply_upload_json (msg, SOUP_STATUS_OK, job, FALSE);
}

void
ferry_web_upload_reply_conflict (SoupServerMessage *msg,
                                 const char        *sentence,
                                 gint64             offset)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, sentence);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, "CONFLICT");
  if (offset >= 0)
    {
      json_builder_set_member_name (builder, "offset");
      json_builder_add_int_value (builder, offset);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  ferry_web_reply_json (msg, SOUP_STATUS_CONFLICT, node);
}

/* The owner a request must name for an upload: FALSE when it was answered. */
static gboolean
require_owner (SoupServerMessage *msg,
               guint8             hash[FERRY_CATALOGUE_HASH_SIZE])
{
  gboolean malformed = FALSE;

  if (ferry_web_get_owner_hash (msg, hash, &malformed))
    return TRUE;
  if (!malformed)
    ferry_web_reply_error (msg, SOUP_STATUS_FORBIDDEN, "NOT_OWNER",
                           _("This upload needs the X-Ferry-Owner of the person who began it."));
  return FALSE;
}

/* Finding an upload by its token: the one held here, or a kept one continued. */

typedef struct
{
  FerryWeb          *web;
  SoupServerMessage *msg;
  FerryUploadJob    *job;
  FerryWebUploadFound found;
  char              *token;
  guint8             owner_hash[FERRY_CATALOGUE_HASH_SIZE];
} Finding;

static void
finding_free (Finding *finding)
{
  g_object_unref (finding->web);
  g_object_unref (finding->msg);
  g_clear_object (&finding->job);
  g_free (finding->token);
  g_free (finding);
}

static void
reply_not_found (SoupServerMessage *msg)
{
  ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                         _("This upload is not kept any more; start it again."));
}

static void
resumed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Finding *finding = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_upload_job_begin_finish (finding->job, result, &error))
    ferry_web_reply_gerror (finding->msg, error);
  else if (ferry_web_upload_ended (finding->msg))
    ferry_upload_job_detach (finding->job);
  else if (g_hash_table_contains (get_uploads (finding->web)->uploads, finding->token))
    {
      /* Another request continued it meanwhile: this one lost the race. */
      ferry_upload_job_detach (finding->job);
      ferry_web_upload_reply_conflict (finding->msg, _("Another request is using this upload."),
                                       -1);
    }
  else
    finding->found (finding->web, finding->msg,
                    ferry_web_upload_hold (finding->web, finding->msg, finding->job,
                                           finding->owner_hash));
  ferry_web_upload_resume (finding->msg);
  finding_free (finding);
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Finding *finding = user_data;
  g_autoptr(FerryPartialRow) row = NULL;
  g_autofree char *uploader = NULL;

  row = ferry_partials_lookup_finish (FERRY_PARTIALS (object), result, NULL);
  if (!row)
    reply_not_found (finding->msg);
  else if (memcmp (row->owner_hash, finding->owner_hash, FERRY_CATALOGUE_HASH_SIZE) != 0)
    ferry_web_reply_error (finding->msg, SOUP_STATUS_FORBIDDEN, "NOT_OWNER",
                           _("Only the person who began this upload can continue it."));
  /* A malformed X-Ferry-Name was answered 400. */
  else if ((uploader = ferry_web_dup_uploader (finding->msg, "web")))
    {
      finding->job = ferry_web_upload_new_job (finding->web, finding->msg, uploader,
                                               finding->owner_hash);
      ferry_upload_job_begin_async (finding->job, row->name, row->size, row->folder_files,
                                    row->folder_content, finding->token, TRUE, resumed_cb,
                                    finding);
      return;
    }
  ferry_web_upload_resume (finding->msg);
  finding_free (finding);
}

static void offset_found (FerryWeb *web, SoupServerMessage *msg, FerryWebUpload *upload);

void
ferry_web_upload_find (FerryWeb            *web,
                       SoupServerMessage   *msg,
                       const char          *token,
                       FerryWebUploadFound  found)
{
  Uploads *uploads = get_uploads (web);
  guint8 owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  FerryWebUpload *upload;
  Finding *finding;

  if (!require_owner (msg, owner_hash))
    return;
  upload = g_hash_table_lookup (uploads->uploads, token);
  /* Committed, or thrown away after a failed check. */
  if (upload && ferry_upload_job_is_over (upload->job))
    {
      if (!upload->busy)
        g_hash_table_remove (uploads->uploads, token);
      reply_not_found (msg);
      return;
    }
  if (upload)
    {
      if (memcmp (upload->owner_hash, owner_hash, FERRY_CATALOGUE_HASH_SIZE) != 0)
        ferry_web_reply_error (msg, SOUP_STATUS_FORBIDDEN, "NOT_OWNER",
                               _("Only the person who began this upload can continue it."));
      else if (upload->busy && found != offset_found)
        ferry_web_upload_reply_conflict (msg, _("Another request is using this upload."), -1);
      else
        found (web, msg, upload);
      return;
    }
  if (!ferry_id_is_valid (token))
    {
      reply_not_found (msg);
      return;
    }

  finding = g_new0 (Finding, 1);
  finding->web = g_object_ref (web);
  finding->msg = g_object_ref (msg);
  finding->found = found;
  finding->token = g_strdup (token);
  memcpy (finding->owner_hash, owner_hash, FERRY_CATALOGUE_HASH_SIZE);
  ferry_web_upload_pause (msg);
  ferry_partials_lookup_async (ferry_store_get_partials (web->store), token, looked_up_cb,
                               finding);
}

/* POST /api/uploads */

typedef struct
{
  FerryWeb          *web;
  SoupServerMessage *msg;
  FerryUploadJob    *job;
  guint8             owner_hash[FERRY_CATALOGUE_HASH_SIZE];
} Creation;

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Creation *creation = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_upload_job_begin_finish (creation->job, result, &error))
    ferry_web_reply_gerror (creation->msg, error);
  else if (ferry_web_upload_ended (creation->msg))
    /* Nobody learnt its token. */
    ferry_upload_job_abort (creation->job);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      ferry_web_upload_hold (creation->web, creation->msg, creation->job,
                             creation->owner_hash);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "token");
      json_builder_add_string_value (builder, ferry_upload_job_get_token (creation->job));
      json_builder_set_member_name (builder, "offset");
      json_builder_add_int_value (builder, 0);
      json_builder_set_member_name (builder, "keep_partial");
      json_builder_add_int_value (builder, (gint64) creation->web->config.keep_partial);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      ferry_web_reply_json (creation->msg, SOUP_STATUS_CREATED, node);
    }
  ferry_web_upload_resume (creation->msg);
  g_object_unref (creation->web);
  g_object_unref (creation->msg);
  g_object_unref (creation->job);
  g_free (creation);
}

static gboolean
get_count (JsonObject *object,
           const char *member,
           guint64     max,
           guint64    *value)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 n;

  if (!node || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  n = json_node_get_int (node);
  if (n < 0 || (guint64) n > max)
    return FALSE;
  *value = (guint64) n;
  return TRUE;
}

static void
create_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  g_autoptr(JsonObject) object = ferry_web_read_json_object (msg);
  g_autofree char *uploader = NULL;
  guint8 owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  JsonNode *name_node;
  JsonNode *folder_node;
  guint64 size;
  guint64 files = 0;
  guint64 bytes = 0;
  Creation *creation;

  if (!object || !require_owner (msg, owner_hash) ||
      !(uploader = ferry_web_dup_uploader (msg, "web")))
    return;
  name_node = json_object_get_member (object, "name");
  folder_node = json_object_get_member (object, "folder");
  if (!name_node || json_node_get_value_type (name_node) != G_TYPE_STRING ||
      !get_count (object, "size", G_MAXINT64, &size) ||
      (folder_node && !JSON_NODE_HOLDS_NULL (folder_node) &&
       (!JSON_NODE_HOLDS_OBJECT (folder_node) ||
        !get_count (json_node_get_object (folder_node), "files", G_MAXUINT32, &files) ||
        !get_count (json_node_get_object (folder_node), "bytes", G_MAXINT64, &bytes))))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("An upload needs a name, a size and maybe a folder."));
      return;
    }
  if (!ferry_web_upload_check_room (self, msg))
    return;

  creation = g_new0 (Creation, 1);
  creation->web = g_object_ref (self);
  creation->msg = g_object_ref (msg);
  creation->job = ferry_web_upload_new_job (self, msg, uploader, owner_hash);
  memcpy (creation->owner_hash, owner_hash, FERRY_CATALOGUE_HASH_SIZE);
  ferry_web_upload_pause (msg);
  ferry_upload_job_begin_async (creation->job, json_node_get_string (name_node), size,
                                (guint32) files, bytes, NULL, FALSE, created_cb, creation);
}

/* GET /api/uploads/TOKEN */

static void
offset_found (FerryWeb          *web,
              SoupServerMessage *msg,
              FerryWebUpload    *upload)
{
  upload->active = g_get_monotonic_time ();
  reply_upload_json (msg, SOUP_STATUS_OK, upload->job, TRUE);
}

static void
offset_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  ferry_web_upload_find (self, msg, rest, offset_found);
}

/* DELETE /api/uploads/TOKEN */

static void
abandon_found (FerryWeb          *web,
               SoupServerMessage *msg,
               FerryWebUpload    *upload)
{
  g_autofree char *token = g_strdup (ferry_upload_job_get_token (upload->job));

  ferry_upload_job_abort (upload->job);
  g_hash_table_remove (get_uploads (web)->uploads, token);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
abandon_cb (FerryWeb          *self,
            SoupServerMessage *msg,
            const char        *rest,
            gpointer           user_data)
{
  ferry_web_upload_find (self, msg, rest, abandon_found);
}

/* POST /api/uploads/TOKEN/finish */

typedef struct
{
  FerryWeb          *web;
  SoupServerMessage *msg;
  FerryWebUpload    *upload;    /* busy: stays in the table until this ends */
  char              *owner;     /* a fresh owner secret to return, or NULL */
} Finishing;

static void
finished_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Finishing *finishing = user_data;
  g_autoptr(FerryCatalogueRow) row = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = g_strdup (ferry_upload_job_get_token (finishing->upload->job));

  row = ferry_upload_job_finish_finish (FERRY_UPLOAD_JOB (object), result, &error);
  if (!row)
    ferry_web_reply_gerror (finishing->msg, error);
  else
    {
      g_autoptr(JsonNode) node = ferry_web_offer_to_json (row, finishing->upload->owner_hash);

      if (finishing->owner)
        json_object_set_string_member (json_node_get_object (node), "owner", finishing->owner);
      ferry_web_reply_json (finishing->msg, SOUP_STATUS_CREATED, node);
    }
  /* Committed or thrown away: the job is over either way. */
  finishing->upload->busy = FALSE;
  ferry_web_upload_forget (finishing->web, token);
  ferry_web_upload_resume (finishing->msg);
  g_object_unref (finishing->web);
  g_object_unref (finishing->msg);
  g_free (finishing->owner);
  g_free (finishing);
}

void
ferry_web_upload_finish (FerryWeb          *web,
                         SoupServerMessage *msg,
                         FerryWebUpload    *upload,
                         const guint8      *sha256,
                         const char        *owner)
{
  Finishing *finishing = g_new0 (Finishing, 1);

  finishing->web = g_object_ref (web);
  finishing->msg = g_object_ref (msg);
  finishing->upload = upload;
  finishing->owner = g_strdup (owner);
  upload->busy = TRUE;
  ferry_web_upload_pause (msg);
  ferry_upload_job_finish_async (upload->job, sha256, finished_cb, finishing);
}

static void
finish_found (FerryWeb          *web,
              SoupServerMessage *msg,
              FerryWebUpload    *upload)
{
  g_autoptr(JsonObject) object = ferry_web_read_json_object (msg);
  guint8 sha256[FERRY_SHA256_SIZE];
  const char *hex;

  if (!object)
    return;
  hex = json_object_get_string_member_with_default (object, "sha256", NULL);
  if (!hex || !ferry_sha256_from_hex (hex, sha256))
    {
      ferry_web_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "BAD_REQUEST",
                             _("Finishing an upload needs its SHA-256 in 64 hex digits."));
      return;
    }
  ferry_web_upload_finish (web, msg, upload, sha256, NULL);
}

static void
finish_cb (FerryWeb          *self,
           SoupServerMessage *msg,
           const char        *rest,
           gpointer           user_data)
{
  g_autofree char *token = NULL;
  const char *slash = strchr (rest, '/');

  if (!slash || strcmp (slash, "/finish") != 0)
    {
      ferry_web_reply_error (msg, SOUP_STATUS_NOT_FOUND, "NOT_FOUND",
                             _("There is nothing at this address."));
      return;
    }
  token = g_strndup (rest, (gsize) (slash - rest));
  ferry_web_upload_find (self, msg, token, finish_found);
}

void
ferry_web_upload_register (FerryWeb *self)
{
  static const FerryWebRoute routes[] = {
    { "POST", "/api/uploads", FERRY_WEB_ROUTE_DEFAULT, NULL, create_cb, NULL },
    { "GET", "/api/uploads/", FERRY_WEB_ROUTE_PREFIX, NULL, offset_cb, NULL },
    { "DELETE", "/api/uploads/", FERRY_WEB_ROUTE_PREFIX, NULL, abandon_cb, NULL },
    { "POST", "/api/uploads/", FERRY_WEB_ROUTE_PREFIX, NULL, finish_cb, NULL },
    { "PUT", "/api/uploads/", FERRY_WEB_ROUTE_PREFIX | FERRY_WEB_ROUTE_STREAM_BODY,
      ferry_web_upload_put_early, ferry_web_upload_put_body, NULL },
    { "PUT", "/api/upload/", FERRY_WEB_ROUTE_PREFIX | FERRY_WEB_ROUTE_STREAM_BODY,
      ferry_web_upload_one_shot_early, ferry_web_upload_put_body, NULL },
  };
  Uploads *uploads = g_new0 (Uploads, 1);

  uploads->web = self;
  uploads->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) web_upload_free);
  uploads->sweep_id = g_timeout_add_seconds (60, sweep_cb, uploads);
  g_object_set_data_full (G_OBJECT (self), UPLOADS_KEY, uploads, (GDestroyNotify) uploads_free);
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    ferry_web_add_route (self, &routes[i]);
}
