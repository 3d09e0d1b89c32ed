/* SPDX-License-Identifier: MIT */
/*
 * dmabufctl's parts: main.c parses the command line and dispatches
 * (struct command), table.c prints the listings through libsmartcols
 * (column selection, headings, raw, JSON), text.c makes client-chosen
 * names safe for a terminal or JSON, and one file per command group:
 * daemon.c (status, stats), objects.c (heaps, buffers, fences,
 * timelines), dma.c (dma devices, channels, transfers, fault).
 *
 * Every command returns the process's exit status (EXIT_NO_DAEMON when
 * nothing listens on the control socket). Messages go to stderr through
 * ctl_error(), which prints one JSON object under --json.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <dmabufd/dmabufd.h>

#define EXIT_NO_DAEMON 2

enum out_mode {
	OUT_TEXT, /* aligned columns, names escaped by text_safe() */
	OUT_RAW,  /* -r: one space between cells, libsmartcols' \xNN escapes */
	OUT_JSON, /* -J */
};

struct ctl_opts {
	enum out_mode mode;
	bool noheadings;      /* -n */
	bool list_columns;    /* --list-columns */
	const char *columns;  /* -o, or NULL for the defaults */
	bool pending;         /* fences --pending */
	uint64_t older_than_ns; /* fences --older-than */
	long pid;             /* procs -p; 0: every process */
};
extern struct ctl_opts opts;

/* ---- errors (main.c) ---------------------------------------------------- */

/*
 * A message to stderr: "dmabufctl: <text>" in text, or under --json one
 * line {"error": "<text>", "errno": <errno>} (@err > 0, or 0 when the
 * error is none of the system's). Returns @status.
 */
int ctl_error(int status, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A failed request: "what: strerror" (EXIT_FAILURE), or the "dmabufd is
 * not running" message (EXIT_NO_DAEMON) for -ENOENT and -ECONNREFUSED. */
int ctl_fail(const char *what, int r);
/* A command line error: the message and a pointer to --help (EXIT_FAILURE). */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- names (text.c) ----------------------------------------------------- */

/*
 * The name field @s (at most @n bytes, up to a NUL) as a table cell of
 * the current mode, in @buf (@size >= 4 * @n + 1): text escapes what
 * could drive a terminal (controls, bidirectional formatting, bytes that
 * are not UTF-8 as \xNN, a backslash doubled; every byte past ASCII too
 * when the locale is not UTF-8); raw passes the bytes to libsmartcols,
 * whose raw output escapes them; JSON passes valid UTF-8 and turns each
 * other byte into U+FFFD. Returns @buf, or NULL for an empty name.
 */
const char *name_cell(char *buf, size_t size, const char *s, size_t n);
#define NAME_CELL_SIZE(f) (4 * sizeof(f) + 1)
/* The caller's buffer @buf as a record's name field cell. */
#define name_field(buf, f) name_cell((buf), sizeof(buf), (f), sizeof(f))

/* Pick the locale: the user's, with UTF-8 character handling if it has
 * none (text.c then escapes every byte past ASCII). */
void text_init(void);

/* ---- tables (table.c) --------------------------------------------------- */

struct libscols_table;

enum col_type {
	COL_STR,   /* JSON string (null when empty) */
	COL_NUM,   /* JSON number: below 2^53 */
	COL_BOOL,  /* JSON true/false; text "yes"/"no" */
	COL_NS,    /* nanoseconds: a JSON string of digits (may pass 2^53) */
	COL_LIST,  /* text comma-separated; JSON an array of strings */
};

#define COL_DEFAULT (1u << 0) /* shown without -o in text */
#define COL_RIGHT (1u << 1)   /* right-aligned */
#define COL_TEXT (1u << 2)    /* text only: not in JSON without -o */

struct col_def {
	const char *name; /* header, and lowercased the JSON key */
	enum col_type type;
	unsigned flags;
	const char *help;
};

/*
 * One listing: its columns, and the cell function that writes column
 * @col of record @rec into @buf (@size bytes) and returns it, or a
 * static string, or NULL for none (text "-", JSON null).
 */
struct table_def {
	const char *name; /* JSON: {"<name>": [...]} */
	const char *cmd;  /* the command: "dma channels" */
	const struct col_def *cols;
	size_t ncols;
	const char *(*cell)(const void *rec, unsigned col, char *buf, size_t size);
};

struct table;

/* A table of @def's columns -o picked (else the defaults). Returns 0,
 * or an exit status after a message (an unknown column). */
int table_new(const struct table_def *def, struct table **ret);
/* One row: every selected column of @rec. Returns 0 or -ENOMEM. */
int table_add(struct table *t, const void *rec);
/* Print to @f instead of stdout. */
void table_set_stream(struct table *t, FILE *f);
/* Print the table (and free it). Returns 0 or an exit status. */
int table_print(struct table *t);
void table_free(struct table *t);
/* Print @def's columns and their help (--list-columns). Returns 0. */
int table_list_columns(const struct table_def *def);
/* Whether notes below a table are wanted: text with headings. */
bool table_notes(void);

/* ---- JSON (text.c) ------------------------------------------------------ */

/* @s (@n bytes) as a JSON string to stdout: UTF-8 as it is, controls as
 * \u00XX, a byte that is not UTF-8 as \ufffd. */
void json_strn(const char *s, size_t n);
/* The same to @f. */
void json_fstrn(FILE *f, const char *s, size_t n);
void json_str(const char *s);

/* ---- the daemon (main.c) ------------------------------------------------ */

/* Fetch a listing (*ret_recs freed by the caller): 0, or an exit status
 * after a message. */
int ctl_list(uint32_t op, const char *what, void **ret_recs, uint32_t *ret_count,
	     uint32_t *ret_size);

#define FOREACH_REC(type, rec, recs, count, size)                                  \
	for (uint32_t _i = 0; _i < (count); _i++)                                  \
		for (const type *rec = (const void *)((const char *)(recs) +       \
						      (size_t)_i * (size));        \
		     rec; rec = NULL)

/* A listing command: fetch @op, one row per record; @note (or NULL)
 * below a text table of at least one row. */
int ctl_list_table(uint32_t op, const char *what, const struct table_def *def,
		   const char *note);

/* ctl_list_table(), with only the records @keep (NULL: all) keeps. */
int ctl_list_table_filtered(uint32_t op, const char *what,
			    const struct table_def *def, const char *note,
			    bool (*keep)(const void *rec));

/* @ns as a short duration: "850ns", "12us", "3.2ms", "1.50s", "2m05s". */
const char *duration(uint64_t ns, char *buf, size_t size);

/* ---- commands ----------------------------------------------------------- */

struct command {
	const char *group; /* NULL: top level */
	const char *name;
	const char *args;
	int (*fn)(int argc, char **argv); /* argv[0] is the first argument */
	int min_args, max_args;
	const struct table_def *table; /* a listing: -o, --list-columns */
	const char *help;
};

extern const struct table_def stats_table, heaps_table, buffers_table,
	fences_table, timelines_table, dma_devices_table, dma_channels_table,
	dma_transfers_table, files_table, procs_table;

int cmd_files(int argc, char **argv);
int cmd_procs(int argc, char **argv);

int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_heaps(int argc, char **argv);
int cmd_buffers(int argc, char **argv);
int cmd_fences(int argc, char **argv);
int cmd_timelines(int argc, char **argv);
int cmd_dma_devices(int argc, char **argv);
int cmd_dma_channels(int argc, char **argv);
int cmd_dma_transfers(int argc, char **argv);
int cmd_dma_fault(int argc, char **argv);
