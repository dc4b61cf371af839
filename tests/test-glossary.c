/* test-glossary.c - po/zh_CN.po speaks the words of docs/glossary.md
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The glossary's first table gives, for each term, the words the
 * translation uses (in backticks, second column) and those it never uses
 * (last column); its second table pins single interface words. No
 * translation may hold a word of the last column except inside a word of
 * the second (三次握手 holds 握手, which alone is not used).
 */

#include "config.h"

#include <string.h>

#include <glib.h>

typedef struct
{
  char *msgid;
  GPtrArray *msgstr;   /* char*, one per plural form */
} PoEntry;

static void
po_entry_free (PoEntry *e)
{
  g_free (e->msgid);
  g_ptr_array_unref (e->msgstr);
  g_free (e);
}

static char *
unquote (const char *line)
{
  GString *s = g_string_new (NULL);
  const char *p = strchr (line, '"');

  g_assert_nonnull (p);
  for (p++; *p && *p != '"'; p++)
    {
      if (*p != '\\')
        {
          g_string_append_c (s, *p);
          continue;
        }
      p++;
      switch (*p)
        {
        case 'n': g_string_append_c (s, '\n'); break;
        case 't': g_string_append_c (s, '\t'); break;
        default: g_string_append_c (s, *p); break;
        }
    }
  return g_string_free (s, FALSE);
}

/* The live entries of a .po file (obsolete ones start with #~ and are
 * comments here). */
static GPtrArray *
read_po (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) po_entry_free);
  PoEntry *e = NULL;
  char **field = NULL;   /* what a continuation line adds to */
  char *other = NULL;    /* msgctxt and msgid_plural: read, not kept */

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];
      char *s;

      if (l[0] == '#' || l[0] == '\0')
        {
          field = NULL;
          continue;
        }
      s = unquote (l);
      if (g_str_has_prefix (l, "msgid "))
        {
          e = g_new0 (PoEntry, 1);
          e->msgid = s;
          e->msgstr = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (entries, e);
          field = &e->msgid;
        }
      else if (g_str_has_prefix (l, "msgstr") && e != NULL)
        {
          g_ptr_array_add (e->msgstr, s);
          field = (char **) &e->msgstr->pdata[e->msgstr->len - 1];
        }
      else if (l[0] == '"' && field != NULL)
        {
          char *joined = g_strconcat (*field, s, NULL);

          g_free (*field);
          g_free (s);
          *field = joined;
        }
      else
        {
          g_free (other);
          other = s;
          field = &other;
        }
    }
  g_free (other);
  return entries;
}

/* The `terms` in backticks of a table cell. */
static void
backticked (const char *cell,
            GPtrArray  *out)
{
  for (const char *p = strchr (cell, '`'); p != NULL; p = strchr (p, '`'))
    {
      const char *end = strchr (p + 1, '`');

      g_assert_nonnull (end);
      g_ptr_array_add (out, g_strndup (p + 1, end - p - 1));
      p = end + 1;
    }
}

/* Whether @term occurs in @text other than inside an occurrence of one
 * of @allowed that contains it (三次握手 holds 握手). */
static gboolean
occurs_bare (const char *text,
             const char *term,
             GPtrArray  *allowed)
{
  for (const char *at = strstr (text, term); at != NULL; at = strstr (at + 1, term))
    {
      gboolean covered = FALSE;

      for (guint i = 0; i < allowed->len && !covered; i++)
        {
          const char *a = allowed->pdata[i];

          for (const char *k = strstr (a, term); k != NULL && !covered; k = strstr (k + 1, term))
            covered = at - text >= k - a && strncmp (at - (k - a), a, strlen (a)) == 0;
        }
      if (!covered)
        return TRUE;
    }
  return FALSE;
}

static void
test_glossary (void)
{
  g_autofree char *glossary_path = g_build_filename (HB_SOURCE_ROOT, "docs", "glossary.md", NULL);
  g_autofree char *po_path = g_build_filename (HB_SOURCE_ROOT, "po", "zh_CN.po", NULL);
  g_autofree char *glossary = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) allowed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) forbidden = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) pinned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  enum { NONE, TERMS, WORDS } section = NONE;

  g_assert_true (g_file_get_contents (glossary_path, &glossary, NULL, NULL));
  lines = g_strsplit (glossary, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) cells = NULL;

      if (g_str_has_prefix (lines[i], "## "))
        section = strstr (lines[i], "Terms") ? TERMS : strstr (lines[i], "Interface") ? WORDS : NONE;
      if (lines[i][0] != '|' || g_str_has_prefix (lines[i], "| ---"))
        continue;
      /* "| a | b |" splits into "", " a ", " b ", "". */
      cells = g_strsplit (lines[i], "|", -1);
      if (section == TERMS && g_strv_length (cells) == 6)
        {
          backticked (cells[2], allowed);
          backticked (cells[4], forbidden);
        }
      else if (section == WORDS && g_strv_length (cells) == 4 && strstr (cells[1], "msgid") == NULL)
        g_hash_table_insert (pinned, g_strdup (g_strstrip (cells[1])), g_strdup (g_strstrip (cells[2])));
    }
  /* The glossary holds what the issue asked for. */
  g_assert_cmpuint (allowed->len, >=, 30);
  g_assert_true (g_ptr_array_find_with_equal_func (forbidden, "序列号", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (forbidden, "窗口扩大因子", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (forbidden, "在途", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (forbidden, "延迟应答", g_str_equal, NULL));
  g_assert_cmpstr (g_hash_table_lookup (pinned, "No."), ==, "编号");

  entries = read_po (po_path);
  g_assert_cmpuint (entries->len, >, 500);
  for (guint i = 0; i < entries->len; i++)
    {
      PoEntry *e = entries->pdata[i];
      const char *want = g_hash_table_lookup (pinned, e->msgid);

      if (e->msgid[0] == '\0')
        continue;   /* the header */
      for (guint k = 0; k < e->msgstr->len; k++)
        for (guint f = 0; f < forbidden->len; f++)
          if (occurs_bare (e->msgstr->pdata[k], forbidden->pdata[f], allowed))
            g_string_append_printf (problems, "“%s” in the translation of “%.60s”\n",
                                    (char *) forbidden->pdata[f], e->msgid);
      if (want != NULL && g_strcmp0 (e->msgstr->pdata[0], want) != 0)
        g_string_append_printf (problems, "“%s” is translated “%s”, not “%s”\n", e->msgid,
                                (char *) e->msgstr->pdata[0], want);
      g_hash_table_remove (pinned, e->msgid);
    }
  /* Every pinned word is a message of the program. */
  if (g_hash_table_size (pinned) > 0)
    g_string_append_printf (problems, "%u pinned words are no message of po/zh_CN.po\n", g_hash_table_size (pinned));
  if (problems->len > 0)
    g_error ("po/zh_CN.po does not follow docs/glossary.md:\n%s", problems->str);
}
int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/po/glossary", test_glossary);
  return g_test_run ();
}
