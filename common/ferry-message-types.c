/* ferry-message-types.c: one constructor and one accessor set per message of
 * docs/PROTOCOL.md §3. See ferry-message.h for the shape of the API.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-message"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-message-private.h"
#include "ferry-error.h"

static GVariant *
sha256_variant (const guint8 *digest)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, digest, FERRY_SHA256_SIZE, 1);
}

/* The options of OFFER and UPLOAD: the `folder` key, only for a folder (@files or @bytes not 0). */
static GVariant *
folder_options (guint32 files,
                guint64 bytes)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (files != 0 || bytes != 0)
    g_variant_builder_add (&options, "{sv}", FERRY_OPTION_FOLDER,
                           g_variant_new ("(ut)", files, bytes));
  return g_variant_builder_end (&options);
}

/* Reads the `folder` key of @options; 0/0 when it is absent or of another type. */
static void
folder_options_get (GVariant *options,
                    guint32  *files,
                    guint64  *bytes)
{
  guint32 f = 0;
  guint64 b = 0;

  g_variant_lookup (options, FERRY_OPTION_FOLDER, "(ut)", &f, &b);
  if (files)
    *files = f;
  if (bytes)
    *bytes = b;
}

/* A payload that ferry_message_parse() accepted as @type. */
static gboolean
is_payload (GVariant         *value,
            FerryMessageType  type)
{
  return ferry_message_is_of_type (value, type);
}

/* Borrows the bytes of a child "ay" whose length ferry_message_parse() checked. */
static const guint8 *
get_fixed_bytes (GVariant *value,
                 gsize     index)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (value, index);
  gsize n = 0;

  /* The data lives as long as @value: a child of a serialized value shares its bytes. */
  return g_variant_get_fixed_array (child, &n, 1);
}

/* The messages whose one field is an id: DELETED and DELETE. */
static GBytes *
id_message_new (FerryMessageType  type,
                const char       *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  return ferry_message_encode (type, 0, g_variant_new ("(s)", id));
}

static const char *
id_message_get (GVariant         *value,
                FerryMessageType  type)
{
  const char *id = NULL;

  g_return_val_if_fail (is_payload (value, type), NULL);

  g_variant_get (value, "(&s)", &id);
  return id;
}

/* The messages whose one field is a token: PING and PONG. */
static GBytes *
token_message_new (FerryMessageType type,
                   guint64          token)
{
  return ferry_message_encode (type, 0, g_variant_new ("(t)", token));
}

static guint64
token_message_get (GVariant         *value,
                   FerryMessageType  type)
{
  guint64 token = 0;

  g_return_val_if_fail (is_payload (value, type), 0);

  g_variant_get (value, "(t)", &token);
  return token;
}

GBytes *
ferry_msg_hello_new (guint32       version,
                     const char   *software,
                     const char   *user,
                     const guint8 *secret,
                     const char   *password)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_return_val_if_fail (software != NULL && user != NULL && secret != NULL, NULL);

  if (password)
    g_variant_builder_add (&options, "{sv}", FERRY_HELLO_OPTION_PASSWORD,
                           g_variant_new_string (password));
  return ferry_message_encode (FERRY_MSG_HELLO, 0,
                               g_variant_new ("(uss@ay@a{sv})", version, software, user,
                                              g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                         secret,
                                                                         FERRY_SECRET_SIZE, 1),
                                              g_variant_builder_end (&options)));
}

void
ferry_msg_hello_get (GVariant      *hello,
                     guint32       *version,
                     const char   **software,
                     const char   **user,
                     const guint8 **secret,
                     const char   **password)
{
  g_autoptr(GVariant) options = NULL;

  g_return_if_fail (is_payload (hello, FERRY_MSG_HELLO));

  g_variant_get (hello, "(u&s&s@ay@a{sv})", version, software, user, NULL, &options);
  if (secret)
    *secret = get_fixed_bytes (hello, 3);
  if (password)
    {
      /* A password of the wrong type counts as none. */
      *password = NULL;
      g_variant_lookup (options, FERRY_HELLO_OPTION_PASSWORD, "&s", password);
    }
}

GBytes *
ferry_msg_welcome_new (guint32     version,
                       const char *software,
                       guint64     max_file_size,
                       gboolean    auth,
                       guint64     keep_partial,
                       gboolean    web)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_return_val_if_fail (software != NULL, NULL);

  /* Sent only when true: the key is informational. */
  if (auth)
    g_variant_builder_add (&options, "{sv}", FERRY_WELCOME_OPTION_AUTH,
                           g_variant_new_boolean (TRUE));
  g_variant_builder_add (&options, "{sv}", FERRY_WELCOME_OPTION_KEEP_PARTIAL,
                         g_variant_new_uint64 (keep_partial));
  /* Sent only when true: a client sends LINK only when it is there. */
  if (web)
    g_variant_builder_add (&options, "{sv}", FERRY_WELCOME_OPTION_WEB,
                           g_variant_new_boolean (TRUE));
  return ferry_message_encode (FERRY_MSG_WELCOME, 0,
                               g_variant_new ("(ust@a{sv})", version, software, max_file_size,
                                              g_variant_builder_end (&options)));
}

void
ferry_msg_welcome_get (GVariant     *welcome,
                       guint32      *version,
                       const char  **software,
                       guint64      *max_file_size,
                       gboolean     *auth,
                       guint64      *keep_partial,
                       gboolean     *web)
{
  g_autoptr(GVariant) options = NULL;

  g_return_if_fail (is_payload (welcome, FERRY_MSG_WELCOME));

  g_variant_get (welcome, "(u&st@a{sv})", version, software, max_file_size, &options);
  if (auth)
    {
      *auth = FALSE;
      g_variant_lookup (options, FERRY_WELCOME_OPTION_AUTH, "b", auth);
    }
  if (keep_partial)
    {
      *keep_partial = 0;
      g_variant_lookup (options, FERRY_WELCOME_OPTION_KEEP_PARTIAL, "t", keep_partial);
    }
  if (web)
    {
      *web = FALSE;
      g_variant_lookup (options, FERRY_WELCOME_OPTION_WEB, "b", web);
    }
}

GBytes *
ferry_msg_subscribe_new (void)
{
  return ferry_message_encode (FERRY_MSG_SUBSCRIBE, 0, g_variant_new ("()"));
}

GBytes *
ferry_msg_offer_new (const char   *id,
                     const char   *name,
                     guint64       size,
                     const guint8 *sha256,
                     const char   *uploader,
                     gint64        created,
                     gint64        expires,
                     gboolean      mine,
                     guint32       folder_files,
                     guint64       folder_bytes,
                     guint16       flags)
{
  g_return_val_if_fail (id != NULL && name != NULL && sha256 != NULL && uploader != NULL, NULL);

  return ferry_message_encode (FERRY_MSG_OFFER, flags,
                               g_variant_new ("(sst@aysxxb@a{sv})", id, name, size,
                                              sha256_variant (sha256), uploader,
                                              created, expires, mine,
                                              folder_options (folder_files, folder_bytes)));
}

void
ferry_msg_offer_get (GVariant      *offer,
                     const char   **id,
                     const char   **name,
                     guint64       *size,
                     const guint8 **sha256,
                     const char   **uploader,
                     gint64        *created,
                     gint64        *expires,
                     gboolean      *mine,
                     guint32       *folder_files,
                     guint64       *folder_bytes)
{
  g_autoptr(GVariant) options = NULL;

  g_return_if_fail (is_payload (offer, FERRY_MSG_OFFER));

  g_variant_get (offer, "(&s&st@ay&sxxb@a{sv})", id, name, size, NULL, uploader, created,
                 expires, mine, &options);
  if (sha256)
    *sha256 = get_fixed_bytes (offer, 3);
  folder_options_get (options, folder_files, folder_bytes);
}

GBytes *
ferry_msg_synced_new (guint32 count)
{
  return ferry_message_encode (FERRY_MSG_SYNCED, 0, g_variant_new ("(u)", count));
}

guint32
ferry_msg_synced_get_count (GVariant *synced)
{
  guint32 count = 0;

  g_return_val_if_fail (is_payload (synced, FERRY_MSG_SYNCED), 0);

  g_variant_get (synced, "(u)", &count);
  return count;
}

GBytes *
ferry_msg_deleted_new (const char *id)
{
  return id_message_new (FERRY_MSG_DELETED, id);
}

const char *
ferry_msg_deleted_get_id (GVariant *deleted)
{
  return id_message_get (deleted, FERRY_MSG_DELETED);
}

GBytes *
ferry_msg_upload_new (const char *name,
                      guint64     size,
                      const char *resume_token,
                      guint32     folder_files,
                      guint64     folder_bytes)
{
  g_return_val_if_fail (name != NULL && resume_token != NULL, NULL);

  return ferry_message_encode (FERRY_MSG_UPLOAD, 0,
                               g_variant_new ("(sts@a{sv})", name, size, resume_token,
                                              folder_options (folder_files, folder_bytes)));
}

void
ferry_msg_upload_get (GVariant     *upload,
                      const char  **name,
                      guint64      *size,
                      const char  **resume_token,
                      guint32      *folder_files,
                      guint64      *folder_bytes)
{
  g_autoptr(GVariant) options = NULL;

  g_return_if_fail (is_payload (upload, FERRY_MSG_UPLOAD));

  g_variant_get (upload, "(&st&s@a{sv})", name, size, resume_token, &options);
  folder_options_get (options, folder_files, folder_bytes);
}

GBytes *
ferry_msg_accept_new (const char *resume_token,
                      guint64     offset)
{
  g_return_val_if_fail (resume_token != NULL, NULL);

  return ferry_message_encode (FERRY_MSG_ACCEPT, 0,
                               g_variant_new ("(st)", resume_token, offset));
}

void
ferry_msg_accept_get (GVariant     *accept,
                      const char  **resume_token,
                      guint64      *offset)
{
  g_return_if_fail (is_payload (accept, FERRY_MSG_ACCEPT));

  g_variant_get (accept, "(&st)", resume_token, offset);
}

GBytes *
ferry_msg_end_new (const guint8 *sha256)
{
  g_return_val_if_fail (sha256 != NULL, NULL);

  return ferry_message_encode (FERRY_MSG_END, 0, g_variant_new ("(@ay)", sha256_variant (sha256)));
}

const guint8 *
ferry_msg_end_get_sha256 (GVariant *end)
{
  g_return_val_if_fail (is_payload (end, FERRY_MSG_END), NULL);

  return get_fixed_bytes (end, 0);
}

GBytes *
ferry_msg_download_new (const char   *id,
                        guint64       offset,
                        const guint8 *if_sha256)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  g_return_val_if_fail (id != NULL, NULL);

  if (if_sha256)
    g_variant_builder_add (&options, "{sv}", FERRY_DOWNLOAD_OPTION_IF_SHA256,
                           sha256_variant (if_sha256));
  return ferry_message_encode (FERRY_MSG_DOWNLOAD, 0,
                               g_variant_new ("(st@a{sv})", id, offset,
                                              g_variant_builder_end (&options)));
}

void
ferry_msg_download_get (GVariant      *download,
                        const char   **id,
                        guint64       *offset,
                        const guint8 **if_sha256)
{
  g_autoptr(GVariant) options = NULL;

  g_return_if_fail (is_payload (download, FERRY_MSG_DOWNLOAD));

  g_variant_get (download, "(&st@a{sv})", id, offset, &options);
  if (if_sha256)
    {
      g_autoptr(GVariant) digest = NULL;

      *if_sha256 = NULL;
      digest = g_variant_lookup_value (options, FERRY_DOWNLOAD_OPTION_IF_SHA256,
                                       G_VARIANT_TYPE_BYTESTRING);
      /* The bytes live as long as @download: the options share its serialized data. */
      if (digest && g_variant_get_size (digest) == FERRY_SHA256_SIZE)
        *if_sha256 = g_variant_get_data (digest);
    }
}

GBytes *
ferry_msg_delete_new (const char *id)
{
  return id_message_new (FERRY_MSG_DELETE, id);
}

const char *
ferry_msg_delete_get_id (GVariant *delete_)
{
  return id_message_get (delete_, FERRY_MSG_DELETE);
}

GBytes *
ferry_msg_error_new (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return ferry_message_encode (FERRY_MSG_ERROR, 0,
                               g_variant_new ("(us)", ferry_error_to_wire (error),
                                              error->message));
}

void
ferry_msg_error_get (GVariant     *error_,
                     guint32      *code,
                     const char  **message)
{
  g_return_if_fail (is_payload (error_, FERRY_MSG_ERROR));

  g_variant_get (error_, "(u&s)", code, message);
}

GError *
ferry_msg_error_to_gerror (GVariant *error_)
{
  guint32 code = FERRY_ERROR_INTERNAL;
  const char *message = NULL;

  g_return_val_if_fail (is_payload (error_, FERRY_MSG_ERROR), NULL);

  ferry_msg_error_get (error_, &code, &message);
  if (!*message)
    message = _("The peer reported an error without a message.");
  return g_error_new_literal (FERRY_ERROR, ferry_error_from_wire (code), message);
}

GBytes *
ferry_msg_ping_new (guint64 token)
{
  return token_message_new (FERRY_MSG_PING, token);
}

guint64
ferry_msg_ping_get_token (GVariant *ping)
{
  return token_message_get (ping, FERRY_MSG_PING);
}

GBytes *
ferry_msg_pong_new (guint64 token)
{
  return token_message_new (FERRY_MSG_PONG, token);
}

guint64
ferry_msg_pong_get_token (GVariant *pong)
{
  return token_message_get (pong, FERRY_MSG_PONG);
}

GBytes *
ferry_msg_link_new (const char *id,
                    guint64     lifetime)
{
  g_return_val_if_fail (id != NULL, NULL);

  return ferry_message_encode (FERRY_MSG_LINK, 0, g_variant_new ("(st)", id, lifetime));
}

gboolean
ferry_msg_link_get (GVariant    *link,
                    const char **id,
                    guint64     *lifetime)
{
  g_return_val_if_fail (is_payload (link, FERRY_MSG_LINK), FALSE);

  if (!g_variant_is_of_type (link, G_VARIANT_TYPE (FERRY_LINK_TYPE)))
    return FALSE;
  g_variant_get (link, "(&st)", id, lifetime);
  return TRUE;
}

GBytes *
ferry_msg_link_answer_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return ferry_message_encode (FERRY_MSG_LINK, 0, g_variant_new ("(s)", path));
}

const char *
ferry_msg_link_answer_get_path (GVariant *link)
{
  const char *path = NULL;

  g_return_val_if_fail (is_payload (link, FERRY_MSG_LINK), NULL);

  if (!g_variant_is_of_type (link, G_VARIANT_TYPE (FERRY_LINK_ANSWER_TYPE)))
    return NULL;
  g_variant_get (link, "(&s)", &path);
  return path;
}
