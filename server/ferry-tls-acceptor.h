/* ferry-tls-acceptor.h: turns accepted sockets into TLS streams, fairly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-admission.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TLS_ACCEPTOR (ferry_tls_acceptor_get_type ())

G_DECLARE_FINAL_TYPE (FerryTlsAcceptor, ferry_tls_acceptor, FERRY, TLS_ACCEPTOR, GObject)

/* A handshake finished: @stream is the TLS connection, and the callee now owns @slot. */
typedef void (*FerryTlsAcceptedFunc) (GIOStream *stream,
                                      FerrySlot *slot,
                                      gint64     deadline,
                                      gpointer   user_data);

FerryTlsAcceptor *ferry_tls_acceptor_new          (GTlsCertificate      *certificate,
                                                   FerryAdmission       *admission,
                                                   FerryTlsAcceptedFunc  accepted,
                                                   gpointer              user_data);
/* Takes over @slot: runs the handshake of @connection, which must be done by @deadline
 * (monotonic µs), then calls the accepted function. On failure it closes the connection and
 * releases the slot itself. */
void              ferry_tls_acceptor_add          (FerryTlsAcceptor     *self,
                                                   GSocketConnection    *connection,
                                                   FerrySlot            *slot,
                                                   gint64                deadline);
/* At shutdown: fails every handshake in progress. */
void              ferry_tls_acceptor_abort        (FerryTlsAcceptor     *self);
/* Aborts, and completes once the last handshake is gone: a cancelled one still waits for
 * its thread. */
void              ferry_tls_acceptor_close_async  (FerryTlsAcceptor     *self,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean          ferry_tls_acceptor_close_finish (FerryTlsAcceptor     *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

G_END_DECLS
