/* ferry-offer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-offer"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ferry-offer.h"
#include "ferry-checksum.h"
#include "ferry-message.h"

struct _FerryOffer
{
  GObject parent_instance;

  char    *id;
  char    *name;
  char    *uploader;
  char    *sha256_hex;
  char    *content_type;
  guint8   sha256[FERRY_SHA256_SIZE];
  guint64  size;
  gint64   created;
  gint64   expires;
  gboolean mine;
  guint32  folder_files;
  guint64  folder_bytes;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_SIZE,
  PROP_SHA256,
  PROP_UPLOADER,
  PROP_CREATED,
  PROP_EXPIRES,
  PROP_MINE,
  PROP_FOLDER_FILES,
  PROP_FOLDER_BYTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryOffer, ferry_offer, G_TYPE_OBJECT)

static void
ferry_offer_finalize (GObject *object)
{
  FerryOffer *self = FERRY_OFFER (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->uploader);
  g_free (self->sha256_hex);
  g_free (self->content_type);

  G_OBJECT_CLASS (ferry_offer_parent_class)->finalize (object);
}

static void
ferry_offer_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FerryOffer *self = FERRY_OFFER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;
    case PROP_SHA256:
      g_value_set_string (value, self->sha256_hex);
      break;
    case PROP_UPLOADER:
      g_value_set_string (value, self->uploader);
      break;
    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    case PROP_EXPIRES:
      g_value_set_int64 (value, self->expires);
      break;
    case PROP_MINE:
      g_value_set_boolean (value, self->mine);
      break;
    case PROP_FOLDER_FILES:
      g_value_set_uint (value, self->folder_files);
      break;
    case PROP_FOLDER_BYTES:
      g_value_set_uint64 (value, self->folder_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_offer_class_init (FerryOfferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = ferry_offer_finalize;
  object_class->get_property = ferry_offer_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_SIZE] = g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_SHA256] = g_param_spec_string ("sha256", NULL, NULL, NULL, flags);
  properties[PROP_UPLOADER] = g_param_spec_string ("uploader", NULL, NULL, NULL, flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL,
                                                 G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_EXPIRES] = g_param_spec_int64 ("expires", NULL, NULL,
                                                 G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_MINE] = g_param_spec_boolean ("mine", NULL, NULL, FALSE, flags);
  properties[PROP_FOLDER_FILES] = g_param_spec_uint ("folder-files", NULL, NULL,
                                                     0, G_MAXUINT32, 0, flags);
  properties[PROP_FOLDER_BYTES] = g_param_spec_uint64 ("folder-bytes", NULL, NULL,
                                                       0, G_MAXUINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_offer_init (FerryOffer *self)
{
}

FerryOffer *
ferry_offer_new (const char   *id,
                 const char   *name,
                 guint64       size,
                 const guint8 *sha256,
                 const char   *uploader,
                 gint64        created,
                 gint64        expires,
                 gboolean      mine,
                 guint32       folder_files,
                 guint64       folder_bytes)
{
  FerryOffer *self;

  g_return_val_if_fail (id != NULL && name != NULL && sha256 != NULL && uploader != NULL, NULL);

  self = g_object_new (FERRY_TYPE_OFFER, NULL);
  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->size = size;
  memcpy (self->sha256, sha256, FERRY_SHA256_SIZE);
  self->sha256_hex = ferry_sha256_to_hex (self->sha256);
  self->uploader = g_strdup (uploader);
  self->created = created;
  self->expires = expires;
  self->mine = mine;
  self->folder_files = folder_files;
  self->folder_bytes = folder_bytes;
  return self;
}

FerryOffer *
ferry_offer_new_from_variant (GVariant *value)
{
  const char *id;
  const char *name;
  const char *uploader;
  const guint8 *sha256;
  guint64 size;
  gint64 created;
  gint64 expires;
  gboolean mine;
  guint32 folder_files;
  guint64 folder_bytes;

  g_return_val_if_fail (value != NULL, NULL);

  ferry_msg_offer_get (value, &id, &name, &size, &sha256, &uploader, &created, &expires, &mine,
                       &folder_files, &folder_bytes);
  return ferry_offer_new (id, name, size, sha256, uploader, created, expires, mine,
                          folder_files, folder_bytes);
}

#define GETTER(type, field) \
  type ferry_offer_get_##field (FerryOffer *self) \
  { \
    g_return_val_if_fail (FERRY_IS_OFFER (self), (type) 0); \
    return self->field; \
  }

GETTER (const char *, id)
GETTER (const char *, name)
GETTER (guint64, size)
GETTER (const char *, sha256_hex)
GETTER (const char *, uploader)
GETTER (gint64, created)
GETTER (gint64, expires)
GETTER (gboolean, mine)
GETTER (guint32, folder_files)
GETTER (guint64, folder_bytes)

gboolean
ferry_offer_is_folder (FerryOffer *self)
{
  g_return_val_if_fail (FERRY_IS_OFFER (self), FALSE);
  return self->folder_files != 0 || self->folder_bytes != 0;
}

const guint8 *
ferry_offer_get_sha256 (FerryOffer *self)
{
  g_return_val_if_fail (FERRY_IS_OFFER (self), NULL);
  return self->sha256;
}

const char *
ferry_offer_get_content_type (FerryOffer *self)
{
  g_return_val_if_fail (FERRY_IS_OFFER (self), NULL);

  if (!self->content_type)
    self->content_type = g_content_type_guess (self->name, NULL, 0, NULL);
  return self->content_type;
}
