/* SPDX-License-Identifier: BSD-3-Clause */
/* version.h - tailnet's version, for everything that prints it (--version, version, hosts, up, doctor,
 * status).
 *
 * Contract: TN_PACKAGE_VERSION is a string literal that the build passes on the compiler's command line
 * (the Makefile takes it from scripts/version.sh, which reads debian/changelog: the one place the version is
 * written). Building without it is an error rather than a binary that cannot say what it is.
 */
#ifndef TAILNET_VERSION_H
#define TAILNET_VERSION_H

#ifndef TN_PACKAGE_VERSION
#error "TN_PACKAGE_VERSION is not set: build with make (it passes the version from debian/changelog)"
#endif

#endif
