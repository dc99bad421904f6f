/* ferry-catalogue.h: the offers table, and the space the offers take
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An interface: FerrySqliteCatalogue (storage/local/) is the default, FerryMemoryCatalogue
 * (storage/memory/) serves tests. A catalogue owns the rows, offer-id generation and the
 * space accounting (quota and reservations); the free-space reading it is given comes from
 * the blob store (ferry-blob-store.h).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_CATALOGUE_HASH_SIZE 32

/* The most bytes that the uploads from one client address may hold reserved ahead of their
 * data (ferry-store.h explains reservations). */
#define FERRY_CATALOGUE_ADDRESS_AHEAD_MAX ((guint64) 16 * 1024 * 1024)

/* One committed offer, as the catalogue stores it. Reference counted and immutable once
 * shared, so the commit thread and the main thread can hold the same row. */
typedef struct
{
  char    *id;
  char    *name;
  guint64  size;
  guint8   sha256[FERRY_CATALOGUE_HASH_SIZE];
  char    *uploader;
  guint8   owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  gint64   created;
  gint64   expires;
  /* A folder (PROTOCOL.md §5, Folders): size is its stream's; these are the `folder` option. */
  gboolean is_folder;
  guint32  folder_files;
  guint64  folder_content;
} FerryCatalogueRow;

FerryCatalogueRow *ferry_catalogue_row_new   (void);
FerryCatalogueRow *ferry_catalogue_row_ref   (FerryCatalogueRow *row);
void               ferry_catalogue_row_unref (FerryCatalogueRow *row);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryCatalogueRow, ferry_catalogue_row_unref)

/* 16 random lowercase hex digits: the form of offer ids. */
char              *ferry_catalogue_random_id (void);
/* 32 random lowercase hex digits: the form of upload tokens (PROTOCOL.md §5, Upload). */
char              *ferry_catalogue_random_token (void);

/* An unfinished upload kept for resuming (PROTOCOL.md §5, Upload, Resume): recorded before
 * ACCEPT, so that it survives a restart. Its bytes are the blob store's partial TOKEN. */
typedef struct
{
  char     *token;
  guint8    owner_hash[FERRY_CATALOGUE_HASH_SIZE];
  char     *name;
  guint64   size;
  gboolean  is_folder;
  guint32   folder_files;
  guint64   folder_content;
  gint64    created;
  gint64    active;      /* last activity (seconds since the epoch): expiry counts from it */
} FerryPartialRow;

FerryPartialRow   *ferry_partial_row_new     (void);
FerryPartialRow   *ferry_partial_row_copy    (const FerryPartialRow *row);
void               ferry_partial_row_free    (FerryPartialRow *row);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryPartialRow, ferry_partial_row_free)

/* What an upload asks for. */
typedef struct
{
  const char *address;   /* NULL: a check before ACCEPT, which reserves nothing */
  guint64     need;      /* at least this (for a check: the file's size) */
  guint64     want;      /* at most this */
  guint64     rest;      /* what is still to come of the file, for messages */
} FerrySpaceRequest;

/* A reading of the blob store's free space (ferry_blob_store_query_space_async). */
typedef struct
{
  gboolean known;        /* FALSE: the blob store could not tell; only the quota counts */
  guint64  free_bytes;   /* what uploads may still use, the store's own margin taken off */
  guint64  mark;         /* ferry_catalogue_get_mark () just before the reading */
} FerryFreeSpace;

#define FERRY_TYPE_CATALOGUE (ferry_catalogue_get_type ())

G_DECLARE_INTERFACE (FerryCatalogue, ferry_catalogue, FERRY, CATALOGUE, GObject)

struct _FerryCatalogueInterface
{
  GTypeInterface parent_iface;

  /* Rows. Thread-safe and blocking: FerryStore calls them in worker threads. new_id and
   * release_id default to random ids checked with lookup and held in this process. */
  GPtrArray         *(*list)         (FerryCatalogue          *self,
                                      GError                 **error);
  FerryCatalogueRow *(*lookup)       (FerryCatalogue          *self,
                                      const char              *id,
                                      GError                 **error);
  gboolean           (*insert)       (FerryCatalogue          *self,
                                      const FerryCatalogueRow *row,
                                      GError                 **error);
  /* Inserts @n_rows rows at once, durable together; @errors[i] is set for each row that
   * failed. Defaults to one insert per row; the SQLite catalogue makes it one transaction. */
  void               (*insert_batch) (FerryCatalogue          *self,
                                      FerryCatalogueRow      **rows,
                                      guint                    n_rows,
                                      GError                 **errors);
  gboolean           (*remove)       (FerryCatalogue          *self,
                                      const char              *id,
                                      GError                 **error);
  char              *(*new_id)       (FerryCatalogue          *self,
                                      GError                 **error);
  void               (*release_id)   (FerryCatalogue          *self,
                                      const char              *id);
  void               (*close)        (FerryCatalogue          *self);

  /* Partial uploads. Thread-safe and blocking, like rows. */
  gboolean           (*put_partial)    (FerryCatalogue          *self,
                                        const FerryPartialRow   *row,
                                        GError                 **error);
  FerryPartialRow   *(*lookup_partial) (FerryCatalogue          *self,
                                        const char              *token,
                                        GError                 **error);
  gboolean           (*remove_partial) (FerryCatalogue          *self,
                                        const char              *token,
                                        GError                 **error);
  GPtrArray         *(*list_partials)  (FerryCatalogue          *self,
                                        GError                 **error);

  /* Space. Main thread only; they never block. The defaults keep the books in this process. */
  void               (*set_quota)    (FerryCatalogue          *self,
                                      guint64                  quota);
  guint64            (*get_used)     (FerryCatalogue          *self);
  guint64            (*get_mark)     (FerryCatalogue          *self);
  guint64            (*reserve)      (FerryCatalogue          *self,
                                      const FerrySpaceRequest *request,
                                      const FerryFreeSpace    *space,
                                      gboolean                *short_of_disk,
                                      GError                 **error);
  void               (*charge)       (FerryCatalogue          *self,
                                      const char              *address,
                                      guint64                  size);
  void               (*release)      (FerryCatalogue          *self,
                                      const char              *address,
                                      guint64                  ahead,
                                      guint64                  written);
  void               (*count)        (FerryCatalogue          *self,
                                      guint64                  added,
                                      guint64                  removed);
};

/* A new array of FerryCatalogueRow, oldest first (by created, then insertion order). */
GPtrArray         *ferry_catalogue_list          (FerryCatalogue          *self,
                                                  GError                 **error);
/* FERRY_ERROR_NOT_FOUND when no row has @id. */
FerryCatalogueRow *ferry_catalogue_lookup        (FerryCatalogue          *self,
                                                  const char              *id,
                                                  GError                 **error);
/* Fails (FERRY_ERROR_INTERNAL) when a row already has @row->id. */
gboolean           ferry_catalogue_insert        (FerryCatalogue          *self,
                                                  const FerryCatalogueRow *row,
                                                  GError                 **error);
/* ferry_catalogue_insert () for @n_rows rows that share one sync (group commit): @errors
 * (n_rows entries, all NULL on entry) says which failed. */
void               ferry_catalogue_insert_batch  (FerryCatalogue          *self,
                                                  FerryCatalogueRow      **rows,
                                                  guint                    n_rows,
                                                  GError                 **errors);
/* FERRY_ERROR_NOT_FOUND when no row has @id. */
gboolean           ferry_catalogue_remove        (FerryCatalogue          *self,
                                                  const char              *id,
                                                  GError                 **error);
/* A fresh offer id (16 lowercase hex digits) that no row has and that no other caller holds
 * until it is inserted or handed back with ferry_catalogue_release_id (). */
char              *ferry_catalogue_new_id        (FerryCatalogue          *self,
                                                  GError                 **error);
void               ferry_catalogue_release_id    (FerryCatalogue          *self,
                                                  const char              *id);
/* The catalogue is useless afterwards: every call fails. */
void               ferry_catalogue_close         (FerryCatalogue          *self);

/* Inserts or replaces the record of partial upload @row->token, durably. */
gboolean           ferry_catalogue_put_partial    (FerryCatalogue          *self,
                                                   const FerryPartialRow   *row,
                                                   GError                 **error);
/* NULL without an error when no partial upload has @token. */
FerryPartialRow   *ferry_catalogue_lookup_partial (FerryCatalogue          *self,
                                                   const char              *token,
                                                   GError                 **error);
/* Removing a record that is already gone is no error. */
gboolean           ferry_catalogue_remove_partial (FerryCatalogue          *self,
                                                   const char              *token,
                                                   GError                 **error);
/* A new array of FerryPartialRow. */
GPtrArray         *ferry_catalogue_list_partials  (FerryCatalogue          *self,
                                                   GError                 **error);

/* Quota and reservations. The quota (0: unlimited) counts committed offers, the bytes written
 * by uploads in progress and what they hold reserved ahead. */
void               ferry_catalogue_set_quota     (FerryCatalogue          *self,
                                                  guint64                  quota);
guint64            ferry_catalogue_get_used      (FerryCatalogue          *self);
/* Grows with every byte charged: ages a free-space reading. */
guint64            ferry_catalogue_get_mark      (FerryCatalogue          *self);
/* Reserves between @request->need and ->want bytes for @request->address, within the quota,
 * @space and the address's share; with no address, only checks that ->need fits. Returns the
 * bytes reserved (1 for a check that fits), or 0 with FERRY_ERROR_NO_SPACE saying which limit
 * is reached; @short_of_disk tells whether it was the blob store's space. */
guint64            ferry_catalogue_reserve       (FerryCatalogue          *self,
                                                  const FerrySpaceRequest *request,
                                                  const FerryFreeSpace    *space,
                                                  gboolean                *short_of_disk,
                                                  GError                 **error);
/* @size bytes reserved ahead by @address are now written. */
void               ferry_catalogue_charge        (FerryCatalogue          *self,
                                                  const char              *address,
                                                  guint64                  size);
/* An upload from @address ended: gives back @ahead bytes reserved and @written written. */
void               ferry_catalogue_release       (FerryCatalogue          *self,
                                                  const char              *address,
                                                  guint64                  ahead,
                                                  guint64                  written);
/* Committed offers: @added bytes more, @removed bytes fewer. */
void               ferry_catalogue_count         (FerryCatalogue          *self,
                                                  guint64                  added,
                                                  guint64                  removed);

G_END_DECLS
