/* hb-checks.c - one client's checks: verdicts, evidence and a summary to bind a cell to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HbCheckBoard (hb-check-board.c) judges; this is what it judges into.
 */

#include "config.h"

#include "hb-checks-private.h"

G_DEFINE_FINAL_TYPE (HbChecks, hb_checks, G_TYPE_OBJECT)

enum {
  CHECKS_PROP_0,
  CHECKS_PROP_CONNECTION,
  CHECKS_PROP_PASSED,
  CHECKS_PROP_FAILED,
  CHECKS_PROP_SUMMARY,
  CHECKS_N_PROPS
};

static GParamSpec *checks_properties[CHECKS_N_PROPS];

static void
hb_checks_finalize (GObject *object)
{
  HbChecks *self = HB_CHECKS (object);

  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    g_free (self->evidence[i]);
  g_free (self->summary);
  g_free (self->glued_text);
  g_free (self->expected);
  g_free (self->received);
  g_clear_object (&self->conn);
  G_OBJECT_CLASS (hb_checks_parent_class)->finalize (object);
}

static void
hb_checks_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  HbChecks *self = HB_CHECKS (object);

  switch (prop_id)
    {
    case CHECKS_PROP_CONNECTION: g_value_set_object (value, self->conn); break;
    case CHECKS_PROP_PASSED: g_value_set_uint (value, hb_checks_get_passed (self)); break;
    case CHECKS_PROP_FAILED: g_value_set_uint (value, hb_checks_get_failed (self)); break;
    case CHECKS_PROP_SUMMARY: g_value_set_string (value, self->summary); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hb_checks_class_init (HbChecksClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = hb_checks_finalize;
  object_class->get_property = hb_checks_get_property;

  checks_properties[CHECKS_PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, HB_TYPE_CONNECTION, ro);
  checks_properties[CHECKS_PROP_PASSED] = g_param_spec_uint ("passed", NULL, NULL, 0, HB_CLIENT_N_CHECKS, 0, ro);
  checks_properties[CHECKS_PROP_FAILED] = g_param_spec_uint ("failed", NULL, NULL, 0, HB_CLIENT_N_CHECKS, 0, ro);
  checks_properties[CHECKS_PROP_SUMMARY] = g_param_spec_string ("summary", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, CHECKS_N_PROPS, checks_properties);
}

static void
hb_checks_init (HbChecks *self)
{
  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    self->evidence[i] = g_strdup ("");
  self->slowest_us = -1;
}

void
_hb_checks_update_summary (HbChecks *self)
{
  guint passed = hb_checks_get_passed (self);
  guint failed = hb_checks_get_failed (self);
  guint pending = HB_CLIENT_N_CHECKS - passed - failed;
  GString *s = g_string_new (NULL);
  gboolean changed;

  g_string_append_printf (s, "%u ✓", passed);
  if (failed > 0)
    g_string_append_printf (s, " · %u ✗", failed);
  if (pending > 0)
    g_string_append_printf (s, " · %u …", pending);
  changed = g_strcmp0 (s->str, self->summary) != 0;
  g_free (self->summary);
  self->summary = g_string_free (s, FALSE);
  if (changed)
    {
      g_object_notify_by_pspec (G_OBJECT (self), checks_properties[CHECKS_PROP_PASSED]);
      g_object_notify_by_pspec (G_OBJECT (self), checks_properties[CHECKS_PROP_FAILED]);
      g_object_notify_by_pspec (G_OBJECT (self), checks_properties[CHECKS_PROP_SUMMARY]);
    }
}

HbConnection *
hb_checks_get_connection (HbChecks *self)
{
  g_return_val_if_fail (HB_IS_CHECKS (self), NULL);
  return self->conn;
}

HbCheckVerdict
hb_checks_get_verdict (HbChecks      *self,
                       HbClientCheck  check)
{
  g_return_val_if_fail (HB_IS_CHECKS (self), HB_CHECK_PENDING);
  g_return_val_if_fail ((guint) check < HB_CLIENT_N_CHECKS, HB_CHECK_PENDING);
  return self->verdict[check];
}

const char *
hb_checks_get_evidence (HbChecks      *self,
                        HbClientCheck  check)
{
  g_return_val_if_fail (HB_IS_CHECKS (self), NULL);
  g_return_val_if_fail ((guint) check < HB_CLIENT_N_CHECKS, NULL);
  return self->evidence[check];
}

guint
hb_checks_get_passed (HbChecks *self)
{
  guint n = 0;

  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    n += self->verdict[i] == HB_CHECK_PASSED;
  return n;
}

guint
hb_checks_get_failed (HbChecks *self)
{
  guint n = 0;

  for (guint i = 0; i < HB_CLIENT_N_CHECKS; i++)
    n += self->verdict[i] == HB_CHECK_FAILED;
  return n;
}

const char *
hb_checks_get_summary (HbChecks *self)
{
  g_return_val_if_fail (HB_IS_CHECKS (self), NULL);
  return self->summary;
}
