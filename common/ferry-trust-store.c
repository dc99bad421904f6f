/* ferry-trust-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-trust-store"

#include "config.h"

#include "ferry-trust-store.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ferry-identity.h"
#include "ferry-known-servers.h"

/* What says that the known-servers file changed (another program pinned or forgot a server). */
typedef struct
{
  gint64   mtime_usec;
  gint64   size;
  guint64  inode;
  gboolean exists;
  gboolean valid;      /* FALSE: never looked */
} Stamp;

struct _FerryTrustStore
{
  GObject      parent_instance;

  /* owned references */
  char        *identity_path;       /* NULL: the default */
  char        *known_servers_path;  /* NULL: the default */
  GHashTable  *pins;                /* key -> fingerprint; main thread only, after loading */
  GHashTable  *unsaved;             /* key -> fingerprint or "" (forgotten), during a read */
  GError      *pins_error;          /* why the known-servers file couldn't be read */
  GError      *load_error;          /* why the identity couldn't be loaded */
  GPtrArray   *waiting;             /* GTask, while loading */
  GThreadPool *writer;              /* one thread: writes in call order */

  GMutex       lock;                /* guards n_writes */
  GCond        written;
  guint        n_writes;            /* queued or running */

  guint8       secret[FERRY_SECRET_SIZE];
  gboolean     has_secret;
  Stamp        stamp;               /* of the known-servers file that pins came from */
};

G_DEFINE_FINAL_TYPE (FerryTrustStore, ferry_trust_store, G_TYPE_OBJECT)

typedef struct
{
  char *key;
  char *fingerprint;   /* NULL: forget */
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_free (job->key);
  g_free (job->fingerprint);
  g_free (job);
}

/* GFunc, on the writer thread. */
static void
write_job_run (gpointer data,
               gpointer user_data)
{
  WriteJob *job = data;
  FerryTrustStore *self = user_data;
  g_autoptr(GError) error = NULL;

  if (job->fingerprint)
    ferry_known_servers_add (self->known_servers_path, job->key, job->fingerprint, &error);
  else
    ferry_known_servers_remove (self->known_servers_path, job->key, &error);
  /* The memory is right for this run; the next one will ask again. */
  if (error)
    g_warning ("Could not save the list of trusted servers: %s", error->message);
  write_job_free (job);

  g_mutex_lock (&self->lock);
  self->n_writes--;
  g_cond_broadcast (&self->written);
  g_mutex_unlock (&self->lock);
}

static void
ferry_trust_store_finalize (GObject *object)
{
  FerryTrustStore *self = FERRY_TRUST_STORE (object);

  ferry_trust_store_flush (self);
  g_thread_pool_free (self->writer, FALSE, TRUE);
  g_free (self->identity_path);
  g_free (self->known_servers_path);
  g_clear_pointer (&self->pins, g_hash_table_unref);
  g_clear_pointer (&self->unsaved, g_hash_table_unref);
  g_clear_error (&self->pins_error);
  g_clear_error (&self->load_error);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  memset (self->secret, 0, sizeof self->secret);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->written);

  G_OBJECT_CLASS (ferry_trust_store_parent_class)->finalize (object);
}

static void
ferry_trust_store_class_init (FerryTrustStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_trust_store_finalize;
}

static void
ferry_trust_store_init (FerryTrustStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->written);
  self->writer = g_thread_pool_new (write_job_run, self, 1, FALSE, NULL);
  self->pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static char *
resolve (const char *path,
         char     *(*default_path) (void))
{
  return path ? g_strdup (path) : default_path ();
}

FerryTrustStore *
ferry_trust_store_get (const char *identity_path,
                       const char *known_servers_path)
{
  static GHashTable *stores;   /* "identity\nknown-servers" -> FerryTrustStore, for good */
  g_autofree char *identity = resolve (identity_path, ferry_identity_default_path);
  g_autofree char *known = resolve (known_servers_path, ferry_known_servers_default_path);
  g_autofree char *id = g_strconcat (identity, "\n", known, NULL);
  FerryTrustStore *self;

  /* Main thread only, like every FerryClient. */
  if (!stores)
    stores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self = g_hash_table_lookup (stores, id);
  if (!self)
    {
      self = g_object_new (FERRY_TYPE_TRUST_STORE, NULL);
      self->identity_path = g_steal_pointer (&identity);
      self->known_servers_path = g_steal_pointer (&known);
      g_hash_table_insert (stores, g_steal_pointer (&id), self);
    }
  return g_object_ref (self);
}

/* ---- loading ------------------------------------------------------------------------------ */

typedef struct
{
  char        *identity_path;
  char        *known_servers_path;
  FerryTrustStore *store;       /* only for ferry_trust_store_flush(), which is thread-safe */
  gboolean     need_secret;
  guint8       secret[FERRY_SECRET_SIZE];
  Stamp        stamp;           /* in: what the memory holds; out: what was read */
  gboolean     read_pins;       /* out: pins and pins_error are new */
  GHashTable  *pins;
  GError      *pins_error;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_free (data->identity_path);
  g_free (data->known_servers_path);
  g_clear_object (&data->store);
  memset (data->secret, 0, sizeof data->secret);
  g_clear_pointer (&data->pins, g_hash_table_unref);
  g_clear_error (&data->pins_error);
  g_free (data);
}

static Stamp
stamp_file (const char *path)
{
  GStatBuf st;
  Stamp stamp = { 0 };

  stamp.valid = TRUE;
  if (g_stat (path, &st) == 0)
    {
      stamp.exists = TRUE;
      stamp.size = st.st_size;
      stamp.inode = st.st_ino;
      stamp.mtime_usec = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
    }
  return stamp;
}

static gboolean
stamp_equal (const Stamp *a,
             const Stamp *b)
{
  return a->valid == b->valid && a->exists == b->exists && a->size == b->size &&
         a->inode == b->inode && a->mtime_usec == b->mtime_usec;
}

/* GTaskThreadFunc: the only reads of the two files. The identity is read once; the pins again
 * only when the file changed since (a stat tells). */
static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  GError *error = NULL;
  Stamp now;

  if (data->need_secret && !ferry_identity_load (data->identity_path, data->secret, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Our own writes first, so the file read below has them. */
  ferry_trust_store_flush (data->store);
  now = stamp_file (data->known_servers_path);
  if (!stamp_equal (&now, &data->stamp))
    {
      data->stamp = now;
      data->read_pins = TRUE;
      data->pins = ferry_known_servers_read_all (data->known_servers_path, &data->pins_error);
    }
  g_task_return_boolean (task, TRUE);
}

static void
load_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  FerryTrustStore *self = FERRY_TRUST_STORE (object);
  LoadData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);
  g_autoptr(GHashTable) unsaved = g_steal_pointer (&self->unsaved);
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (data->need_secret)
        memcpy (self->secret, data->secret, sizeof self->secret);
      self->has_secret = TRUE;
      if (data->read_pins)
        {
          g_clear_pointer (&self->pins, g_hash_table_unref);
          g_clear_error (&self->pins_error);
          self->pins = g_steal_pointer (&data->pins);
          self->pins_error = g_steal_pointer (&data->pins_error);
          self->stamp = data->stamp;
        }
    }

  /* Pins made while the file was being read: it may not have them yet. */
  if (self->pins && unsaved)
    {
      GHashTableIter iter;
      gpointer key, fingerprint;

      g_hash_table_iter_init (&iter, unsaved);
      while (g_hash_table_iter_next (&iter, &key, &fingerprint))
        {
          if (*(const char *) fingerprint)
            g_hash_table_replace (self->pins, g_strdup (key), g_strdup (fingerprint));
          else
            g_hash_table_remove (self->pins, key);
        }
    }

  for (guint i = 0; waiting && i < waiting->len; i++)
    {
      GTask *task = g_ptr_array_index (waiting, i);

      if (error)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

void
ferry_trust_store_load_async (FerryTrustStore     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) load = NULL;
  LoadData *data;

  g_return_if_fail (FERRY_IS_TRUST_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_trust_store_load_async);
  /* One read at a time; whoever comes meanwhile gets its result. */
  if (self->waiting)
    {
      g_ptr_array_add (self->waiting, g_steal_pointer (&task));
      return;
    }
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->waiting, g_steal_pointer (&task));

  data = g_new0 (LoadData, 1);
  data->identity_path = g_strdup (self->identity_path);
  data->known_servers_path = g_strdup (self->known_servers_path);
  data->store = g_object_ref (self);
  /* A failed identity load (a broken file) is tried again by the next caller. */
  data->need_secret = !self->has_secret;
  data->stamp = self->stamp;
  load = g_task_new (self, NULL, load_done_cb, NULL);
  g_task_set_source_tag (load, ferry_trust_store_load_async);
  g_task_set_task_data (load, data, (GDestroyNotify) load_data_free);
  g_task_run_in_thread (load, load_thread);
}

gboolean
ferry_trust_store_load_finish (FerryTrustStore  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const guint8 *
ferry_trust_store_get_secret (FerryTrustStore *self)
{
  g_return_val_if_fail (FERRY_IS_TRUST_STORE (self), NULL);
  g_return_val_if_fail (self->has_secret, NULL);
  return self->secret;
}

/* ---- pins --------------------------------------------------------------------------------- */

char *
ferry_trust_store_lookup (FerryTrustStore  *self,
                          const char       *key,
                          GError          **error)
{
  g_return_val_if_fail (FERRY_IS_TRUST_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (self->pins_error)
    {
      g_propagate_error (error, g_error_copy (self->pins_error));
      return NULL;
    }
  if (!self->pins)
    return NULL;
  return g_strdup (g_hash_table_lookup (self->pins, key));
}

static void
queue_write (FerryTrustStore *self,
             const char      *key,
             const char      *fingerprint)
{
  WriteJob *job = g_new0 (WriteJob, 1);

  /* A read in progress may miss this write: it is applied again after the read. */
  if (self->waiting)
    {
      if (!self->unsaved)
        self->unsaved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_replace (self->unsaved, g_strdup (key),
                            g_strdup (fingerprint ? fingerprint : ""));
    }

  job->key = g_strdup (key);
  job->fingerprint = g_strdup (fingerprint);
  g_mutex_lock (&self->lock);
  self->n_writes++;
  g_mutex_unlock (&self->lock);
  g_thread_pool_push (self->writer, job, NULL);
}

void
ferry_trust_store_pin (FerryTrustStore *self,
                       const char      *key,
                       const char      *fingerprint)
{
  g_return_if_fail (FERRY_IS_TRUST_STORE (self));
  g_return_if_fail (key != NULL && fingerprint != NULL);

  if (self->pins)
    g_hash_table_replace (self->pins, g_strdup (key), g_strdup (fingerprint));
  queue_write (self, key, fingerprint);
}

void
ferry_trust_store_forget (FerryTrustStore *self,
                          const char      *key)
{
  g_return_if_fail (FERRY_IS_TRUST_STORE (self));
  g_return_if_fail (key != NULL);

  if (self->pins)
    g_hash_table_remove (self->pins, key);
  queue_write (self, key, NULL);
}

void
ferry_trust_store_flush (FerryTrustStore *self)
{
  g_return_if_fail (FERRY_IS_TRUST_STORE (self));

  g_mutex_lock (&self->lock);
  while (self->n_writes > 0)
    g_cond_wait (&self->written, &self->lock);
  g_mutex_unlock (&self->lock);
}
