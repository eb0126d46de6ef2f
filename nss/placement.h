/* SPDX-License-Identifier: BSD-3-Clause */
/* placement.h - where the module's code goes, for the sake of the pages a lookup touches.
 *
 * A lookup runs right after glibc's own system call (it looks at resolv.conf on every lookup). Where the kernel
 * keeps its page tables apart from user space (PTI) and the CPU has no PCIDs, as on many virtual machines, that
 * call empties the TLB, so each page a lookup then touches costs a page walk: about 12 ns on the machine the
 * benchmarks run on, with a lookup's own instructions taking about 40. So the code of a warm lookup (TN_HOT:
 * the entry points, the index probe, the rules for a name not in it) is kept together, and what a warm lookup
 * never runs (TN_COLD: opening, checking and fetching, thread and fork bookkeeping) is kept out of its way;
 * GCC also moves the calls to cold functions off the straight path.
 */
#ifndef TAILNET_PLACEMENT_H
#define TAILNET_PLACEMENT_H

#define TN_HOT __attribute__((hot))
#define TN_COLD __attribute__((cold))

#endif
