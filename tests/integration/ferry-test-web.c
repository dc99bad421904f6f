/* ferry-test-web.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ferry-test-web.h"

#include "ferry-fingerprint.h"

static gboolean
accept_certificate_cb (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  FerryTestServer *server = user_data;
  g_autofree char *fingerprint = ferry_fingerprint_from_certificate (certificate);

  return g_strcmp0 (fingerprint, server->fingerprint) == 0;
}

SoupSession *
ferry_test_web_session (FerryTestServer *server)
{
  SoupSession *session = soup_session_new ();

  soup_session_set_timeout (session, 60);
  g_object_set_data (G_OBJECT (session), "ferry-test-server", server);
  return session;
}

char *
ferry_test_web_url (FerryTestServer *server,
                    const char      *path)
{
  return g_strdup_printf ("%s://%s%s", server->tls ? "https" : "http", server->address, path);
}

guint
ferry_test_web_request (SoupSession         *session,
                        FerryTestServer     *server,
                        const char          *method,
                        const char          *path,
                        const char          *content_type,
                        GBytes              *body,
                        GBytes             **response,
                        SoupMessageHeaders **response_headers,
                        const char          *first_header,
                        ...)
{
  g_autofree char *url = ferry_test_web_url (server, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = NULL;
  const char *name;
  va_list args;

  g_assert_nonnull (msg);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), server);
  va_start (args, first_header);
  for (name = first_header; name; name = va_arg (args, const char *))
    soup_message_headers_replace (soup_message_get_request_headers (msg), name,
                                  va_arg (args, const char *));
  va_end (args);
  if (body)
    soup_message_set_request_body_from_bytes (msg, content_type, body);

  got = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (response)
    *response = g_steal_pointer (&got);
  if (response_headers)
    *response_headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  return soup_message_get_status (msg);
}

JsonObject *
ferry_test_web_json (GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  json_parser_load_from_data (parser, data, (gssize) size, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}
