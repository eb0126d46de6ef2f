/* SPDX-License-Identifier: BSD-3-Clause */
/* unit.h - shared scaffolding for the Check unit tests: each test_<thing>.c defines its suites and ends
 * with TN_UNIT_MAIN(suite1, suite2, ...). Paths to fixtures come from TN_SRCDIR (the repository root,
 * default "."). */
#ifndef TAILNET_UNIT_H
#define TAILNET_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline const char *tn_srcdir(void)
{
	const char *d = getenv("TN_SRCDIR");
	return d && *d ? d : ".";
}

#define TN_UNIT_MAIN(...)                                                                                  \
	int main(void)                                                                                     \
	{                                                                                                  \
		Suite *(*makers[])(void) = {__VA_ARGS__};                                                  \
		SRunner *sr = srunner_create(NULL);                                                        \
		for (size_t i = 0; i < sizeof makers / sizeof makers[0]; i++)                              \
			srunner_add_suite(sr, makers[i]());                                                \
		srunner_run_all(sr, CK_ENV);                                                               \
		int failed = srunner_ntests_failed(sr);                                                    \
		srunner_free(sr);                                                                          \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
	}

#endif
