/* ferry-dialer-private.h: FerryDialer's insides, shared by ferry-dialer.c (the object, its
 * settings and trust answers) and ferry-dialer-open.c (one open)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-dialer.h"
#include "ferry-trust-store.h"

G_BEGIN_DECLS

struct _FerryDialer
{
  GObject parent_instance;

  /* owned references */
  char             *address;
  char             *host;
  char             *user_name;
  char             *identity_path;
  char             *known_servers_path;
  char             *password;
  char             *server_fingerprint;
  char             *pin_key;          /* host:port in known-servers */
  FerryTrustStore  *trust;            /* identity and pins, cached; NULL until needed */

  GQueue            idle;             /* IdleConnection: request connections kept, newest first */
  guint64           max_file_size;
  guint64           keep_partial;      /* WELCOME's: seconds the server keeps partial uploads */
  gboolean          web;               /* WELCOME's: the port serves browsers; LINK works */
  gboolean          auth;              /* WELCOME's: the server requires a password */
  guint             n_opened;         /* connections opened so far (HELLO answered) */
  guint16           port;
  guint             n_busy_waits;     /* opens waiting for a busy server */
  guint             busy_timeout;     /* seconds to keep asking a busy server */
  guint             sent_password : 1;  /* the last HELLO carried a password */
  guint             address_valid : 1;
  guint             tls : 1;
};

/* ferry-dialer.c: setters that notify. */
FerryTrustStore  *ferry_dialer_get_trust              (FerryDialer  *self);
void              ferry_dialer_set_server_fingerprint (FerryDialer  *self,
                                                       const char   *fingerprint);
void              ferry_dialer_set_max_file_size      (FerryDialer  *self,
                                                       guint64       max_file_size);
/* ferry-dialer-pool.c: closes every idle connection (settings changed, or the end). */
void              ferry_dialer_clear_idle             (FerryDialer  *self);
/* An open starts (TRUE) or stops (FALSE) waiting for a busy server: "server-busy". */
void              ferry_dialer_count_busy_wait        (FerryDialer  *self,
                                                       gboolean      waiting);

G_END_DECLS
