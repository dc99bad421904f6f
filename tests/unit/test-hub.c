/* test-hub.c: the hub's cursor, which the server uses to send a snapshot a little at a time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ferry-hub.h"

static FerryCatalogueRow *
row_new (const char *id)
{
  FerryCatalogueRow *row = ferry_catalogue_row_new ();

  row->id = g_strdup (id);
  row->name = g_strdup (id);
  row->uploader = g_strdup ("test");
  return row;
}

static void
publish (FerryHub   *hub,
         const char *id)
{
  g_autoptr(FerryCatalogueRow) row = row_new (id);

  ferry_hub_publish_offer (hub, row);
}

/* The ids the cursor returns from here to the end, joined by spaces. */
static char *
rest (FerryHubCursor *cursor)
{
  g_autoptr(GString) out = g_string_new (NULL);
  FerryCatalogueRow *row;

  while ((row = ferry_hub_cursor_next (cursor)))
    g_string_append_printf (out, "%s%s", out->len ? " " : "", row->id);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
take_deleted (FerryHubCursor *cursor)
{
  g_autoptr(GPtrArray) deleted = ferry_hub_cursor_take_deleted (cursor);

  g_ptr_array_add (deleted, NULL);
  return g_strjoinv (" ", (char **) deleted->pdata);
}

static void
test_cursor_follows_changes (void)
{
  g_autoptr(FerryHub) hub = ferry_hub_new ();
  g_autoptr(FerryHubCursor) cursor = NULL;
  g_autofree char *deleted = NULL;
  g_autofree char *tail = NULL;

  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("%u", i);

      publish (hub, id);
    }

  cursor = ferry_hub_cursor_new (hub);
  g_assert_cmpstr (ferry_hub_cursor_next (cursor)->id, ==, "1");
  g_assert_cmpstr (ferry_hub_cursor_next (cursor)->id, ==, "2");

  /* The offer it stands on, one before it and one after it go; two offers come. */
  ferry_hub_publish_deleted (hub, "2");
  ferry_hub_publish_deleted (hub, "1");
  ferry_hub_publish_deleted (hub, "4");
  publish (hub, "6");
  publish (hub, "7");

  tail = rest (cursor);
  g_assert_cmpstr (tail, ==, "3 5 6 7");
  deleted = take_deleted (cursor);
  g_assert_cmpstr (deleted, ==, "2 1");
  g_clear_pointer (&deleted, g_free);

  /* At the end, it waits for what comes next. */
  g_assert_null (ferry_hub_cursor_next (cursor));
  publish (hub, "8");
  g_assert_cmpstr (ferry_hub_cursor_next (cursor)->id, ==, "8");
  ferry_hub_publish_deleted (hub, "8");
  ferry_hub_publish_deleted (hub, "7");
  deleted = take_deleted (cursor);
  g_assert_cmpstr (deleted, ==, "8 7");
  g_assert_null (ferry_hub_cursor_next (cursor));
  g_assert_cmpuint (ferry_hub_get_n_offers (hub), ==, 3);
}

static void
test_cursor_on_empty_hub (void)
{
  g_autoptr(FerryHub) hub = ferry_hub_new ();
  g_autoptr(FerryHubCursor) cursor = ferry_hub_cursor_new (hub);
  g_autofree char *deleted = NULL;

  g_assert_null (ferry_hub_cursor_next (cursor));
  publish (hub, "a");
  ferry_hub_publish_deleted (hub, "a");
  publish (hub, "b");
  g_assert_cmpstr (ferry_hub_cursor_next (cursor)->id, ==, "b");
  deleted = take_deleted (cursor);
  g_assert_cmpstr (deleted, ==, "");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hub/cursor/follows-changes", test_cursor_follows_changes);
  g_test_add_func ("/hub/cursor/empty-hub", test_cursor_on_empty_hub);

  return g_test_run ();
}
