/* The scenario reference: the schema table (schema.c) rendered as one
 * Markdown table, so the README's reference is generated, never written by
 * hand, and a test holds the README to it. */
#include "schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"

/* Table cells: '|' would end the cell. */
static void cell(mb_strbuf *b, const char *text)
{
    for (const char *p = text; *p != '\0'; p++)
        mb_strbuf_add_n(b, *p == '|' ? "\\|" : p, *p == '|' ? 2 : 1);
}

static const char *type_of(const mb__key *k)
{
    if (k->doc_type != NULL)
        return k->doc_type;
    switch (k->type) {
    case MB__KEY_INT: return "int";
    case MB__KEY_BOOL: return "bool";
    case MB__KEY_FRACTION: return "percent";
    case MB__KEY_ENUM: return "enum";
    case MB__KEY_DURATION: return "duration";
    case MB__KEY_BYTES: return "size";
    case MB__KEY_STRING: return "string";
    default: return "mapping";
    }
}

/* The accepted values in words, into buf. */
static void range_of(const mb__key *k, char *buf, size_t size)
{
    buf[0] = '\0';
    if (k->doc_range != NULL) {
        snprintf(buf, size, "%s", k->doc_range);
        return;
    }
    switch (k->type) {
    case MB__KEY_INT:
        snprintf(buf, size, "%ld to %ld", k->min, k->max);
        break;
    case MB__KEY_BOOL:
        snprintf(buf, size, "true, false");
        break;
    case MB__KEY_FRACTION:
        snprintf(buf, size, "%s to %g%%", k->positive ? "above 0%" : "0%", k->fmax * 100);
        break;
    case MB__KEY_ENUM:
        for (size_t i = 0; i < k->n_words; i++) {
            size_t used = strlen(buf);
            snprintf(buf + used, size - used, "%s%s", i ? ", " : "", k->words[i]);
        }
        break;
    case MB__KEY_DURATION:
        snprintf(buf, size, "above 0 to %gh (120s, 500ms)", k->fmax / 3600);
        break;
    case MB__KEY_BYTES:
        snprintf(buf, size, "8GiB, 512MiB, or none");
        break;
    default:
        break;
    }
}

/* Rows of the keys of t under prefix.  Keys inside a list entry
 * (overrides[], contrasts[]) have no default of their own: an unset key
 * there keeps the scenario's value or means "no gate". */
static void rows(mb_strbuf *b, const mb__table *t, const char *prefix, bool defaults)
{
    for (size_t i = 0; i < t->n; i++) {
        const mb__key *k = &t->keys[i];
        char *path = mb_asprintf("%s%s", prefix, k->name);
        if (k->type != MB__KEY_TABLE) {
            char range[256];
            range_of(k, range, sizeof range);
            mb_strbuf_printf(b, "| `%s` | %s | ", path, type_of(k));
            if (defaults && k->def != NULL) {
                mb_strbuf_printf(b, "`");
                cell(b, k->def);
                mb_strbuf_printf(b, "`");
            }
            mb_strbuf_printf(b, " | ");
            cell(b, range);
            mb_strbuf_printf(b, " | ");
            cell(b, k->help);
            mb_strbuf_printf(b, " |\n");
        }
        if (k->sub != NULL) {
            /* A list of mappings reads as key[].field. */
            bool list = k->doc_type != NULL && strcmp(k->doc_type, "list") == 0;
            char *inner = mb_asprintf("%s%s.", path, list ? "[]" : "");
            rows(b, k->sub, inner, defaults && !list);
            free(inner);
        }
        free(path);
    }
}

char *mb_scenario_reference_markdown(void)
{
    mb_strbuf b = {0};
    mb_strbuf_printf(&b, "| key | type | default | accepted | meaning |\n"
                         "|---|---|---|---|---|\n");
    rows(&b, &mb__root_table, "", true);
    return b.s;
}

/* Where the section starts (after the begin marker's line) and ends (at
 * the end marker), or -1. */
static int section_bounds(const char *readme, size_t *start, size_t *end)
{
    const char *begin = strstr(readme, MB_SCENARIO_REFERENCE_BEGIN);
    const char *nl = begin != NULL ? strchr(begin, '\n') : NULL;
    const char *stop = nl != NULL ? strstr(nl, MB_SCENARIO_REFERENCE_END) : NULL;
    if (stop == NULL)
        return -1;
    *start = (size_t)(nl + 1 - readme);
    *end = (size_t)(stop - readme);
    return 0;
}

char *mb_scenario_reference_section(const char *readme)
{
    size_t start, end;
    if (section_bounds(readme, &start, &end) != 0)
        return NULL;
    return mb_strndup(readme + start, end - start);
}

char *mb_scenario_reference_splice(const char *readme)
{
    size_t start, end;
    if (section_bounds(readme, &start, &end) != 0)
        return NULL;
    char *table = mb_scenario_reference_markdown();
    char *out = mb_asprintf("%.*s%s%s", (int)start, readme, table, readme + end);
    free(table);
    return out;
}
