/* ferry-files-panel.h: the searchable, sortable list of shared files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FERRY_TYPE_FILES_PANEL (ferry_files_panel_get_type ())

/* Properties: "offers" (GListModel of FerryOffer), "sort-by" ("name", "size", "time",
 * "uploader"), "search-text", "search-mode". */
G_DECLARE_FINAL_TYPE (FerryFilesPanel, ferry_files_panel, FERRY, FILES_PANEL, AdwBin)

GtkWidget  *ferry_files_panel_new             (void);
GListModel *ferry_files_panel_get_offers      (FerryFilesPanel *self);
void        ferry_files_panel_set_offers      (FerryFilesPanel *self,
                                               GListModel      *offers);
const char *ferry_files_panel_get_sort_by     (FerryFilesPanel *self);
void        ferry_files_panel_set_sort_by     (FerryFilesPanel *self,
                                               const char      *sort_by);
const char *ferry_files_panel_get_search_text (FerryFilesPanel *self);
void        ferry_files_panel_set_search_text (FerryFilesPanel *self,
                                               const char      *text);
gboolean    ferry_files_panel_get_search_mode (FerryFilesPanel *self);
void        ferry_files_panel_set_search_mode (FerryFilesPanel *self,
                                               gboolean         search_mode);
void        ferry_files_panel_set_key_capture_widget (FerryFilesPanel *self,
                                                      GtkWidget       *widget);
/* The offers as shown: filtered by the search text and sorted. */
GListModel *ferry_files_panel_get_shown       (FerryFilesPanel *self);
/* "empty", "no-results" or "list" */
const char *ferry_files_panel_get_page        (FerryFilesPanel *self);

G_END_DECLS
