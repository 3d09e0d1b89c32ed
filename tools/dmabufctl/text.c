/* SPDX-License-Identifier: MIT */
/*
 * Names come from clients (DMA_BUF_SET_NAME, an opener's comm) and may
 * hold any bytes. Text output escapes what could drive a terminal
 * (text_safe()); raw output leaves it to libsmartcols, which escapes
 * every byte that is not printable ASCII, and a space, as \xNN; JSON
 * passes valid UTF-8 and replaces the rest (json_safe(), json_strn()).
 */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "dmabufctl.h"

/* The locale has UTF-8 characters: text may show them as they are. */
static bool utf8_locale;

void text_init(void)
{
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") &&
	    setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		utf8_locale = false;
		return;
	}
	utf8_locale = true;
}

/*
 * The length of the valid UTF-8 sequence at @s (@n bytes left), its code
 * point in *ret_cp; 0 when @s starts none: a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF, a sequence cut
 * short.
 */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/* C0 and C1 controls and DEL: a terminal acts on them. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Bidirectional formatting characters: they reorder the text around them. */
static bool is_bidi_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * @s (@n bytes, up to a NUL) made safe for a terminal, in @buf (4 * @n +
 * 1 bytes: no byte grows to more than four): valid UTF-8 as it is, except
 * controls (C0, DEL, C1) and bidirectional formatting characters, whose
 * bytes become \xNN, as does each byte that is not part of valid UTF-8
 * (and each byte past ASCII when the locale has no UTF-8); a backslash is
 * doubled, so that \xNN is never the name's own text.
 */
static void text_safe(char *buf, size_t size, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);

		if (len && cp == '\\') {
			o += (size_t)snprintf(buf + o, size - o, "\\\\");
		} else if (len && !is_control(cp) && !is_bidi_control(cp) &&
			   (utf8_locale || cp < 0x80)) {
			memcpy(buf + o, p + i, len);
			o += len;
		} else {
			if (!len)
				len = 1;
			for (size_t k = 0; k < len; k++)
				o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
						      p[i + k]);
		}
		i += len;
	}
	buf[o] = '\0';
}

/* @s (@n bytes) in @buf with each byte that is not part of valid UTF-8
 * replaced by U+FFFD (three bytes: @size >= 3 * @n + 1). */
static void json_safe(char *buf, size_t size, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 <= size;) {
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);

		if (!len) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(buf + o, p + i, len);
		o += len;
		i += len;
	}
	buf[o] = '\0';
}

const char *name_cell(char *buf, size_t size, const char *s, size_t n)
{
	n = strnlen(s, n);
	if (!n)
		return NULL;
	switch (opts.mode) {
	case OUT_TEXT:
		text_safe(buf, size, s, n);
		break;
	case OUT_RAW:
		memcpy(buf, s, n < size ? n : size - 1);
		buf[n < size ? n : size - 1] = '\0';
		break;
	case OUT_JSON:
		json_safe(buf, size, s, n);
		break;
	}
	return buf;
}

void json_fstrn(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_char(p + i, n - i, &cp);

		if (!len) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (is_control(cp))
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(p + i, 1, len, f);
		i += len;
	}
	fputc('"', f);
}

void json_strn(const char *s, size_t n)
{
	json_fstrn(stdout, s, n);
}

void json_str(const char *s)
{
	json_strn(s, strlen(s));
}
