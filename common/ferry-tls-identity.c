/* ferry-tls-identity.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-tls-identity"

#include "config.h"

#include "ferry-tls-identity.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CERT_NAME        "server.crt"
#define KEY_NAME         "server.key"
#define COMMON_NAME      "Ferry server"
#define VALIDITY_DAYS    (20 * 365 + 5)   /* 20 years, leap days included */
#define SERIAL_BITS      159               /* positive and at most 20 bytes (RFC 5280) */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

static gboolean
openssl_failed (GError     **error,
                const char  *what)
{
  char detail[256] = "";
  unsigned long code = ERR_get_error ();

  if (code != 0)
    ERR_error_string_n (code, detail, sizeof detail);
  ERR_clear_error ();
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("Could not create the server’s TLS identity (%s): %s"),
               what, *detail ? detail : _("unknown OpenSSL error"));
  return FALSE;
}

static gboolean
add_extension (X509       *cert,
               int         nid,
               const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  gboolean ok;

  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (!ext)
    return FALSE;
  ok = X509_add_ext (cert, ext, -1) == 1;
  X509_EXTENSION_free (ext);
  return ok;
}

static X509 *
make_certificate (EVP_PKEY  *key,
                  GError   **error)
{
  g_autoptr(X509) cert = X509_new ();
  g_autoptr(BIGNUM) serial = BN_new ();
  X509_NAME *name = cert ? X509_get_subject_name (cert) : NULL;
  const char *failed = NULL;

  if (!cert || !serial || !name)
    failed = "X509_new";
  else if (X509_set_version (cert, X509_VERSION_3) != 1)
    failed = "X509_set_version";
  else if (BN_rand (serial, SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
           !BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (cert)))
    failed = "serial number";
  else if (!X509_gmtime_adj (X509_getm_notBefore (cert), 0) ||
           !X509_time_adj_ex (X509_getm_notAfter (cert), VALIDITY_DAYS, 0, NULL))
    failed = "validity";
  else if (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                       (const unsigned char *) COMMON_NAME, -1, -1, 0) != 1 ||
           X509_set_issuer_name (cert, name) != 1 ||
           X509_set_pubkey (cert, key) != 1)
    failed = "subject";
  else if (!add_extension (cert, NID_basic_constraints, "critical,CA:FALSE") ||
           !add_extension (cert, NID_key_usage, "critical,digitalSignature") ||
           !add_extension (cert, NID_ext_key_usage, "serverAuth") ||
           !add_extension (cert, NID_subject_key_identifier, "hash"))
    failed = "extensions";
  else if (X509_sign (cert, key, EVP_sha256 ()) <= 0)
    failed = "X509_sign";

  if (failed)
    {
      openssl_failed (error, failed);
      return NULL;
    }
  return g_steal_pointer (&cert);
}

/* Writes @len bytes to a new file @path, created with @mode and O_EXCL so that it never
 * exists with wider permissions, and syncs it. */
static gboolean
write_new_file (const char    *path,
                const char    *data,
                gsize          len,
                mode_t         mode,
                GError       **error)
{
  int fd;
  int saved_errno;

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    goto fail;
  /* The umask may only narrow the mode; make sure it is exactly @mode. */
  if (fchmod (fd, mode) != 0)
    goto fail_close;
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail_close;
      data += n;
      len -= (gsize) n;
    }
  if (fsync (fd) != 0)
    goto fail_close;
  if (close (fd) != 0)
    {
      fd = -1;
      goto fail_unlink;
    }
  return TRUE;

fail_close:
  saved_errno = errno;
  close (fd);
  errno = saved_errno;
fail_unlink:
  saved_errno = errno;
  g_unlink (path);
  errno = saved_errno;
fail:
  saved_errno = errno;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               _("Could not write %s: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
bio_to_file (BIO         *bio,
             const char  *path,
             mode_t       mode,
             GError     **error)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);
  gboolean ok;

  if (len <= 0)
    return openssl_failed (error, "PEM");
  ok = write_new_file (path, data, (gsize) len, mode, error);
  /* The key's PEM text is a secret: do not leave it in freed memory. */
  OPENSSL_cleanse (data, (size_t) len);
  return ok;
}

gboolean
ferry_tls_identity_create (const char  *cert_path,
                           const char  *key_path,
                           GError     **error)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  g_autoptr(BIO) key_pem = NULL;
  g_autoptr(BIO) cert_pem = NULL;
  g_autofree char *key_tmp = NULL;
  g_autofree char *cert_tmp = NULL;

  g_return_val_if_fail (cert_path != NULL, FALSE);
  g_return_val_if_fail (key_path != NULL, FALSE);

  if (g_file_test (cert_path, G_FILE_TEST_EXISTS) || g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   _("Will not overwrite the existing TLS identity in %s and %s."),
                   cert_path, key_path);
      return FALSE;
    }

  key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  if (!key)
    return openssl_failed (error, "EVP_PKEY_Q_keygen");
  cert = make_certificate (key, error);
  if (!cert)
    return FALSE;

  key_pem = BIO_new (BIO_s_secmem ());
  cert_pem = BIO_new (BIO_s_mem ());
  if (!key_pem || !cert_pem ||
      PEM_write_bio_PrivateKey (key_pem, key, NULL, NULL, 0, NULL, NULL) != 1 ||
      PEM_write_bio_X509 (cert_pem, cert) != 1)
    return openssl_failed (error, "PEM");

  /* Both files appear under their final names only once both are complete; the key first, so
   * that a certificate never exists without its key. Temporary names left by a crash are
   * removed first (the O_EXCL below would refuse them). */
  key_tmp = g_strconcat (key_path, ".new", NULL);
  cert_tmp = g_strconcat (cert_path, ".new", NULL);
  g_unlink (key_tmp);
  g_unlink (cert_tmp);

  if (!bio_to_file (key_pem, key_tmp, 0600, error))
    return FALSE;
  if (!bio_to_file (cert_pem, cert_tmp, 0644, error))
    {
      g_unlink (key_tmp);
      return FALSE;
    }
  if (g_rename (key_tmp, key_path) != 0 || g_rename (cert_tmp, cert_path) != 0)
    {
      int saved_errno = errno;

      g_unlink (key_tmp);
      g_unlink (cert_tmp);
      g_unlink (key_path);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not write %s: %s"), cert_path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static X509 *
read_certificate (const char  *path,
                  GError     **error)
{
  g_autoptr(BIO) bio = BIO_new_file (path, "r");
  X509 *cert = bio ? PEM_read_bio_X509 (bio, NULL, NULL, NULL) : NULL;

  ERR_clear_error ();
  if (!cert)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("Could not read a PEM certificate from %s."), path);
  return cert;
}

static EVP_PKEY *
read_private_key (const char  *path,
                  GError     **error)
{
  g_autoptr(BIO) bio = BIO_new_file (path, "r");
  EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL) : NULL;

  ERR_clear_error ();
  if (!key)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("Could not read an unencrypted PEM private key from %s."), path);
  return key;
}

GTlsCertificate *
ferry_tls_identity_load (const char  *cert_path,
                         const char  *key_path,
                         GError     **error)
{
  g_autoptr(X509) cert = NULL;
  g_autoptr(EVP_PKEY) key = NULL;

  g_return_val_if_fail (cert_path != NULL, NULL);
  g_return_val_if_fail (key_path != NULL, NULL);

  if (!(cert = read_certificate (cert_path, error)) ||
      !(key = read_private_key (key_path, error)))
    return NULL;
  if (X509_check_private_key (cert, key) != 1)
    {
      ERR_clear_error ();
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The private key in %s does not belong to the certificate in %s."),
                   key_path, cert_path);
      return NULL;
    }
  return g_tls_certificate_new_from_files (cert_path, key_path, error);
}

GTlsCertificate *
ferry_tls_identity_load_or_create (const char  *dir,
                                   GError     **error)
{
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  gboolean have_cert;
  gboolean have_key;
  GStatBuf st;

  g_return_val_if_fail (dir != NULL, NULL);

  cert_path = g_build_filename (dir, CERT_NAME, NULL);
  key_path = g_build_filename (dir, KEY_NAME, NULL);
  have_cert = g_file_test (cert_path, G_FILE_TEST_EXISTS);
  have_key = g_file_test (key_path, G_FILE_TEST_EXISTS);

  if (!have_cert && !have_key)
    {
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Could not create the folder %s: %s"), dir, g_strerror (saved_errno));
          return NULL;
        }
      if (!ferry_tls_identity_create (cert_path, key_path, error))
        return NULL;
      g_message ("Created a new TLS identity in %s", dir);
    }
  else if (!have_cert || !have_key)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   _("%s exists but %s does not. Restore the missing file, or remove both to "
                     "create a new identity (clients will then see a changed fingerprint)."),
                   have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
      return NULL;
    }

  if (g_stat (key_path, &st) == 0 && (st.st_mode & 0077) != 0)
    g_warning ("%s can be read by other users; it should have mode 0600", key_path);

  return ferry_tls_identity_load (cert_path, key_path, error);
}
