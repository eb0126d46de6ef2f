# SPDX-License-Identifier: BSD-3-Clause
# tailnet: libnss_tailnet.so.2 + tailnet-helper.
#
#   make              build build/libnss_tailnet.so.2 and build/tailnet-helper
#   make check        install build deps if missing (apt-get, as root), then every test: the include layering,
#                     unit, end-to-end, sanitizers, valgrind, fuzz smoke
#   make bench        lookup latency against /etc/hosts, DNS on loopback and glibc's floor; watch's
#                     notification-to-resolve latency; the DNS responder against dnsmasq under dnsperf;
#                     the second shell's `tailnet-helper up`
#   make demo         a sample tailnet answering `getent hosts vault` in a private namespace
#   make install      module into the multiarch libdir, helper into $(PREFIX)/bin, the systemd units
#                     tailnet-helper-up.service (`tailnet-helper up --foreground`) and tailnet-helper.service
#                     (`tailnet-helper watch` alone) into $(PREFIX)/lib/systemd/system; the cache and state
#                     directories
#
# Build settings (pass on the command line): CACHE_PATH, CACHE_UID (a non-root uid whose caches the module
# also trusts), SAN (e.g. address,undefined), BUILD (output directory).

BUILD ?= build
CC ?= gcc
PREFIX ?= /usr/local
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
NSSLIBDIR ?= /lib/$(MULTIARCH)
CACHE_PATH ?= /var/cache/tailnet/hosts.cache
CACHE_UID ?= 0
SAN ?=
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
CACHE_DIR := $(patsubst %/,%,$(dir $(CACHE_PATH)))
STATE_DIR := /var/lib/tailnet
UNITS := tailnet-helper.service tailnet-helper-up.service

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wpointer-arith -Wcast-align -Wwrite-strings -Wundef
DEFINES := -D_GNU_SOURCE -DTN_DEFAULT_CACHE_PATH='"$(CACHE_PATH)"' -DTN_CACHE_UID=$(CACHE_UID)
ifeq ($(SAN),)
OPT := -O2 -D_FORTIFY_SOURCE=2
SANFLAGS :=
else
OPT := -O1
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
CFLAGS ?=
CFLAGS += -std=c11 -g $(OPT) $(WARNINGS) $(DEFINES) -fstack-protector-strong -fPIC $(SANFLAGS)
LDFLAGS += $(SANFLAGS) -Wl,-z,relro -Wl,-z,now

# The module: libc only, six exports, never unloaded.
NSS_SRC := nss/name.c nss/via.c nss/crc32c.c nss/cache_reader.c nss/cache_file.c nss/scope.c nss/cache_current.c nss/hostent_pack.c nss/nss_entry.c
NSS_OBJ := $(NSS_SRC:%.c=$(BUILD)/%.o)
MODULE := $(BUILD)/libnss_tailnet.so.2
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

.PHONY: all check unit e2e deps bench demo install uninstall fuzz clean
all: $(MODULE) $(HELPER)

# V=1 shows the full command lines.
Q := $(if $(V),,@)
$(BUILD)/%.o: %.c $(wildcard nss/*.h helper/*/*.h)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/nss/%.o: CFLAGS += -fvisibility=hidden
# The helper's includes name their folder: "cache/hostset.h", "nss/cache_format.h".
$(BUILD)/helper/%.o: CFLAGS += $(HELPER_INCLUDES)

$(MODULE): $(NSS_OBJ) nss/libnss_tailnet.map
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(MODULE_LDFLAGS) $(LDFLAGS) -o $@ $(NSS_OBJ)

$(HELPER): $(HELPER_OBJ) $(SHARED_OBJ)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -pie -o $@ $^ $(HELPER_LIBS)

$(TESTLIB): $(NSS_OBJ) $(filter-out $(BUILD)/helper/cli/main.o,$(HELPER_OBJ))
	@$(if $(V),,echo "  LD      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/test_%: test_%.c $(wildcard tests/unit/*.h) $(TESTLIB)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(HELPER_INCLUDES) -Itests/unit $(LDFLAGS) -o $@ $< $(TESTLIB) $(HELPER_LIBS) $(CHECK_LIBS) -ldl -lpthread

$(BUILD)/tests/%: tests/tools/%.c $(TESTLIB)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(HELPER_INCLUDES) $(LDFLAGS) -o $@ $< $(TESTLIB) $(HELPER_LIBS) -ldl -lpthread

# The benchmark driver and its floor module (a hosts module with no data at all).
BENCH_BIN := $(BUILD)/bench/lookup_bench $(BUILD)/bench/libnss_floor.so.2
$(BUILD)/bench/lookup_bench: bench/lookup_bench.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/libnss_floor.so.2: bench/nss_floor.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -shared -Wl,-soname,libnss_floor.so.2 -o $@ $<

deps:
	@scripts/install-deps.sh

unit: $(UNIT_BIN) $(MODULE)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; TN_MODULE=$(MODULE) $$t; done

e2e: all $(TOOL_BIN)
	@TN_BUILD=$(BUILD) TN_SAN=$(SAN) tests/run-e2e.sh

check: deps
	@scripts/check-layers.sh
	$(MAKE) all unit e2e
	$(MAKE) BUILD=$(BUILD)/san SAN=address,undefined all unit e2e
	$(MAKE) $(TOOL_BIN) $(UNIT_BIN)
	@tests/run-valgrind.sh $(BUILD)
	$(MAKE) fuzz FUZZ_SECONDS=$${FUZZ_SECONDS:-15}

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 60
fuzz:
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run-fuzz.sh $(FUZZ_SRC)

bench: all $(BENCH_BIN) $(BUILD)/tests/resolve_probe
	@TN_BUILD=$(BUILD) bench/run.sh

demo: deps all
	@BUILD=$(BUILD) scripts/demo.sh

install: all
	install -D -m 0644 $(MODULE) $(DESTDIR)$(NSSLIBDIR)/libnss_tailnet.so.2
	install -D -m 0755 $(HELPER) $(DESTDIR)$(PREFIX)/bin/tailnet-helper
	install -d -m 0755 $(DESTDIR)$(dir $(CACHE_PATH))
	install -d -m 0700 $(DESTDIR)$(STATE_DIR)
	install -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)
	for unit in $(UNITS); do \
		sed -e 's|/usr/local/bin/tailnet-helper|$(PREFIX)/bin/tailnet-helper|' \
			-e '/^ReadWritePaths=/s|/var/cache/tailnet|$(CACHE_DIR)|' dist/$$unit \
			>$(DESTDIR)$(SYSTEMDUNITDIR)/$$unit && chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$unit || exit 1; \
	done
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

uninstall:
	rm -f $(DESTDIR)$(NSSLIBDIR)/libnss_tailnet.so.2 $(DESTDIR)$(PREFIX)/bin/tailnet-helper \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS))

clean:
	rm -rf build
