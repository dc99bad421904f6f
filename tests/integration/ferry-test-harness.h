/* ferry-test-harness.h: a real ferry-server on loopback, and helpers for talking to it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-client.h"
#include "ferry-connection.h"

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char        *data_dir;
  char        *address;       /* 127.0.0.1:PORT */
  char        *fingerprint;   /* canonical form; NULL with --no-tls */
  guint16      port;
  gboolean     tls;
} FerryTestServer;

/* Starts $FERRY_SERVER --bind 127.0.0.1 --port PORT --data-dir DATA_DIR plus @extra_args
 * (NULL-terminated) and waits for its "listening on" line. Its log goes to the file that
 * $FERRY_TEST_SERVER_STDERR names, if set. @data_dir NULL makes a new one;
 * @port 0 picks a free port. TLS is on unless the extra arguments say --no-tls; the
 * fingerprint is then read from the server's "fingerprint" line. */
FerryTestServer *ferry_test_server_start      (const char       *data_dir,
                                               guint16           port,
                                               const char       *first_extra_arg,
                                               ...);
/* SIGTERM, and asserts a clean exit 0. Keeps the data dir. */
void             ferry_test_server_stop       (FerryTestServer  *server);
/* Stops if running, removes the data dir. */
void             ferry_test_server_free       (FerryTestServer  *server);

/* A temporary folder for one test, removed by ferry_test_rm_rf(). */
char            *ferry_test_tmpdir            (void);
void             ferry_test_rm_rf             (const char       *path);
/* Writes @size bytes of seeded pseudo-random data. */
char            *ferry_test_make_file         (const char       *dir,
                                               const char       *name,
                                               guint64           size);
char            *ferry_test_sha256_file       (const char       *path);
guint            ferry_test_count_dir         (const char       *path);

/* A client with its own identity file in @config_dir, so two clients are two people. It trusts
 * the server's fingerprint (pinned in @config_dir/ferry/known-servers), or speaks plain TCP
 * to a --no-tls server. */
FerryClient     *ferry_test_client_new        (FerryTestServer  *server,
                                               const char       *config_dir,
                                               const char       *user_name);
void             ferry_test_client_connect    (FerryClient      *client);
/* Runs a transfer to the end; returns the error or NULL. */
GError          *ferry_test_run_transfer      (FerryTransfer    *transfer);
/* Iterates the default main context until @done is TRUE or @seconds pass (then fails). */
void             ferry_test_wait              (gboolean         *done,
                                               guint             seconds);
/* Polls @check until it returns TRUE, iterating the main context, at most @seconds. */
void             ferry_test_wait_for          (gboolean        (*check) (gpointer data),
                                               gpointer          data,
                                               guint             seconds);

/* A raw, blocking stream to the server (inside TLS when the server uses it), for speaking
 * broken protocol on purpose. Usable from any one thread. */
GIOStream       *ferry_test_raw_connect       (FerryTestServer  *server);
/* Like ferry_test_raw_connect, but NULL when the server refuses at once. */
GIOStream       *ferry_test_raw_try_connect   (FerryTestServer  *server);
/* Plain TCP, whatever the server speaks. */
GIOStream       *ferry_test_raw_connect_tcp   (FerryTestServer  *server);
void             ferry_test_raw_send          (GIOStream        *conn,
                                               GBytes           *frame);
void             ferry_test_raw_send_data     (GIOStream        *conn,
                                               const void       *data,
                                               gsize             len);
/* Reads one frame (the socket has a 30 s timeout). Returns FALSE at end of stream. */
gboolean         ferry_test_raw_read          (GIOStream        *conn,
                                               FerryFrame       *frame);
/* Sends a valid HELLO. */
void             ferry_test_raw_send_hello    (GIOStream        *conn);
/* Sends a valid HELLO and asserts a WELCOME. */
void             ferry_test_raw_handshake     (GIOStream        *conn);
/* Reads until an ERROR frame arrives (asserting its code) or the stream ends (code 0 allows
 * only a close). */
void             ferry_test_raw_expect_error  (GIOStream        *conn,
                                               guint32           code);

/* A complete, real ClientHello record, as GIO's TLS client sends it: a peer that sends it and
 * nothing more holds a TLS handshake of the server open. */
GBytes          *ferry_test_capture_client_hello (void);

/* Runs $FERRY_CLI with XDG_CONFIG_HOME=@config_dir (and XDG_CACHE_HOME=@config_dir/cache);
 * returns its exit status. */
int              ferry_test_cli               (FerryTestServer  *server,
                                               const char       *config_dir,
                                               char            **out,
                                               char            **err,
                                               const char       *first_arg,
                                               ...);
/* The same, with @input on its standard input. */
int              ferry_test_cli_with_input    (FerryTestServer  *server,
                                               const char       *config_dir,
                                               const char       *input,
                                               char            **out,
                                               char            **err,
                                               const char       *first_arg,
                                               ...);

/* Two people, Alice and Bob, each a client with its own identity, and a fresh server: the
 * fixture of most transfer tests (g_test_add with ferry_test_people_setup/_teardown). */
typedef struct
{
  FerryTestServer *server;
  char            *tmp;
  char            *config_a;
  char            *config_b;
  FerryClient     *alice;
  FerryClient     *bob;
} FerryTestPeople;

void             ferry_test_people_setup      (FerryTestPeople  *f,
                                               gconstpointer     data);
void             ferry_test_people_teardown   (FerryTestPeople  *f,
                                               gconstpointer     data);

G_END_DECLS
