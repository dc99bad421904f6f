/* ferry-error.h: the FERRY_ERROR domain, shared by every program
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_ERROR (ferry_error_quark ())

/* The values from MALFORMED to SIZE_MISMATCH are the wire codes of docs/PROTOCOL.md §6. */
typedef enum
{
  FERRY_ERROR_FAILED = 0,
  FERRY_ERROR_MALFORMED = 1,
  FERRY_ERROR_VERSION = 2,
  FERRY_ERROR_UNEXPECTED = 3,
  FERRY_ERROR_NOT_FOUND = 4,
  FERRY_ERROR_NOT_OWNER = 5,
  FERRY_ERROR_TOO_LARGE = 6,
  FERRY_ERROR_NO_SPACE = 7,
  FERRY_ERROR_CHECKSUM = 8,
  FERRY_ERROR_BUSY = 9,
  FERRY_ERROR_TIMEOUT = 10,
  FERRY_ERROR_INTERNAL = 11,
  FERRY_ERROR_INVALID_NAME = 12,
  FERRY_ERROR_AUTH = 13,
  FERRY_ERROR_SIZE_MISMATCH = 14,
  /* Local only, never on the wire. */
  FERRY_ERROR_CLOSED = 100,
  FERRY_ERROR_CONNECT = 101,
  FERRY_ERROR_UNTRUSTED = 102,            /* a new server: its fingerprint awaits confirmation */
  FERRY_ERROR_FINGERPRINT_CHANGED = 103,  /* a pinned server presented another key */
  FERRY_ERROR_TLS = 104,                  /* the encrypted connection could not be set up */
} FerryError;

GQuark      ferry_error_quark          (void);
FerryError  ferry_error_from_wire      (guint32 code);
guint32     ferry_error_to_wire        (const GError *error);
/* @message without a final full stop, for quoting inside a sentence of our own. */
char       *ferry_error_reason         (const char   *message);
/* TRUE when @error says that the connection to the server was lost or could not be made
 * (closed, reset, refused, unreachable, timed out, busy): a failure that trying again once
 * the server is back can fix, unlike a refusal, a checksum mismatch or a local disk error. */
gboolean    ferry_error_is_connection_lost (const GError *error);

G_END_DECLS
