/* SPDX-License-Identifier: BSD-3-Clause */
/* json_scan.c - see json_scan.h.
 *
 * One explicit state machine, resumable at every byte, so a chunk may end anywhere. A 136 MB status document
 * is mostly indentation and skipped strings, so those are tight loops (strings eight bytes at a time), and
 * within a chunk the scanner jumps from one token to the next instead of going through its state dispatch.
 * A captured value is not copied while it lies inside the current chunk; only the part carried across a
 * chunk boundary is buffered.
 */
#include "tailscaled/json_scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum state {
	S_VALUE,          /* a value must start: root, after ':', after ',' in an array */
	S_VALUE_OR_CLOSE, /* just after '[' */
	S_KEY_OR_CLOSE,   /* just after '{' */
	S_KEY,            /* after ',' in an object */
	S_COLON,          /* after a member name */
	S_NEXT,           /* after a value in a container: ',' or the closing bracket */
	S_END,            /* after the root value: white space only */
	S_STRING,
	S_ESCAPE,
	S_HEX,            /* sub = hex digits of \uXXXX seen so far */
	S_NUMBER,         /* sub = enum num */
	S_LITERAL,        /* sub = bytes of `literal` matched so far */
};

/* Number grammar positions; the ones marked "may end" accept the number as complete. */
enum num { N_MINUS, N_ZERO /* may end */, N_INT /* may end */, N_DOT, N_FRAC /* may end */, N_E, N_ESIGN,
	   N_EXP /* may end */ };

enum { AFTER_KEY, AFTER_VALUE };

#define F_ARRAY 1u
#define F_ENTERED 2u

/* Byte classes: C_WS for JSON white space; C_STR for the bytes that end the fast path inside a string
 * (control characters, '"', '\\'); C_DIGIT for '0'..'9'; C_START for the bytes a value can start with. */
#define C_WS 1u
#define C_STR 2u
#define C_DIGIT 4u
#define C_START 8u
#define CTL C_STR
#define DIG (C_DIGIT | C_START)
static const uint8_t byte_class[256] = {
	CTL, CTL, CTL, CTL, CTL, CTL, CTL, CTL, CTL, CTL | C_WS, CTL | C_WS, CTL, CTL, CTL | C_WS, CTL, CTL,
	CTL, CTL, CTL, CTL, CTL, CTL, CTL, CTL, CTL, CTL,        CTL,        CTL, CTL, CTL,        CTL, CTL,
	[' '] = C_WS, ['"'] = C_STR | C_START, ['\\'] = C_STR, ['-'] = C_START, ['{'] = C_START, ['['] = C_START,
	['t'] = C_START, ['f'] = C_START, ['n'] = C_START, ['0'] = DIG, ['1'] = DIG, ['2'] = DIG, ['3'] = DIG,
	['4'] = DIG, ['5'] = DIG, ['6'] = DIG, ['7'] = DIG, ['8'] = DIG, ['9'] = DIG,
};

void tn_scan_init(struct tn_scan *s, const struct tn_scan_handler *h, void *ctx)
{
	memset(s, 0, sizeof *s);
	s->h = h;
	s->ctx = ctx;
	s->state = S_VALUE;
	s->capture_depth = -1;
}

void tn_scan_free(struct tn_scan *s)
{
	free(s->cap);
	s->cap = NULL;
	s->cap_len = s->cap_size = 0;
}

/* Per-feed cursor: where the current chunk starts and where the uncopied part of a capture begins. */
struct cursor {
	const unsigned char *buf, *cap_from;
};

__attribute__((format(printf, 4, 5))) static int fail(struct tn_scan *s, struct tn_error *err, int code,
							 const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->failed = 1;
	return tn_error_set(err, code, "%s", msg);
}

static unsigned long long at(const struct tn_scan *s, const struct cursor *c, const unsigned char *p)
{
	return (unsigned long long)(s->offset + (uint64_t)(p - c->buf));
}

static int syntax(struct tn_scan *s, const struct cursor *c, const unsigned char *p, const char *expected,
		  struct tn_error *err)
{
	char what[96];
	s->at = s->offset + (uint64_t)(p - c->buf);
	if (*p >= 0x20 && *p < 0x7f)
		snprintf(what, sizeof what, "'%c' where %s", *p, expected);
	else
		snprintf(what, sizeof what, "byte 0x%02x where %s", *p, expected);
	return fail(s, err, TN_EXIT_BAD_ANSWER, "malformed JSON at byte %llu: %s", at(s, c, p), what);
}

static int too_large(struct tn_scan *s, struct tn_error *err)
{
	return fail(s, err, TN_EXIT_BAD_ANSWER, "a JSON value near byte %llu is larger than %u bytes",
		    (unsigned long long)s->offset, TN_SCAN_MAX_VALUE);
}

static int cap_append(struct tn_scan *s, const unsigned char *from, size_t n, struct tn_error *err)
{
	if (n == 0)
		return 0;
	if (n > TN_SCAN_MAX_VALUE - s->cap_len)
		return too_large(s, err);
	if (s->cap_len + n > s->cap_size) {
		size_t size = s->cap_size ? s->cap_size : 4096;
		while (size < s->cap_len + n)
			size *= 2;
		char *grown = realloc(s->cap, size);
		if (!grown) {
			s->failed = 1;
			return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
		}
		s->cap = grown;
		s->cap_size = size;
	}
	memcpy(s->cap + s->cap_len, from, n);
	s->cap_len += n;
	return 0;
}

/* The name of the member at `depth`: none for the root value and for array elements. */
static const char *member_key(const struct tn_scan *s, int depth)
{
	return depth > 0 && !(s->frames[depth - 1] & F_ARRAY) && s->key_ok ? s->key : NULL;
}

/* A value ended just before `q` (NULL at the end of input). Hands a completed capture over and moves the
 * grammar on. */
static int end_value(struct tn_scan *s, struct cursor *c, const unsigned char *q, struct tn_error *err)
{
	if (s->capture_depth == s->depth) {
		const char *json = (const char *)c->cap_from;
		size_t len = q ? (size_t)(q - c->cap_from) : 0;
		if (s->cap_len) {
			if (cap_append(s, c->cap_from, len, err) < 0)
				return -1;
			json = s->cap;
			len = s->cap_len;
		} else if (len > TN_SCAN_MAX_VALUE) {
			return too_large(s, err);
		}
		s->cap_len = 0;
		s->capture_depth = -1;
		const char *key = member_key(s, s->depth);
		if (s->h->value(s->ctx, s->depth, key, key ? s->key_len : 0, json, len, err) < 0) {
			s->failed = 1;
			return -1;
		}
	}
	s->state = s->depth ? S_NEXT : S_END;
	return 0;
}

static int push(struct tn_scan *s, const struct cursor *c, const unsigned char *p, uint8_t frame,
		struct tn_error *err)
{
	s->at = s->offset + (uint64_t)(p - c->buf);
	if (s->depth >= TN_SCAN_MAX_DEPTH)
		return fail(s, err, TN_EXIT_BAD_ANSWER, "JSON nested deeper than %d levels at byte %llu",
			    TN_SCAN_MAX_DEPTH, at(s, c, p));
	s->frames[s->depth++] = frame;
	s->state = (frame & F_ARRAY) ? S_VALUE_OR_CLOSE : S_KEY_OR_CLOSE;
	return 0;
}

/* The first byte of a value: asks the handler what to do with it when it is a member we report. */
static int begin_value(struct tn_scan *s, struct cursor *c, const unsigned char *p, struct tn_error *err)
{
	int action = TN_SCAN_SKIP;
	if (!(byte_class[*p] & C_START)) /* refused before the handler is asked about it */
		return syntax(s, c, p, "a value should start", err);
	if (s->capture_depth < 0 && (s->depth == 0 || (s->frames[s->depth - 1] & F_ENTERED))) {
		const char *key = member_key(s, s->depth);
		s->at = s->offset + (uint64_t)(p - c->buf);
		action = s->h->member(s->ctx, s->depth, key, key ? s->key_len : 0, (char)*p, err);
		if (action < 0) {
			s->failed = 1;
			return -1;
		}
		if (action == TN_SCAN_CAPTURE) {
			s->capture_depth = s->depth;
			s->cap_len = 0;
			c->cap_from = p;
		}
	}
	switch (*p) {
	case '{':
		return push(s, c, p, action == TN_SCAN_ENTER ? F_ENTERED : 0, err);
	case '[':
		return push(s, c, p, F_ARRAY | (action == TN_SCAN_ENTER ? F_ENTERED : 0), err);
	case '"':
		s->state = S_STRING;
		s->after_string = AFTER_VALUE;
		s->decode_key = 0;
		return 0;
	case 't':
		s->literal = "true";
		break;
	case 'f':
		s->literal = "false";
		break;
	case 'n':
		s->literal = "null";
		break;
	case '-':
		s->state = S_NUMBER;
		s->sub = N_MINUS;
		return 0;
	default: /* a digit */
		s->state = S_NUMBER;
		s->sub = *p == '0' ? N_ZERO : N_INT;
		return 0;
	}
	s->state = S_LITERAL;
	s->sub = 1;
	return 0;
}

static int close_container(struct tn_scan *s, struct cursor *c, const unsigned char *p, struct tn_error *err)
{
	uint8_t frame = s->frames[s->depth - 1];
	if ((*p == ']') != !!(frame & F_ARRAY))
		return syntax(s, c, p, "the other bracket should close", err);
	s->at = s->offset + (uint64_t)(p - c->buf);
	if ((frame & F_ENTERED) && s->capture_depth < 0 && s->h->end && s->h->end(s->ctx, s->depth, err) < 0) {
		s->failed = 1;
		return -1;
	}
	s->depth--;
	return end_value(s, c, p + 1, err);
}

/* The first byte at or after p that ends the fast path inside a string (or end). Eight bytes at a time: most
 * of a status document is string bytes. Per byte, a zero in quote/slash or a value below 0x20 in w sets
 * its high bit; borrows only travel upwards, so the lowest bit set marks exactly the first such byte. */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	while (end - p >= 8) {
		uint64_t w, quote, slash, hits;
		memcpy(&w, p, 8);
		quote = w ^ (ones * '"');
		slash = w ^ (ones * '\\');
		hits = ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | ((w - ones * 0x20) & ~w);
		if (hits & highs)
			return p + (__builtin_ctzll(hits & highs) >> 3);
		p += 8;
	}
#endif
	while (p < end && !(byte_class[*p] & C_STR))
		p++;
	return p;
}

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (byte_class[*p] & C_WS))
		p++;
	return p;
}

static void begin_key(struct tn_scan *s)
{
	s->state = S_STRING;
	s->after_string = AFTER_KEY;
	s->decode_key = s->capture_depth < 0 && (s->frames[s->depth - 1] & F_ENTERED);
	if (s->decode_key) { /* else the key of the member being captured must survive */
		s->key_len = 0;
		s->key_ok = 1;
	}
}

static void key_put(struct tn_scan *s, const unsigned char *from, size_t n)
{
	if (!s->key_ok)
		return;
	if (n > sizeof s->key - s->key_len) {
		s->key_ok = 0;
		return;
	}
	memcpy(s->key + s->key_len, from, n);
	s->key_len += n;
}

static int hex_value(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

int tn_scan_feed(struct tn_scan *s, const char *data, size_t len, struct tn_error *err)
{
	if (s->failed)
		return -1;
	const unsigned char *p = (const unsigned char *)data, *end = p + len;
	struct cursor c = {p, p};

	/* The dispatch below is only for resuming at the start of a chunk and for the rare states; within a
	 * chunk the common paths jump straight from one token to the next. */
	while (p < end) {
		switch (s->state) {
		case S_STRING:
			goto string;
		case S_NUMBER:
			goto number;
		case S_ESCAPE: {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *hit = *p ? strchr(from, *p) : NULL;
			if (*p == 'u') {
				s->state = S_HEX;
				s->sub = 0;
				s->code_point = 0;
			} else if (hit) {
				if (s->decode_key)
					key_put(s, (const unsigned char *)&to[hit - from], 1);
				s->state = S_STRING;
			} else {
				return syntax(s, &c, p, "an escape sequence should be", err);
			}
			p++;
			continue;
		}
		case S_HEX: {
			int v = hex_value(*p);
			if (v < 0)
				return syntax(s, &c, p, "a \\u escape needs four hex digits", err);
			s->code_point = s->code_point << 4 | (uint32_t)v;
			p++;
			if (++s->sub == 4) {
				/* Only ASCII can spell one of our member names: anything else makes it unmatchable. */
				if (s->decode_key) {
					unsigned char ch = (unsigned char)s->code_point;
					if (s->code_point < 0x80)
						key_put(s, &ch, 1);
					else
						s->key_ok = 0;
				}
				s->state = S_STRING;
			}
			continue;
		}
		case S_LITERAL:
			if (*p != (unsigned char)s->literal[s->sub])
				return syntax(s, &c, p, "true, false or null goes on", err);
			p++;
			if (s->literal[++s->sub] != '\0')
				continue;
			if (end_value(s, &c, p, err) < 0)
				return -1;
			goto structural;
		default:
			goto structural;
		}

	string: {
		const unsigned char *q = skip_plain(p, end);
		if (s->decode_key)
			key_put(s, p, (size_t)(q - p));
		p = q;
		if (p == end)
			break;
		if (*p == '\\') {
			s->state = S_ESCAPE;
			p++;
			continue;
		}
		if (*p != '"')
			return syntax(s, &c, p, "a string goes on (control characters must be escaped)", err);
		p++;
		if (s->after_string == AFTER_KEY) {
			/* The usual `"key": value`: straight on to the value. */
			s->state = S_COLON;
			p = skip_ws(p, end);
			if (p == end || *p != ':')
				goto structural;
			s->state = S_VALUE;
			p = skip_ws(p + 1, end);
			if (p == end)
				break;
			goto value;
		}
		if (end_value(s, &c, p, err) < 0)
			return -1;
		goto structural;
	}

	number:
		while (p < end) {
			unsigned char ch = *p;
			int digit = (byte_class[ch] & C_DIGIT) != 0;
			switch (s->sub) {
			case N_MINUS:
				if (!digit)
					return syntax(s, &c, p, "a digit should follow '-'", err);
				s->sub = ch == '0' ? N_ZERO : N_INT;
				p++;
				continue;
			case N_DOT:
			case N_ESIGN:
				if (!digit)
					return syntax(s, &c, p, "a digit should be", err);
				s->sub = s->sub == N_DOT ? N_FRAC : N_EXP;
				p++;
				continue;
			case N_E:
				if (ch == '+' || ch == '-')
					s->sub = N_ESIGN;
				else if (digit)
					s->sub = N_EXP;
				else
					return syntax(s, &c, p, "an exponent should be", err);
				p++;
				continue;
			default: /* N_ZERO, N_INT, N_FRAC, N_EXP: digits continue, '.'/'e' switch, else it ends */
				if (digit && s->sub != N_ZERO) {
					while (p < end && (byte_class[*p] & C_DIGIT))
						p++;
					continue;
				}
				if (ch == '.' && (s->sub == N_ZERO || s->sub == N_INT)) {
					s->sub = N_DOT;
					p++;
					continue;
				}
				if ((ch == 'e' || ch == 'E') && s->sub != N_EXP) {
					s->sub = N_E;
					p++;
					continue;
				}
				if (end_value(s, &c, p, err) < 0) /* `ch` belongs to what follows */
					return -1;
				goto structural;
			}
		}
		break;

	structural:
		p = skip_ws(p, end);
		if (p == end)
			break;
		if (s->state == S_NEXT && *p == ',') {
			/* The usual `, "key"` or `, value`: straight on to it. */
			int array = s->frames[s->depth - 1] & F_ARRAY;
			s->state = array ? S_VALUE : S_KEY;
			p = skip_ws(p + 1, end);
			if (p == end)
				break;
			if (array)
				goto value;
			if (*p != '"')
				return syntax(s, &c, p, "a member name should be", err);
			begin_key(s);
			p++;
			goto string;
		}
		if ((*p == ']' || *p == '}') &&
		    (s->state == S_VALUE_OR_CLOSE || s->state == S_KEY_OR_CLOSE || s->state == S_NEXT)) {
			if (close_container(s, &c, p++, err) < 0) /* (checks it is the right bracket) */
				return -1;
			goto structural;
		}
		switch (s->state) {
		case S_VALUE_OR_CLOSE:
		case S_VALUE:
		value:
			if (begin_value(s, &c, p++, err) < 0)
				return -1;
			if (s->state == S_STRING)
				goto string;
			if (s->state == S_NUMBER)
				goto number;
			if (s->state == S_LITERAL)
				continue;
			goto structural; /* a container opened */
		case S_KEY_OR_CLOSE:
		case S_KEY:
			if (*p != '"')
				return syntax(s, &c, p, "a member name should be", err);
			begin_key(s);
			p++;
			goto string;
		case S_COLON:
			if (*p != ':')
				return syntax(s, &c, p, "':' should follow a member name", err);
			s->state = S_VALUE;
			p++;
			goto structural;
		case S_NEXT: /* (',' and the brackets are handled above) */
			return syntax(s, &c, p, "',' or a closing bracket should be", err);
		default: /* S_END */
			return syntax(s, &c, p, "the document has ended", err);
		}
	}
	if (s->capture_depth >= 0 && cap_append(s, c.cap_from, (size_t)(end - c.cap_from), err) < 0)
		return -1;
	s->offset += len;
	return 0;
}

int tn_scan_finish(struct tn_scan *s, struct tn_error *err)
{
	if (s->failed)
		return -1;
	if (s->state == S_NUMBER && s->depth == 0 &&
	    (s->sub == N_ZERO || s->sub == N_INT || s->sub == N_FRAC || s->sub == N_EXP)) {
		struct cursor c = {NULL, NULL};
		if (end_value(s, &c, NULL, err) < 0)
			return -1;
	}
	if (s->state == S_END)
		return 0;
	s->failed = 1;
	if (s->offset == 0 || (s->state == S_VALUE && s->depth == 0))
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "no JSON document (%llu bytes of white space)",
				    (unsigned long long)s->offset);
	const char *where = s->state >= S_STRING && s->state <= S_HEX ? "inside a string" : "before the end";
	return tn_error_set(err, TN_EXIT_BAD_ANSWER, "truncated JSON: the input ends after %llu bytes, %s",
			    (unsigned long long)s->offset, where);
}

int tn_json_id(const char *json, size_t len, int64_t *out)
{
	uint64_t v = 0;
	if (len == 0 || len > 19 || json[0] < '1' || json[0] > '9')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (json[i] < '0' || json[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(json[i] - '0');
	}
	if (v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}
