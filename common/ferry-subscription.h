/* ferry-subscription.h: the control session: subscribes, keeps the offers model live, PINGs,
 * and owns the one reconnect backoff and the state and problem it derives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-client.h"
#include "ferry-dialer.h"
#include "ferry-offer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SUBSCRIPTION (ferry_subscription_get_type ())

/* Signals: "offer-added", "offer-removed", "disconnected", as FerryClient's.
 * Properties: "dialer" (construct-only), "state", "problem", "next-retry", "reconnect". */
G_DECLARE_FINAL_TYPE (FerrySubscription, ferry_subscription, FERRY, SUBSCRIPTION, GObject)

FerrySubscription  *ferry_subscription_new               (FerryDialer          *dialer);
/* A GListModel of FerryOffer, oldest first. A reconnect replaces its contents with the new
 * snapshot in one items-changed. */
GListModel         *ferry_subscription_get_offers        (FerrySubscription    *self);
FerryOffer         *ferry_subscription_lookup_offer      (FerrySubscription    *self,
                                                          const char           *id);
FerryClientState    ferry_subscription_get_state         (FerrySubscription    *self);
FerryClientProblem  ferry_subscription_get_problem       (FerrySubscription    *self);
gint64              ferry_subscription_get_next_retry    (FerrySubscription    *self);
const GError       *ferry_subscription_get_error         (FerrySubscription    *self);
/* Which problem @error is, for this dialer (a refused password it sent is a wrong one). */
FerryClientProblem  ferry_subscription_problem_from_error (FerrySubscription   *self,
                                                           const GError        *error);
void                ferry_subscription_set_reconnect     (FerrySubscription    *self,
                                                          gboolean              reconnect);
gboolean            ferry_subscription_get_reconnect     (FerrySubscription    *self);
/* A person answered @problem (trust, forget, a password): when that is what stopped the
 * session, reconnect is on again and it tries at once. */
void                ferry_subscription_answered          (FerrySubscription    *self,
                                                          FerryClientProblem    problem);

/* Opens the control session and subscribes. Resolves once the snapshot is in the model. */
void                ferry_subscription_connect_async     (FerrySubscription    *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean            ferry_subscription_connect_finish    (FerrySubscription    *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
void                ferry_subscription_disconnect        (FerrySubscription    *self);

G_END_DECLS
