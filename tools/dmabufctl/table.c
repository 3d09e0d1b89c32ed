/* SPDX-License-Identifier: MIT */
/*
 * Listings as libsmartcols tables, the way lsblk and lsfd print theirs:
 * -o COL,... picks and orders the columns (the names of --list-columns,
 * any case), -n drops the headings, -r prints raw cells (one space
 * apart, libsmartcols escaping spaces and every byte that is not
 * printable ASCII as \xNN), -J prints {"<table>": [{...}, ...]} with the
 * lowercased column names as keys.
 *
 * Without -o, text shows the COL_DEFAULT columns and JSON every column
 * but the COL_TEXT ones (text renderings of other columns: durations,
 * flag letters). JSON numbers stay below 2^53, so jq reads them exactly;
 * nanosecond values (CLOCK_MONOTONIC times, ages) are strings of digits
 * instead, since monotonic time passes 2^53 ns after 104 days of uptime.
 * An empty cell is "-" in text and null in JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libsmartcols.h>

#include "dmabufctl.h"

struct table {
	const struct table_def *def;
	struct libscols_table *tb;
	unsigned *cols; /* selected column indices, in output order */
	size_t n;
};

static int col_find(const struct table_def *def, const char *name, size_t len)
{
	for (size_t i = 0; i < def->ncols; i++)
		if (strlen(def->cols[i].name) == len &&
		    !strncasecmp(def->cols[i].name, name, len))
			return (int)i;
	return -1;
}

static void select_defaults(struct table *t)
{
	for (unsigned i = 0; i < t->def->ncols; i++) {
		unsigned fl = t->def->cols[i].flags;

		if (opts.mode == OUT_JSON ? !(fl & COL_TEXT) : (fl & COL_DEFAULT))
			t->cols[t->n++] = i;
	}
}

/* The columns of -o (or the defaults) into t->cols. */
static int select_columns(struct table *t)
{
	const struct table_def *def = t->def;
	const char *p = opts.columns;

	t->cols = calloc(def->ncols * 4 + 1, sizeof(*t->cols));
	if (!t->cols)
		return ctl_error(EXIT_FAILURE, ENOMEM, "out of memory");
	if (!p) {
		select_defaults(t);
		return 0;
	}
	/* "+COL,..." adds to the defaults, as lsblk does. */
	if (*p == '+') {
		select_defaults(t);
		p++;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int c = col_find(def, p, len);

		if (c < 0)
			return ctl_error(EXIT_FAILURE, EINVAL,
					 "unknown column \"%.*s\" (dmabufctl %s "
					 "--list-columns)",
					 (int)len, p, def->cmd);
		if (t->n == def->ncols * 4)
			return ctl_error(EXIT_FAILURE, EINVAL, "too many columns");
		t->cols[t->n++] = (unsigned)c;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!t->n)
		return ctl_error(EXIT_FAILURE, EINVAL, "no columns");
	return 0;
}

static int add_column(struct table *t, const struct col_def *c)
{
	int json_type[] = {
		[COL_STR] = SCOLS_JSON_STRING,   [COL_NUM] = SCOLS_JSON_NUMBER,
		[COL_BOOL] = SCOLS_JSON_BOOLEAN, [COL_NS] = SCOLS_JSON_STRING,
		[COL_LIST] = SCOLS_JSON_ARRAY_STRING,
	};
	int flags = (c->flags & COL_RIGHT) ? SCOLS_FL_RIGHT : 0;
	struct libscols_column *cl;

	/* A list is one string per line, which JSON makes an array. */
	if (c->type == COL_LIST && opts.mode == OUT_JSON)
		flags |= SCOLS_FL_WRAP;
	cl = scols_table_new_column(t->tb, c->name, 0, flags);
	if (!cl)
		return -ENOMEM;
	if (scols_column_set_json_type(cl, json_type[c->type]) < 0)
		return -ENOMEM;
	if (c->type == COL_LIST && opts.mode == OUT_JSON)
		scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize,
					  scols_wrapnl_nextchunk, NULL);
	return 0;
}

int table_new(const struct table_def *def, struct table **ret)
{
	struct table *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return ctl_error(EXIT_FAILURE, ENOMEM, "out of memory");
	t->def = def;
	r = select_columns(t);
	if (r) {
		table_free(t);
		return r;
	}
	t->tb = scols_new_table();
	if (!t->tb)
		goto nomem;
	scols_table_set_name(t->tb, def->name);
	if (opts.mode == OUT_JSON)
		scols_table_enable_json(t->tb, 1);
	else if (opts.mode == OUT_RAW)
		scols_table_enable_raw(t->tb, 1);
	else
		/* text_safe() made every name printable already; libsmartcols
		 * would escape the backslashes it doubled. */
		scols_table_enable_noencoding(t->tb, 1);
	scols_table_enable_noheadings(t->tb, opts.noheadings);
	for (size_t i = 0; i < t->n; i++)
		if (add_column(t, &def->cols[t->cols[i]]) < 0)
			goto nomem;
	*ret = t;
	return 0;
nomem:
	table_free(t);
	return ctl_error(EXIT_FAILURE, ENOMEM, "out of memory");
}

int table_add(struct table *t, const void *rec)
{
	struct libscols_line *ln = scols_table_new_line(t->tb, NULL);

	if (!ln)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		const struct col_def *c = &t->def->cols[t->cols[i]];
		char buf[512];
		const char *s = t->def->cell(rec, t->cols[i], buf, sizeof(buf));

		if (s && c->type == COL_BOOL)
			s = opts.mode == OUT_JSON ? (*s == '1' ? "1" : "0")
						  : (*s == '1' ? "yes" : "no");
		else if (s && c->type == COL_LIST && opts.mode == OUT_JSON)
			/* "a,b" -> one per line (names of ours: no commas). */
			for (char *p = s == buf ? buf : NULL; p && *p; p++)
				if (*p == ',')
					*p = '\n';
		if (!s)
			s = opts.mode == OUT_JSON ? "" : "-";
		if (scols_line_set_data(ln, i, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

void table_set_stream(struct table *t, FILE *f)
{
	scols_table_set_stream(t->tb, f);
}

int table_print(struct table *t)
{
	int r = scols_print_table(t->tb);

	table_free(t);
	if (r < 0)
		return ctl_error(EXIT_FAILURE, -r, "cannot print the table: %s",
				 strerror(-r));
	return 0;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	scols_unref_table(t->tb);
	free(t->cols);
	free(t);
}

bool table_notes(void)
{
	return opts.mode == OUT_TEXT && !opts.noheadings;
}

int table_list_columns(const struct table_def *def)
{
	if (opts.mode == OUT_JSON) {
		printf("{\"columns\": [");
		for (size_t i = 0; i < def->ncols; i++) {
			printf("%s{\"name\": ", i ? ", " : "");
			json_str(def->cols[i].name);
			printf(", \"default\": %s, \"help\": ",
			       (def->cols[i].flags & COL_DEFAULT) ? "true" : "false");
			json_str(def->cols[i].help);
			putchar('}');
		}
		printf("]}\n");
		return 0;
	}
	printf("Columns of dmabufctl %s (-o COL,...; * shown by default):\n",
	       def->cmd);
	for (size_t i = 0; i < def->ncols; i++)
		printf("  %-20s %s %s\n", def->cols[i].name,
		       (def->cols[i].flags & COL_DEFAULT) ? "*" : " ",
		       def->cols[i].help);
	return 0;
}

int ctl_list_table(uint32_t op, const char *what, const struct table_def *def,
		   const char *note)
{
	return ctl_list_table_filtered(op, what, def, note, NULL);
}

int ctl_list_table_filtered(uint32_t op, const char *what,
			    const struct table_def *def, const char *note,
			    bool (*keep)(const void *rec))
{
	uint32_t rows = 0;
	struct table *t;
	uint32_t count, size;
	void *recs;
	int r = table_new(def, &t);

	if (r)
		return r;
	r = ctl_list(op, what, &recs, &count, &size);
	if (r) {
		table_free(t);
		return r;
	}
	for (uint32_t i = 0; i < count && !r; i++) {
		const void *rec = (const char *)recs + (size_t)i * size;

		if (keep && !keep(rec))
			continue;
		r = table_add(t, rec);
		rows++;
	}
	free(recs);
	if (r) {
		table_free(t);
		return ctl_error(EXIT_FAILURE, -r, "out of memory");
	}
	r = table_print(t);
	if (!r && note && rows && table_notes())
		printf("%s\n", note);
	return r;
}
