/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_api_answer.c - everything mint-key reads from the network: the token and key answers, error bodies and
 * Retry-After. No crash, no leak, and an error message is one printable line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mint/mint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *msg)
{
	for (const char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_api_response r;
	memset(&r, 0, sizeof r);
	char *body = malloc(size + 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	r.status = size ? 200 + data[0] % 400 : 200;
	r.body = body;
	r.len = size;
	snprintf(r.content_type, sizeof r.content_type, "%s", size && data[0] & 1 ? "text/html" : "application/json");

	struct tn_error err = {0};
	struct tn_secret tok = {0};
	if (tn_parse_token_answer(&r, &tok, &err) == 0 && (!tok.len || strlen(tok.data) != tok.len))
		abort();
	tn_secret_free(&tok);
	one_line(err.msg);

	struct tn_minted m = {0};
	if (tn_parse_key_answer(&r, &m, &err) == 0 && (!m.key.len || json_object_get(m.info, "key")))
		abort();
	tn_minted_free(&m);
	one_line(err.msg);

	char text[400];
	tn_api_error_text(r.status, body, size, r.content_type, text, sizeof text);
	one_line(text);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			abort();

	double s;
	if (tn_parse_retry_after(body, 1795867200, &s) == 0 && !(s >= 0))
		abort();
	free(body);
	return 0;
}
