/* ferry-tls-policy.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-tls-policy"

#include "config.h"

#include "ferry-tls-policy.h"

/* glib-networking's GnuTLS backend (2.74, tls/gnutls/gtlsconnection-gnutls.c) builds one
 * gnutls_priority_t for the whole process in the class_init of its connection type, that is
 * when the first GTlsConnection is created. If G_TLS_GNUTLS_PRIORITY is set, that string
 * *replaces* its default ("@SYSTEM" plus "%COMPAT") entirely, so ours is a complete priority
 * string, not a suffix. There is no per-connection API for versions or suites in GIO, so the
 * environment is the only lever; it must be set before that class_init runs. */
void
ferry_tls_policy_init (void)
{
  static gsize applied = 0;

  if (g_once_init_enter (&applied))
    {
      const char *inherited = g_getenv ("G_TLS_GNUTLS_PRIORITY");

      /* An inherited value is overridden on purpose. It is a process-wide knob that is usually
       * set for other programs (often to re-enable TLS 1.0 for some old device), and it would
       * silently weaken what PROTOCOL.md §8 promises to every Ferry user. Our policy wins;
       * an operator who needs something stricter can still use GnuTLS's system-wide
       * configuration (/etc/gnutls/config), which applies on top of any priority string. */
      if (inherited && g_strcmp0 (inherited, FERRY_TLS_PRIORITY) != 0)
        g_debug ("Ignoring G_TLS_GNUTLS_PRIORITY=%s; Ferry uses its own TLS policy", inherited);
      g_setenv ("G_TLS_GNUTLS_PRIORITY", FERRY_TLS_PRIORITY, TRUE);
      g_once_init_leave (&applied, 1);
    }
}
