/* ferry-units.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-units"

#include "config.h"

#include "ferry-units.h"

#include <string.h>
#include <glib/gi18n.h>

/* The longest fraction we look at; more digits than this cannot change a byte count that fits
 * in 64 bits by more than one unit, and are ignored. */
#define MAX_FRACTION_DIGITS 18

typedef struct
{
  const char *suffix;
  guint64     multiplier;
} Unit;

static const Unit size_units[] = {
  { "", 1 },
  { "b", 1 },
  { "k", G_GUINT64_CONSTANT (1) << 10 },
  { "kb", G_GUINT64_CONSTANT (1) << 10 },
  { "kib", G_GUINT64_CONSTANT (1) << 10 },
  { "m", G_GUINT64_CONSTANT (1) << 20 },
  { "mb", G_GUINT64_CONSTANT (1) << 20 },
  { "mib", G_GUINT64_CONSTANT (1) << 20 },
  { "g", G_GUINT64_CONSTANT (1) << 30 },
  { "gb", G_GUINT64_CONSTANT (1) << 30 },
  { "gib", G_GUINT64_CONSTANT (1) << 30 },
  { "t", G_GUINT64_CONSTANT (1) << 40 },
  { "tb", G_GUINT64_CONSTANT (1) << 40 },
  { "tib", G_GUINT64_CONSTANT (1) << 40 },
  { "p", G_GUINT64_CONSTANT (1) << 50 },
  { "pb", G_GUINT64_CONSTANT (1) << 50 },
  { "pib", G_GUINT64_CONSTANT (1) << 50 },
};

static const Unit duration_units[] = {
  { "", 1 },
  { "s", 1 },
  { "m", 60 },
  { "h", 60 * 60 },
  { "d", 24 * 60 * 60 },
  { "w", 7 * 24 * 60 * 60 },
};

typedef enum
{
  PARSE_OK,
  PARSE_INVALID,
  PARSE_OVERFLOW,
} ParseResult;

/* Parses "<digits>[.<digits>][ ]<suffix>" (already trimmed and lowercased) against @units.
 * A fraction needs a multiplier greater than one: "1.5" bytes or seconds means nothing. */
static ParseResult
parse_with_units (const char *text,
                  const Unit *units,
                  gsize       n_units,
                  guint64    *result)
{
  const char *p = text;
  guint64 whole = 0;
  guint64 frac_num = 0;
  guint64 frac_den = 1;
  gboolean has_fraction = FALSE;
  gboolean overflow = FALSE;
  const Unit *unit = NULL;
  guint64 value;
  guint64 extra;

  if (!g_ascii_isdigit (*p))
    return PARSE_INVALID;

  for (; g_ascii_isdigit (*p); p++)
    {
      guint digit = (guint) (*p - '0');

      if (whole > (G_MAXUINT64 - digit) / 10)
        overflow = TRUE;
      else
        whole = whole * 10 + digit;
    }

  if (*p == '.')
    {
      int n_digits = 0;

      p++;
      if (!g_ascii_isdigit (*p))
        return PARSE_INVALID;
      has_fraction = TRUE;
      for (; g_ascii_isdigit (*p); p++)
        {
          if (n_digits < MAX_FRACTION_DIGITS)
            {
              frac_num = frac_num * 10 + (guint64) (*p - '0');
              frac_den *= 10;
              n_digits++;
            }
        }
    }

  while (*p == ' ')
    p++;

  for (gsize i = 0; i < n_units; i++)
    {
      if (strcmp (p, units[i].suffix) == 0)
        {
          unit = &units[i];
          break;
        }
    }

  if (!unit)
    return PARSE_INVALID;
  if (has_fraction && unit->multiplier == 1)
    return PARSE_INVALID;
  if (overflow || whole > G_MAXUINT64 / unit->multiplier)
    return PARSE_OVERFLOW;

  value = whole * unit->multiplier;

  /* frac_num * multiplier can need more than 64 bits; long double keeps 64 bits of mantissa,
   * more than the at most 50 bits of the result, which is rounded down to whole bytes. */
  extra = 0;
  if (has_fraction && frac_num > 0)
    {
      long double f = (long double) frac_num / (long double) frac_den;

      extra = (guint64) (f * (long double) unit->multiplier);
    }

  if (value > G_MAXUINT64 - extra)
    return PARSE_OVERFLOW;

  *result = value + extra;
  return PARSE_OK;
}

static char *
normalize (const char *text)
{
  g_autofree char *copy = g_strdup (text);

  return g_ascii_strdown (g_strstrip (copy), -1);
}

gboolean
ferry_parse_size (const char  *text,
                  guint64     *bytes,
                  GError     **error)
{
  g_autofree char *normal = NULL;
  guint64 value = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  normal = normalize (text);
  switch (parse_with_units (normal, size_units, G_N_ELEMENTS (size_units), &value))
    {
    case PARSE_OK:
      *bytes = value;
      return TRUE;

    case PARSE_OVERFLOW:
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is too large to be a size in bytes."), text);
      return FALSE;

    case PARSE_INVALID:
    default:
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not a size; use a number with an optional K, M, G or T suffix, "
                     "such as 100M."), text);
      return FALSE;
    }
}

gboolean
ferry_parse_duration (const char  *text,
                      guint64     *seconds,
                      GError     **error)
{
  g_autofree char *normal = NULL;
  guint64 value = 0;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (seconds != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  normal = normalize (text);
  switch (parse_with_units (normal, duration_units, G_N_ELEMENTS (duration_units), &value))
    {
    case PARSE_OK:
      *seconds = value;
      return TRUE;

    case PARSE_OVERFLOW:
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is too long to be a duration."), text);
      return FALSE;

    case PARSE_INVALID:
    default:
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not a duration; use a number with an s, m, h, d or w suffix, "
                     "such as 24h."), text);
      return FALSE;
    }
}

char *
ferry_format_size (guint64 bytes)
{
  return g_format_size (bytes);
}

char *
ferry_format_duration (guint64 seconds)
{
  unsigned long long s = seconds;

  if (s < 60)
    /* TRANSLATORS: a duration in seconds, such as "45s" */
    return g_strdup_printf (_("%llus"), s);
  if (s < 60 * 60)
    /* TRANSLATORS: a duration in minutes and seconds, such as "3m 20s" */
    return g_strdup_printf (_("%llum %02llus"), s / 60, s % 60);
  if (s < 24 * 60 * 60)
    /* TRANSLATORS: a duration in hours and minutes, such as "2h 05m" */
    return g_strdup_printf (_("%lluh %02llum"), s / 3600, (s % 3600) / 60);
  /* TRANSLATORS: a duration in days and hours, such as "3d 4h" */
  return g_strdup_printf (_("%llud %lluh"), s / 86400, (s % 86400) / 3600);
}

char *
ferry_format_age (gint64 unix_time,
                  gint64 now)
{
  guint64 age;
  unsigned long n;

  /* A time in the future is clock skew between the server and us, not a prophecy. */
  if (unix_time >= now)
    return g_strdup (_("just now"));

  /* Unsigned, so that even the widest gap cannot overflow. */
  age = (guint64) now - (guint64) unix_time;

  if (age < 60)
    return g_strdup (_("just now"));

  if (age < 60 * 60)
    {
      n = (unsigned long) (age / 60);
      return g_strdup_printf (ngettext ("%lu minute ago", "%lu minutes ago", n), n);
    }

  if (age < 24 * 60 * 60)
    {
      n = (unsigned long) (age / (60 * 60));
      return g_strdup_printf (ngettext ("%lu hour ago", "%lu hours ago", n), n);
    }

  n = (unsigned long) (age / (24 * 60 * 60));
  return g_strdup_printf (ngettext ("%lu day ago", "%lu days ago", n), n);
}

char *
ferry_format_rate (double bytes_per_second)
{
  g_autofree char *size = NULL;
  guint64 bytes;

  /* NaN fails every comparison, so it lands on zero too. */
  if (!(bytes_per_second > 0))
    bytes = 0;
  else if (bytes_per_second >= 18446744073709551616.0)  /* 2^64 */
    bytes = G_MAXUINT64;
  else
    bytes = (guint64) bytes_per_second;

  size = g_format_size (bytes);
  /* TRANSLATORS: a transfer rate; %s is a size such as "12.5 MB" */
  return g_strdup_printf (_("%s/s"), size);
}

char *
ferry_format_folder (guint   files,
                     guint64 bytes)
{
  g_autofree char *size = g_format_size (bytes);

  /* Translators: a shared folder's contents, such as “12 files · 3.4 MB” */
  return g_strdup_printf (ngettext ("%u file · %s", "%u files · %s", files), files, size);
}
