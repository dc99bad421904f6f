/* ferry-tls-guard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * glib-networking 2.74 carries out a renegotiation that a TLS 1.2 client starts (its
 * "rehandshake-mode" is ignored), and no GnuTLS priority keyword refuses a safe one. Each
 * renegotiation costs the server a full handshake and a thread, at the client's whim, so
 * PROTOCOL.md §8 refuses them. The guard, a tap between the socket and the TLS connection,
 * follows the record layer of what the client sends, which TLS leaves in the clear: a client's
 * ChangeCipherSpec is followed by exactly one handshake record, its Finished, and only
 * application data after that. A further handshake record can only be a renegotiation's
 * ClientHello, so the read that brings it fails and the connection ends. (TLS 1.3 has no
 * renegotiation; after its handshake every record it sends is of the application data type.)
 */
#define G_LOG_DOMAIN "ferry-tls-guard"

#include "config.h"

#include "ferry-tls-guard.h"

#include "ferry-tap-stream.h"

#define TLS_RECORD_HEADER_SIZE  5
#define TLS_CHANGE_CIPHER_SPEC  20
#define TLS_HANDSHAKE           22

typedef struct
{
  char     *peer;                  /* for the log */
  guint8    header[TLS_RECORD_HEADER_SIZE];
  guint     header_length;
  gsize     body_left;
  gboolean  seen_change_cipher_spec;
  guint     handshakes_after_change;
} Records;

static void
records_free (Records *records)
{
  g_free (records->peer);
  g_free (records);
}

/* FerryTapFunc: follows the record layer through what the client sent. */
static gboolean
follow_records (const guint8  *data,
                gsize          length,
                gpointer       user_data,
                GError       **error)
{
  Records *records = user_data;

  while (length > 0)
    {
      if (records->body_left > 0)
        {
          gsize skip = MIN (length, records->body_left);

          data += skip;
          length -= skip;
          records->body_left -= skip;
          continue;
        }

      records->header[records->header_length++] = *data++;
      length--;
      if (records->header_length < TLS_RECORD_HEADER_SIZE)
        continue;

      records->header_length = 0;
      records->body_left = ((gsize) records->header[3] << 8) | records->header[4];
      if (records->header[0] == TLS_CHANGE_CIPHER_SPEC)
        records->seen_change_cipher_spec = TRUE;
      else if (records->header[0] == TLS_HANDSHAKE && records->seen_change_cipher_spec &&
               ++records->handshakes_after_change > 1)
        {
          g_message ("%s: refused a client-initiated TLS renegotiation; closing",
                     records->peer);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                               "TLS renegotiation is not allowed");
          return FALSE;
        }
    }
  return TRUE;
}

GIOStream *
ferry_tls_guard_new (GSocketConnection *connection,
                     const char        *peer)
{
  Records *records;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  records = g_new0 (Records, 1);
  records->peer = g_strdup (peer);
  return ferry_tap_stream_new (connection, follow_records, records,
                               (GDestroyNotify) records_free);
}
