# SPDX-License-Identifier: BSD-3-Clause
# tailnet: libnss_tailnet.so.2 + tailnet-helper.
#
#   make              build $(BUILD)/libnss_tailnet.so.2 and $(BUILD)/tailnet-helper
#   make check        install build deps if missing (apt-get, as root), then every test with -Werror: the include
#                     layering, unit, end-to-end, sanitizers, valgrind, fuzz smoke, the man pages, the Debian
#                     packages with lintian and installed into a throwaway root
#   make bench        lookup latency against /etc/hosts, DNS on loopback and glibc's floor; watch's
#                     notification-to-resolve latency; the DNS responder against dnsmasq under dnsperf;
#                     the second shell's `tailnet-helper up`
#   make demo         a sample tailnet answering `getent hosts vault` in a private namespace
#   make deb          the Debian packages (dpkg-buildpackage -us -uc -b) into $(BUILD)/deb
#   make install      the module into LIBDIR, the helper into BINDIR, the man pages, bash completion, the
#                     systemd units into SYSTEMDUNITDIR, the cache and state directories; `make uninstall`
#                     removes all of it again (the directories only when empty). Neither edits nsswitch.conf.
#
# Packagers: CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line are used as given
# (dpkg-buildflags' included); the flags the project needs come on top of them, never instead. -Werror is on
# only with WERROR=1 (make check). Paths (command line): PREFIX (/usr/local), BINDIR, LIBDIR (the module; it
# must be a directory the dynamic loader searches: the multiarch one under /usr or /usr/local), MANDIR,
# BASHCOMPDIR, SYSTEMDUNITDIR (derived from PREFIX: /lib/systemd/system for /usr,
# /usr/local/lib/systemd/system for /usr/local, /etc/systemd/system otherwise), CACHE_PATH (under
# /var/cache), STATE_DIR (under /var/lib), DNS_USER (the responder's system user); the code, the units and
# the install all take them from here. Build settings: CACHE_UID (a non-root uid whose caches the module
# also trusts), SAN (e.g. address,undefined), BUILD (output directory), VERSION (from debian/changelog).

BUILD ?= build
CC ?= gcc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR ?= $(PREFIX)/lib/$(MULTIARCH)
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ifeq ($(PREFIX),/usr)
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
else ifeq ($(PREFIX),/usr/local)
SYSTEMDUNITDIR ?= /usr/local/lib/systemd/system
else
SYSTEMDUNITDIR ?= /etc/systemd/system
endif
CACHE_PATH ?= /var/cache/tailnet/hosts.cache
STATE_DIR ?= /var/lib/tailnet
DNS_USER ?= tailnet-dns
CACHE_UID ?= 0
SAN ?=
WERROR ?=
VERSION ?= $(shell scripts/version.sh)
CACHE_DIR := $(patsubst %/,%,$(dir $(CACHE_PATH)))
# The units' CacheDirectory= and StateDirectory= are relative to /var/cache and /var/lib.
CACHE_DIRECTORY := $(patsubst /var/cache/%,%,$(CACHE_DIR))
STATE_DIRECTORY := $(patsubst /var/lib/%,%,$(STATE_DIR))
# Checked before anything is built for an install: the units' CacheDirectory= and StateDirectory= are
# relative to /var/cache and /var/lib.
ifneq ($(filter install,$(MAKECMDGOALS)),)
ifeq ($(filter /var/cache/%,$(CACHE_DIR)),)
$(error CACHE_PATH must lie under /var/cache/ (the units' CacheDirectory=): $(CACHE_PATH))
endif
ifeq ($(filter /var/lib/%,$(STATE_DIR)),)
$(error STATE_DIR must lie under /var/lib/ (the units' StateDirectory=): $(STATE_DIR))
endif
endif
UNITS := tailnet-helper.service tailnet-helper-up.service tailnet-helper-dns.service
MANPAGES := man/tailnet-helper.8 man/nss-tailnet.8

# What the code needs, whatever the packager's flags say.
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wpointer-arith \
	-Wcast-align -Wwrite-strings -Wundef $(if $(WERROR),-Werror)
TN_CPPFLAGS := -D_GNU_SOURCE -DTN_PACKAGE_VERSION='"$(VERSION)"' -DTN_DEFAULT_CACHE_PATH='"$(CACHE_PATH)"' \
	-DTN_CACHE_UID=$(CACHE_UID) -DTN_STATE_DIR_ROOT='"$(STATE_DIR)"' -DTN_DNS_USER='"$(DNS_USER)"'
TN_CFLAGS := -std=c11 $(WARNINGS) -fstack-protector-strong -fPIC
TN_LDFLAGS := -Wl,-z,relro -Wl,-z,now
# Defaults for whoever sets nothing; a packager's own replace them.
ifeq ($(SAN),)
CFLAGS ?= -g -O2
CPPFLAGS ?= -D_FORTIFY_SOURCE=2
SANFLAGS :=
else
CFLAGS ?= -g -O1
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ALL_CFLAGS = $(TN_CPPFLAGS) $(CPPFLAGS) $(TN_CFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(TN_LDFLAGS) $(LDFLAGS) $(SANFLAGS)

# The module: libc only, six exports, never unloaded.
NSS_SRC := nss/name.c nss/via.c nss/crc32c.c nss/cache_reader.c nss/cache_file.c nss/scope.c nss/cache_current.c nss/hostent_pack.c nss/nss_entry.c
NSS_OBJ := $(NSS_SRC:%.c=$(BUILD)/%.o)
MODULE := $(BUILD)/libnss_tailnet.so.2
# A lookup touches as few pages as it can (nss/placement.h): -fno-plt calls libc straight through the GOT,
# without the PLT's page; -fno-jump-tables keeps switches in the code, not in .rodata's page; on x86 the
# module's one __thread variable is reached through a TLS descriptor (the default elsewhere), not through
# __tls_get_addr.
NSS_PAGE_FLAGS := -fno-plt -fno-jump-tables $(if $(filter x86_64-% i386-% i486-% i586-% i686-%,$(shell $(CC) -dumpmachine)),-mtls-dialect=gnu2)
MODULE_LDFLAGS := -shared -fvisibility=hidden -Wl,-soname,libnss_tailnet.so.2 \
	-Wl,--version-script=nss/libnss_tailnet.map -Wl,-z,nodelete -Wl,-z,defs

# The reader code the helper shares with the module (never the other way round).
SHARED_OBJ := $(BUILD)/nss/name.o $(BUILD)/nss/via.o $(BUILD)/nss/crc32c.o $(BUILD)/nss/cache_reader.o $(BUILD)/nss/cache_file.o $(BUILD)/nss/scope.o \
	$(BUILD)/nss/cache_current.o

HELPER_SRC := $(wildcard helper/*/*.c)
HELPER_INCLUDES := -Ihelper -I.
HELPER_OBJ := $(HELPER_SRC:%.c=$(BUILD)/%.o)
HELPER := $(BUILD)/tailnet-helper
HELPER_LIBS := $(shell pkg-config --libs libcurl jansson 2>/dev/null || echo -lcurl -ljansson)

# Unit tests link everything but main() from a static archive.
TESTLIB := $(BUILD)/libtailnet-test.a
# Unit tests sit in tests/unit/<component>/, as the code does; their binaries all go to $(BUILD)/tests/.
UNIT_SRC := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN := $(addprefix $(BUILD)/tests/,$(basename $(notdir $(UNIT_SRC))))
vpath test_%.c $(sort $(dir $(UNIT_SRC)))
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt)
# C programs the end-to-end tests and benchmarks drive (probes, dlopen ladder, floor module).
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

.PHONY: FORCE all check unit e2e deps bench demo deb lintian install uninstall fuzz clean
all: $(MODULE) $(HELPER)

# V=1 shows the full command lines.
Q := $(if $(V),,@)
# Objects depend on the settings compiled into them, so changing CACHE_PATH (say) rebuilds what uses it.
SETTINGS := $(BUILD)/settings
SETTINGS_TEXT := $(ALL_CFLAGS) $(ALL_LDFLAGS) $(NSS_PAGE_FLAGS)
$(shell mkdir -p $(BUILD) && (echo '$(subst ','\'',$(SETTINGS_TEXT))' | cmp -s - $(SETTINGS) || \
	echo '$(subst ','\'',$(SETTINGS_TEXT))' >$(SETTINGS)))

$(BUILD)/%.o: %.c $(wildcard nss/*.h helper/*/*.h) $(SETTINGS)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

$(BUILD)/nss/%.o: EXTRA_CFLAGS = -fvisibility=hidden -flto=auto -ffat-lto-objects $(NSS_PAGE_FLAGS)
# The helper's includes name their folder: "cache/hostset.h", "nss/cache_format.h".
$(BUILD)/helper/%.o: EXTRA_CFLAGS = $(HELPER_INCLUDES)

$(MODULE): $(NSS_OBJ) nss/libnss_tailnet.map
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -flto=auto $(NSS_PAGE_FLAGS) $(MODULE_LDFLAGS) $(ALL_LDFLAGS) -o $@ $(NSS_OBJ)

$(HELPER): $(HELPER_OBJ) $(SHARED_OBJ)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -pie -o $@ $^ $(HELPER_LIBS)

$(TESTLIB): $(NSS_OBJ) $(filter-out $(BUILD)/helper/cli/main.o,$(HELPER_OBJ))
	@$(if $(V),,echo "  LD      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/test_%: test_%.c $(wildcard tests/unit/*.h) $(TESTLIB)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(HELPER_INCLUDES) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(TESTLIB) $(HELPER_LIBS) $(CHECK_LIBS) -ldl -lpthread

$(BUILD)/tests/%: tests/tools/%.c $(TESTLIB)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(HELPER_INCLUDES) $(ALL_LDFLAGS) -o $@ $< $(TESTLIB) $(HELPER_LIBS) -ldl -lpthread

# The benchmark driver and its floor module (a hosts module with no data at all).
BENCH_BIN := $(BUILD)/bench/lookup_bench $(BUILD)/bench/libnss_floor.so.2
$(BUILD)/bench/lookup_bench: bench/lookup_bench.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/libnss_floor.so.2: bench/nss_floor.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,libnss_floor.so.2 -o $@ $<

deps:
	@scripts/install-deps.sh

unit: $(UNIT_BIN) $(MODULE)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; TN_MODULE=$(MODULE) $$t; done

e2e: all $(TOOL_BIN)
	@TN_BUILD=$(BUILD) TN_SAN=$(SAN) tests/run-e2e.sh

check: deps
	@scripts/check-layers.sh
	$(MAKE) WERROR=1 all unit deb lintian e2e
	$(MAKE) WERROR=1 BUILD=$(BUILD)/san SAN=address,undefined all unit e2e
	$(MAKE) WERROR=1 $(TOOL_BIN) $(UNIT_BIN)
	@tests/run-valgrind.sh $(BUILD)
	$(MAKE) fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-15}

# The Debian packages, built from a copy of the tree (dpkg-buildpackage writes next to it and into debian/).
deb:
	@scripts/build-deb.sh $(BUILD)/deb

# The packages `make deb` built (made first when there are none); no error and no warning may remain.
lintian:
	@ls $(BUILD)/deb/*.changes >/dev/null 2>&1 || $(MAKE) deb
	lintian --fail-on error,warning --display-info $(BUILD)/deb/*.changes

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 60
fuzz:
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-fuzz.sh $(FUZZ_SRC)

bench: all $(BENCH_BIN) $(BUILD)/tests/resolve_probe
	@TN_BUILD=$(BUILD) bench/run.sh

demo: deps all
	@BUILD=$(BUILD) scripts/demo.sh

# The units name the helper, the cache and the state directory as configured here.
UNIT_SED := -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@CACHE_PATH@|$(CACHE_PATH)|g' -e 's|@STATE_DIR@|$(STATE_DIR)|g' \
	-e 's|@CACHE_DIRECTORY@|$(CACHE_DIRECTORY)|g' -e 's|@STATE_DIRECTORY@|$(STATE_DIRECTORY)|g' \
	-e 's|@DNS_USER@|$(DNS_USER)|g'
# Made again every time: they depend on paths that are not compiled into anything.
$(BUILD)/units/%.service: dist/%.service.in FORCE
	@mkdir -p $(dir $@)
	sed $(UNIT_SED) $< >$@

install: all $(addprefix $(BUILD)/units/,$(UNITS))
	install -D -m 0644 $(MODULE) $(DESTDIR)$(LIBDIR)/libnss_tailnet.so.2
	install -D -m 0755 $(HELPER) $(DESTDIR)$(BINDIR)/tailnet-helper
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MANPAGES)
	ln -sf nss-tailnet.8 $(DESTDIR)$(MANDIR)/man8/libnss_tailnet.so.2.8
	install -D -m 0644 dist/tailnet-helper.bash-completion $(DESTDIR)$(BASHCOMPDIR)/tailnet-helper
	install -D -m 0644 -t $(DESTDIR)$(SYSTEMDUNITDIR) $(addprefix $(BUILD)/units/,$(UNITS))
	install -d -m 0755 $(DESTDIR)$(CACHE_DIR)
	install -d -m 0700 $(DESTDIR)$(STATE_DIR)
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libnss_tailnet.so.2 $(DESTDIR)$(BINDIR)/tailnet-helper \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MANPAGES)) libnss_tailnet.so.2.8) \
		$(DESTDIR)$(BASHCOMPDIR)/tailnet-helper $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))
	-rmdir --ignore-fail-on-non-empty $(DESTDIR)$(CACHE_DIR) $(DESTDIR)$(STATE_DIR)
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

clean:
	rm -rf $(BUILD)

FORCE:
