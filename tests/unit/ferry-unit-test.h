/* ferry-test-kinds.h: the same test cases against each implementation of an interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

typedef struct
{
  const char       *name;
  GTestFixtureFunc  func;
} FerryTestCase;

/* Adds /@suite/KIND/NAME for every kind in @kinds (NULL-terminated) and every case; the kind
 * is the fixture's user data. */
static inline void
ferry_test_add_kinds (const char          *suite,
                      const char * const  *kinds,
                      gsize                fixture_size,
                      GTestFixtureFunc     setup,
                      GTestFixtureFunc     teardown,
                      const FerryTestCase *cases,
                      guint                n_cases)
{
  for (guint k = 0; kinds[k]; k++)
    for (guint i = 0; i < n_cases; i++)
      {
        g_autofree char *path = g_strdup_printf ("/%s/%s/%s", suite, kinds[k], cases[i].name);

        g_test_add_vtable (path, fixture_size, kinds[k], setup, cases[i].func, teardown);
      }
}

/* Removes @path and everything below it, asserting that each removal works. */
static inline void
ferry_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        ferry_test_remove_tree (child);
      else
        g_assert_cmpint (g_unlink (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}
