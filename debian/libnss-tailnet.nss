# SPDX-License-Identifier: BSD-3-Clause
# Before the sources that would answer (or fail) a tailnet name first; after files, so /etc/hosts keeps the
# last word. A hosts line that already names tailnet is left alone, and removal takes it out again.
hosts before=resolve,dns tailnet
