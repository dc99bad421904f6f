/* ferry-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ferry-clock"

#include "config.h"

#include "ferry-clock.h"

struct _FerryClock
{
  GObject parent_instance;

  guint   timeout_id;
  gint64  now;
};

enum {
  PROP_0,
  PROP_NOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FerryClock, ferry_clock, G_TYPE_OBJECT)

static void ferry_clock_schedule (FerryClock *self);

static gboolean
ferry_clock_timeout_cb (gpointer user_data)
{
  FerryClock *self = user_data;

  self->timeout_id = 0;
  ferry_clock_tick (self);
  ferry_clock_schedule (self);
  return G_SOURCE_REMOVE;
}

static void
ferry_clock_schedule (FerryClock *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint seconds = 60 - (guint) (now % 60);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_id = g_timeout_add_seconds (seconds, ferry_clock_timeout_cb, self);
}

static void
ferry_clock_dispose (GObject *object)
{
  FerryClock *self = FERRY_CLOCK (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);

  G_OBJECT_CLASS (ferry_clock_parent_class)->dispose (object);
}

static void
ferry_clock_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FerryClock *self = FERRY_CLOCK (object);

  switch (prop_id)
    {
    case PROP_NOW:
      g_value_set_int64 (value, self->now);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_clock_class_init (FerryClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_clock_dispose;
  object_class->get_property = ferry_clock_get_property;

  properties[PROP_NOW] =
    g_param_spec_int64 ("now", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_clock_init (FerryClock *self)
{
  self->now = g_get_real_time () / G_USEC_PER_SEC;
  ferry_clock_schedule (self);
}

FerryClock *
ferry_clock_get_default (void)
{
  static FerryClock *instance;

  if (!instance)
    {
      instance = g_object_new (FERRY_TYPE_CLOCK, NULL);
      g_object_add_weak_pointer (G_OBJECT (instance), (gpointer *) &instance);
    }
  return instance;
}

gint64
ferry_clock_get_now (FerryClock *self)
{
  g_return_val_if_fail (FERRY_IS_CLOCK (self), 0);

  return self->now;
}

void
ferry_clock_tick (FerryClock *self)
{
  g_return_if_fail (FERRY_IS_CLOCK (self));

  self->now = g_get_real_time () / G_USEC_PER_SEC;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOW]);
}
