/* ferry-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-message"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-message-private.h"
#include "ferry-error.h"

static const char *variant_types[] = {
  [FERRY_MSG_HELLO] = FERRY_HELLO_TYPE,
  [FERRY_MSG_WELCOME] = FERRY_WELCOME_TYPE,
  [FERRY_MSG_SUBSCRIBE] = FERRY_SUBSCRIBE_TYPE,
  [FERRY_MSG_OFFER] = FERRY_OFFER_TYPE,
  [FERRY_MSG_SYNCED] = FERRY_SYNCED_TYPE,
  [FERRY_MSG_DELETED] = FERRY_DELETED_TYPE,
  [FERRY_MSG_UPLOAD] = FERRY_UPLOAD_TYPE,
  [FERRY_MSG_ACCEPT] = FERRY_ACCEPT_TYPE,
  [FERRY_MSG_DATA] = NULL,
  [FERRY_MSG_END] = FERRY_END_TYPE,
  [FERRY_MSG_DOWNLOAD] = FERRY_DOWNLOAD_TYPE,
  [FERRY_MSG_DELETE] = FERRY_DELETE_TYPE,
  [FERRY_MSG_ERROR] = FERRY_ERROR_TYPE,
  [FERRY_MSG_PING] = FERRY_PING_TYPE,
  [FERRY_MSG_PONG] = FERRY_PONG_TYPE,
  [FERRY_MSG_LINK] = FERRY_LINK_TYPE,
};

const GVariantType *
ferry_message_get_variant_type (FerryMessageType type)
{
  if (type < FERRY_MSG_FIRST || type > FERRY_MSG_LAST)
    return NULL;
  return (const GVariantType *) variant_types[type];
}

gboolean
ferry_message_is_of_type (GVariant         *value,
                          FerryMessageType  type)
{
  const GVariantType *vtype = ferry_message_get_variant_type (type);

  if (!value || !vtype)
    return FALSE;
  return g_variant_is_of_type (value, vtype) ||
         (type == FERRY_MSG_LINK &&
          g_variant_is_of_type (value, G_VARIANT_TYPE (FERRY_LINK_ANSWER_TYPE)));
}

GBytes *
ferry_message_encode (FerryMessageType  type,
                      guint16           flags,
                      GVariant         *value)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) normal = NULL;
  g_autoptr(GBytes) payload = NULL;

  g_return_val_if_fail (value != NULL, NULL);

  owned = g_variant_ref_sink (value);
  g_return_val_if_fail (ferry_message_is_of_type (owned, type), NULL);

  normal = g_variant_get_normal_form (owned);
  payload = g_variant_get_data_as_bytes (normal);
  return ferry_frame_encode (type, flags, payload);
}

gboolean
ferry_id_is_valid (const char *id)
{
  gsize len;

  if (!id)
    return FALSE;
  len = strlen (id);
  if (len == 0 || len > FERRY_MAX_ID_LEN)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

gboolean
ferry_name_check (const char  *name,
                  gsize        max_len,
                  GError     **error)
{
  gsize len = strlen (name);

  if (len == 0)
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INVALID_NAME,
                           _("The name is empty."));
      return FALSE;
    }
  if (len > max_len)
    {
      g_set_error (error, FERRY_ERROR, FERRY_ERROR_INVALID_NAME,
                   _("The name is %zu bytes long; the limit is %zu."), len, max_len);
      return FALSE;
    }
  if (!g_utf8_validate (name, len, NULL))
    {
      g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_INVALID_NAME,
                           _("The name is not valid UTF-8."));
      return FALSE;
    }
  return TRUE;
}

/* @format is a whole sentence with one %s, the message type's name. */
static gboolean G_GNUC_PRINTF (2, 3)
malformed (GError     **error,
           const char  *format,
           ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, FERRY_ERROR, FERRY_ERROR_MALFORMED, message);
  return FALSE;
}

#define TYPE_NAME(type) ferry_message_type_to_string (type)

static gboolean
check_bytes (GVariant         *v,
             gsize             index,
             gsize             expected,
             FerryMessageType  type,
             GError          **error)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (v, index);

  if (g_variant_n_children (child) != expected)
    return malformed (error, _("The peer sent a %s message with a field of the wrong "
                                "length."), TYPE_NAME (type));
  return TRUE;
}

static gboolean
check_id (GVariant         *v,
          gsize             index,
          gboolean          may_be_empty,
          FerryMessageType  type,
          GError          **error)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (v, index);
  const char *id = g_variant_get_string (child, NULL);

  if (may_be_empty && id[0] == '\0')
    return TRUE;
  if (!ferry_id_is_valid (id))
    return malformed (error, _("The peer sent a %s message with an invalid identifier."),
                             TYPE_NAME (type));
  return TRUE;
}

static gboolean
check_string (GVariant         *v,
              gsize             index,
              gsize             min_len,
              gsize             max_len,
              GError          **error)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (v, index);
  gsize len;
  const char *s = g_variant_get_string (child, &len);

  if (min_len == 0 && len == 0)
    return TRUE;
  return ferry_name_check (s, max_len, error);
}

static gboolean
check_software (GVariant         *v,
                FerryMessageType  type,
                GError          **error)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (v, 1);
  gsize len;

  g_variant_get_string (child, &len);
  if (len > FERRY_MAX_SOFTWARE_LEN)
    return malformed (error, _("The peer sent a %s message with an over-long software "
                                "name."), TYPE_NAME (type));
  return TRUE;
}

static gboolean
check_path (GVariant          *v,
            FerryMessageType   type,
            GError           **error)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (v, 0);

  if (g_variant_get_string (child, NULL)[0] != '/')
    return malformed (error, _("The peer sent a %s message with an invalid path."),
                      TYPE_NAME (type));
  return TRUE;
}

/* The `folder` option, when present, has its type: a peer that sends another is broken. */
static gboolean
check_folder_option (GVariant          *v,
                     FerryMessageType   type,
                     GError           **error)
{
  g_autoptr(GVariant) options = g_variant_get_child_value (v, g_variant_n_children (v) - 1);
  g_autoptr(GVariant) folder = g_variant_lookup_value (options, FERRY_OPTION_FOLDER, NULL);

  if (folder && !g_variant_is_of_type (folder, G_VARIANT_TYPE ("(ut)")))
    return malformed (error, _("The peer sent a %s message with an invalid folder option."),
                      TYPE_NAME (type));
  return TRUE;
}

static gboolean
check_fields (FerryMessageType   type,
              GVariant          *v,
              GError           **error)
{
  switch (type)
    {
    case FERRY_MSG_HELLO:
      return check_software (v, type, error) &&
             check_string (v, 2, 1, FERRY_MAX_USER_LEN, error) &&
             check_bytes (v, 3, FERRY_SECRET_SIZE, type, error);
    case FERRY_MSG_WELCOME:
      return check_software (v, type, error);
    case FERRY_MSG_OFFER:
      return check_id (v, 0, FALSE, type, error) &&
             check_string (v, 1, 1, FERRY_MAX_NAME_LEN, error) &&
             check_bytes (v, 3, FERRY_SHA256_SIZE, type, error) &&
             check_string (v, 4, 1, FERRY_MAX_USER_LEN, error) &&
             check_folder_option (v, type, error);
    case FERRY_MSG_DELETED:
    case FERRY_MSG_DELETE:
    case FERRY_MSG_DOWNLOAD:
      return check_id (v, 0, FALSE, type, error);
    case FERRY_MSG_UPLOAD:
      return check_string (v, 0, 1, FERRY_MAX_NAME_LEN, error) &&
             check_id (v, 2, TRUE, type, error) &&
             check_folder_option (v, type, error);
    case FERRY_MSG_ACCEPT:
      return check_id (v, 0, TRUE, type, error);
    case FERRY_MSG_END:
      return check_bytes (v, 0, FERRY_SHA256_SIZE, type, error);
    case FERRY_MSG_LINK:
      /* The request names an offer; the answer is an absolute path. */
      if (g_variant_is_of_type (v, G_VARIANT_TYPE (FERRY_LINK_ANSWER_TYPE)))
        return check_path (v, type, error);
      return check_id (v, 0, FALSE, type, error);
    case FERRY_MSG_SUBSCRIBE:
    case FERRY_MSG_SYNCED:
    case FERRY_MSG_ERROR:
    case FERRY_MSG_PING:
    case FERRY_MSG_PONG:
      return TRUE;
    case FERRY_MSG_DATA:
    default:
      return malformed (error, _("The peer sent a %s message where none was expected."),
                               TYPE_NAME (type));
    }
}

GVariant *
ferry_message_parse (const FerryFrame  *frame,
                     GError           **error)
{
  const GVariantType *vtype;
  g_autoptr(GVariant) v = NULL;

  g_return_val_if_fail (frame != NULL && frame->payload != NULL, NULL);

  vtype = ferry_message_get_variant_type (frame->type);
  if (!vtype)
    {
      malformed (error, _("The peer sent a %s message whose payload is not "
                           "structured."), TYPE_NAME (frame->type));
      return NULL;
    }

  v = g_variant_ref_sink (g_variant_new_from_bytes (vtype, frame->payload, FALSE));
  if (!g_variant_is_normal_form (v) && frame->type == FERRY_MSG_LINK)
    {
      g_variant_unref (v);
      v = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (FERRY_LINK_ANSWER_TYPE),
                                                        frame->payload, FALSE));
    }
  if (!g_variant_is_normal_form (v))
    {
      malformed (error, _("The peer sent a %s message with a payload of the wrong type or "
                           "shape."), TYPE_NAME (frame->type));
      return NULL;
    }

  if (!check_fields (frame->type, v, error))
    return NULL;

  return g_steal_pointer (&v);
}

void
ferry_data_header_encode (guint8  *out,
                          guint64  offset,
                          gsize    len)
{
  g_return_if_fail (len > 0 && len <= FERRY_CHUNK_MAX);

  ferry_frame_header_encode (out, FERRY_MSG_DATA, 0, (guint32) (FERRY_DATA_HEADER_SIZE + len));
  for (int i = 0; i < 8; i++)
    out[FERRY_FRAME_HEADER_SIZE + i] = (guint8) (offset >> (56 - 8 * i));
}

gboolean
ferry_data_parse (const FerryFrame  *frame,
                  guint64           *offset,
                  const guint8     **data,
                  gsize             *len,
                  GError           **error)
{
  gsize size;
  const guint8 *p;
  guint64 off = 0;

  g_return_val_if_fail (frame->type == FERRY_MSG_DATA, FALSE);

  p = g_bytes_get_data (frame->payload, &size);
  if (size <= FERRY_DATA_HEADER_SIZE)
    return malformed (error, _("The peer sent a %s message with no data."),
                             TYPE_NAME (FERRY_MSG_DATA));

  for (int i = 0; i < 8; i++)
    off = (off << 8) | p[i];

  *offset = off;
  *data = p + FERRY_DATA_HEADER_SIZE;
  *len = size - FERRY_DATA_HEADER_SIZE;
  return TRUE;
}
