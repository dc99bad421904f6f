/* replay.c: runs a fuzz target over files and folders of inputs, without libFuzzer, so the
 * committed corpus is replayed on every test run. Speaks TAP: one test per input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
collect (const char *path,
         GPtrArray  *files)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      collect (child, files);
    }
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char **) a, *(char **) b);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  for (int i = 1; i < argc; i++)
    collect (argv[i], files);
  g_ptr_array_sort (files, compare_paths);

  if (files->len == 0)
    {
      printf ("Bail out! no corpus files\n");
      return 1;
    }

  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *data = NULL;
      gsize len;

      if (!g_file_get_contents (path, &data, &len, NULL))
        {
          printf ("not ok %u %s (unreadable)\n", i + 1, path);
          continue;
        }
      fflush (stdout);
      LLVMFuzzerTestOneInput ((const guint8 *) data, len);
      printf ("ok %u %s\n", i + 1, path);
    }
  return 0;
}
