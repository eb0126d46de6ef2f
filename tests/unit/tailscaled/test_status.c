/* SPDX-License-Identifier: BSD-3-Clause */
/* test_status.c - the status parser (status_parse.c over json_scan.c): the example documents give exactly
 * the names status-schema.md lists, quirky documents are tolerated or refused as documented, and no input
 * crashes it or depends on how it is split into chunks. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "cache/hostset.h"
#include "cache/status_sync.h"
#include "tailscaled/status_parse.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------------------------------------- */

struct result {
	int rc;
	struct tn_error err;
	char *text; /* the hostset as text (see hostset_text), NULL on failure */
	struct tn_status_stats stats;
	size_t skipped_names, skipped_addrs;
};

static void result_free(struct result *r)
{
	free(r->text);
	r->text = NULL;
}

/* One line per host: "fqdn bare|- node|extra addr...", after a header line with the hostset's flags. */
static char *hostset_text(const struct tn_hostset *hs)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	ck_assert_ptr_nonnull(f);
	fprintf(f, "suffix=%s magicdns=%d tun=%d\n", hs->suffix ? hs->suffix : "-", hs->magicdns, hs->tun);
	for (size_t i = 0; i < hs->n; i++) {
		const struct tn_host *h = &hs->hosts[i];
		fprintf(f, "%s ", h->fqdn);
		if (h->bare_len)
			fprintf(f, "%.*s", (int)h->bare_len, h->fqdn);
		else
			fputc('-', f);
		fprintf(f, " %s%s", h->kind == TN_HOST_NODE ? "node" : "extra", h->subdomains ? "+subdomains" : "");
		for (unsigned a = 0; a < (unsigned)h->n4 + h->n6; a++) {
			char text[INET6_ADDRSTRLEN];
			const uint8_t *b = h->addrs[a].b;
			if (a < h->n4)
				inet_ntop(AF_INET, b + 12, text, sizeof text);
			else
				inet_ntop(AF_INET6, b, text, sizeof text);
			fprintf(f, " %s", text);
		}
		fputs(h->fqdn_hidden ? " (fqdn hidden)\n" : "\n", f);
	}
	fclose(f);
	return buf;
}

/* Chunk sizes: 0 = the whole document at once; 1.. = that many bytes per feed; RANDOM = random sizes. */
#define RANDOM ((size_t)-1)

static struct result parse_split(const char *doc, size_t len, size_t chunk, unsigned seed)
{
	struct result r = {0};
	struct tn_hostset hs;
	tn_hostset_init(&hs);
	struct tn_status_parser *sp = tn_status_new(&tn_hostset_sink, &hs, &r.err);
	ck_assert_ptr_nonnull(sp);
	r.rc = 0;
	for (size_t off = 0; off < len && r.rc == 0;) {
		size_t n = chunk == 0 ? len : chunk == RANDOM ? 1 + (size_t)(rand_r(&seed) % 700) : chunk;
		if (n > len - off)
			n = len - off;
		r.rc = tn_status_feed(sp, doc + off, n, &r.err);
		off += n;
	}
	if (r.rc == 0)
		r.rc = tn_status_finish(sp, &r.err);
	if (r.rc == 0)
		r.text = hostset_text(&hs);
	r.stats = *tn_status_stats(sp);
	r.skipped_names = hs.skipped_names;
	r.skipped_addrs = hs.skipped_addrs;
	tn_status_free(sp);
	tn_hostset_free(&hs);
	return r;
}

static struct result parse(const char *doc)
{
	return parse_split(doc, strlen(doc), 0, 0);
}

/* Test documents are written with ' for " to stay readable; \' never occurs in them. */
static char *json(const char *text)
{
	char *s = strdup(text);
	ck_assert_ptr_nonnull(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static struct result parse_q(const char *text)
{
	char *doc = json(text);
	struct result r = parse(doc);
	free(doc);
	return r;
}

static char *read_example(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/status-examples/%s", tn_srcdir(), name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct result parse_example(const char *name)
{
	size_t len;
	char *doc = read_example(name, &len);
	struct result r = parse_split(doc, len, 0, 0);
	free(doc);
	return r;
}

static void assert_ok(const struct result *r, const char *expected)
{
	ck_assert_msg(r->rc == 0, "parse failed: %s", r->err.msg);
	ck_assert_str_eq(r->text, expected);
}

/* Parses a '-quoted document and requires exactly `expected`. */
static void expect_hosts(const char *text, const char *expected)
{
	struct result r = parse_q(text);
	assert_ok(&r, expected);
	result_free(&r);
}

static void assert_fails(const struct result *r, int code, const char *needle)
{
	ck_assert_msg(r->rc == -1, "expected failure (%s), parsed:\n%s", needle, r->text ? r->text : "");
	ck_assert_int_eq(r->err.code, code);
	ck_assert_msg(strstr(r->err.msg, needle) != NULL, "[%s] not in [%s]", needle, r->err.msg);
	ck_assert_msg(strchr(r->err.msg, '\n') == NULL, "multi-line message [%s]", r->err.msg);
}

/* ---- the example documents ------------------------------------------------------------------------------ */

static const char running_hosts[] =
	"suffix=magellanic-gondola.ts.net magicdns=1 tun=1\n"
	"alice-laptop.magellanic-gondola.ts.net alice-laptop node 100.64.201.3 fd7a:115c:a1e0::aa01:c903\n"
	"bobs-thinkpad.hedgehog-arcade.ts.net - node 100.86.41.2 fd7a:115c:a1e0::9d01:2902\n"
	"ci-runner-7.magellanic-gondola.ts.net ci-runner-7 node 100.88.14.7 fd7a:115c:a1e0::5d01:e07\n"
	"grafana.magellanic-gondola.ts.net - extra 100.99.201.17\n"
	"pixel-7.magellanic-gondola.ts.net pixel-7 node 100.92.110.41 fd7a:115c:a1e0::3a01:6e29\n"
	"printer.hedgehog-arcade.ts.net - node 100.77.3.250 fd7a:115c:a1e0::b101:3fa\n"
	"se-sto-wg-003.mullvad.ts.net - node 100.116.40.77 fd7a:115c:a1e0::e901:284d\n"
	"vault-1.magellanic-gondola.ts.net vault-1 node 100.71.5.90 fd7a:115c:a1e0::e201:55a\n"
	"vault.magellanic-gondola.ts.net vault node 100.101.33.8 fd7a:115c:a1e0::c601:2108\n";

START_TEST(running_example)
{
	struct result r = parse_example("running.json");
	assert_ok(&r, running_hosts);
	ck_assert_uint_eq(r.stats.peers, 8);
	ck_assert_uint_eq(r.stats.peers_skipped, 1); /* the engine-only entry with DNSName "" */
	ck_assert_uint_eq(r.stats.extra_records, 1);
	ck_assert_uint_eq(r.stats.extra_skipped, 0);
	ck_assert_uint_eq(r.skipped_names, 0);
	ck_assert_uint_eq(r.skipped_addrs, 0);
	result_free(&r);
}
END_TEST

START_TEST(peers_false_userspace_example)
{
	struct result r = parse_example("peers-false-userspace.json");
	assert_ok(&r, "suffix=magellanic-gondola.ts.net magicdns=0 tun=0\n"
		      "api-worker.magellanic-gondola.ts.net - node 100.103.77.21 fd7a:115c:a1e0::f401:4d15\n");
	ck_assert_uint_eq(r.stats.peers, 0);
	result_free(&r);
}
END_TEST

START_TEST(needs_login_example)
{
	struct result r = parse_example("needs-login.json");
	assert_fails(&r, TN_EXIT_NOT_RUNNING, "tailscaled is not running (BackendState NeedsLogin): log in first");
}
END_TEST

static const char *const examples[] = {"running.json", "peers-false-userspace.json", "needs-login.json"};

/* The same document in 1-byte chunks and in random chunk sizes gives the identical outcome. */
START_TEST(examples_any_chunking)
{
	size_t len;
	char *doc = read_example(examples[_i], &len);
	struct result whole = parse_split(doc, len, 0, 0);
	for (unsigned seed = 0; seed < 12; seed++) {
		struct result split = parse_split(doc, len, seed == 0 ? 1 : seed < 4 ? seed + 1 : RANDOM, seed);
		ck_assert_int_eq(split.rc, whole.rc);
		if (whole.rc == 0)
			ck_assert_str_eq(split.text, whole.text);
		else
			ck_assert_str_eq(split.err.msg, whole.err.msg);
		result_free(&split);
	}
	result_free(&whole);
	free(doc);
}
END_TEST

/* ---- tolerated quirks ------------------------------------------------------------------------------------ */

START_TEST(nulls_everywhere)
{
	struct result r = parse_q(
		"{'Version':null,'TUN':null,'BackendState':'Running','AuthURL':null,'TailscaleIPs':null,"
		"'Self':{'ID':null,'DNSName':'me.tn.ts.net.','TailscaleIPs':['100.64.0.1'],'InNetworkMap':null,"
		"'CapMap':null,'Addrs':null},"
		"'Health':null,'MagicDNSSuffix':null,'CurrentTailnet':null,'CertDomains':null,'ExtraRecords':null,"
		"'Peer':{'nodekey:01':null,"
		"'nodekey:02':{'ID':null,'DNSName':null,'TailscaleIPs':null,'InNetworkMap':null},"
		"'nodekey:03':{'ID':'n3','DNSName':'peer3.tn.ts.net.','TailscaleIPs':null,'InNetworkMap':true},"
		"'nodekey:04':{'ID':'n4','DNSName':'gone.tn.ts.net.','TailscaleIPs':['100.64.0.4'],"
		"'InNetworkMap':false}},"
		"'User':null,'ClientVersion':null}");
	/* Self counts even with InNetworkMap null; peer 3 has no addresses, peer 4 left the netmap; no suffix
	 * without CurrentTailnet. */
	assert_ok(&r, "suffix=- magicdns=0 tun=0\nme.tn.ts.net - node 100.64.0.1\n");
	ck_assert_uint_eq(r.stats.peers, 4);
	ck_assert_uint_eq(r.stats.peers_skipped, 3);
	ck_assert_uint_eq(r.skipped_names, 1);
	result_free(&r);
}
END_TEST

START_TEST(missing_optional_keys)
{
	/* An old daemon: no Peer, no CurrentTailnet, no ExtraRecords, no TUN; the top-level suffix is used. */
	expect_hosts("{'BackendState':'Running','MagicDNSSuffix':'tn.ts.net',"
		     "'Self':{'DNSName':'me.tn.ts.net.','TailscaleIPs':['100.64.0.1','fd7a:115c:a1e0::1']}}",
		     "suffix=tn.ts.net magicdns=0 tun=0\nme.tn.ts.net - node 100.64.0.1 fd7a:115c:a1e0::1\n");
	/* CurrentTailnet's suffix wins over the deprecated top-level one, and switches bare names on. */
	expect_hosts("{'BackendState':'Running','MagicDNSSuffix':'old.ts.net','TUN':true,"
		     "'CurrentTailnet':{'MagicDNSSuffix':'tn.ts.net','MagicDNSEnabled':true},"
		     "'Self':{'DNSName':'me.tn.ts.net.','TailscaleIPs':['100.64.0.1']},'Peer':{}}",
		     "suffix=tn.ts.net magicdns=1 tun=1\nme.tn.ts.net me node 100.64.0.1\n");
}
END_TEST

START_TEST(unknown_keys_and_types)
{
	struct result r = parse_q(
		"{'Future':{'x':[1,{'y':null},\"\\u00e9\",-0.5e-10,true]},'BackendState':'Running','TUN':'yes',"
		"'CurrentTailnet':[1,2],'ExtraRecords':{'Name':'x.tn.ts.net','Value':'100.64.0.9'},"
		"'Self':{'DNSName':'me.tn.ts.net.','TailscaleIPs':['100.64.0.1'],'NewField':{'deep':[[[]]]}},"
		"'Peer':{"
		"'k1':{'ID':'n1','DNSName':42,'TailscaleIPs':['100.64.0.2'],'InNetworkMap':true},"
		"'k2':{'ID':'n2','DNSName':'p2.tn.ts.net.','TailscaleIPs':'100.64.0.3','InNetworkMap':true},"
		"'k3':{'ID':'n3','DNSName':'p3.tn.ts.net.','TailscaleIPs':[1,'100.64.0.4',null,{'a':1},'nonsense'],"
		"'InNetworkMap':true},"
		"'k4':{'ID':'n4','DNSName':'p4.tn.ts.net.','TailscaleIPs':['100.64.0.5'],'InNetworkMap':'true'},"
		"'k5':{'ID':7,'DNSName':'p5.tn.ts.net.','TailscaleIPs':['100.64.0.6'],'InNetworkMap':true,"
		"'Unknown':[{'DNSName':'inner.tn.ts.net.'}]},"
		"'k6':['not','an','object']}}");
	assert_ok(&r, "suffix=- magicdns=0 tun=0\n"
		      "me.tn.ts.net - node 100.64.0.1\n"
		      "p3.tn.ts.net - node 100.64.0.4\n"
		      "p5.tn.ts.net - node 100.64.0.6\n");
	ck_assert_uint_eq(r.stats.peers, 6);
	ck_assert_uint_eq(r.stats.peers_skipped, 3); /* DNSName 42, InNetworkMap "true", not an object */
	ck_assert_uint_eq(r.skipped_names, 1);       /* p2: no addresses */
	ck_assert_uint_eq(r.skipped_addrs, 4);       /* p3: 1, null, {..}, "nonsense" */
	result_free(&r);
}
END_TEST

START_TEST(invalid_dns_names_skipped)
{
	char doc[2048];
	snprintf(doc, sizeof doc,
		 "{'BackendState':'Running','Self':{'DNSName':'me.tn.ts.net.','TailscaleIPs':['100.64.0.1']},'Peer':{"
		 "'k1':{'DNSName':'bad_name.tn.ts.net.','TailscaleIPs':['100.64.0.2'],'InNetworkMap':true},"
		 "'k2':{'DNSName':'%s.tn.ts.net.','TailscaleIPs':['100.64.0.3'],'InNetworkMap':true},"
		 "'k3':{'DNSName':'100.64.0.4','TailscaleIPs':['100.64.0.4'],'InNetworkMap':true},"
		 "'k4':{'DNSName':'-dash.tn.ts.net.','TailscaleIPs':['100.64.0.5'],'InNetworkMap':true},"
		 "'k5':{'DNSName':'two..dots.ts.net.','TailscaleIPs':['100.64.0.6'],'InNetworkMap':true},"
		 "'k6':{'DNSName':'single.','TailscaleIPs':['100.64.0.7'],'InNetworkMap':true},"
		 "'k7':{'DNSName':'%s.tn.ts.net.','TailscaleIPs':['100.64.0.8'],'InNetworkMap':true},"
		 "'k8':{'DNSName':'Upper-Case.TN.ts.net.','TailscaleIPs':['100.64.0.9'],'InNetworkMap':true}}}",
		 "a123456789b123456789c123456789d123456789e123456789f123456789abcd", /* 64 bytes */
		 "a123456789b123456789c123456789d123456789e123456789f123456789abc"); /* 63 bytes */
	struct result r = parse_q(doc);
	assert_ok(&r, "suffix=- magicdns=0 tun=0\n"
		      "a123456789b123456789c123456789d123456789e123456789f123456789abc.tn.ts.net - node 100.64.0.8\n"
		      "me.tn.ts.net - node 100.64.0.1\n"
		      "upper-case.tn.ts.net - node 100.64.0.9\n");
	ck_assert_uint_eq(r.skipped_names, 6);
	result_free(&r);
}
END_TEST

START_TEST(escapes_in_strings_and_keys)
{
	/* \u0041 in a value, escaped key names (DNS\u004eame == DNSName), \" and \\ in a tiebreak, \/ in a
	 * name (JSON allows it), a key with a non-ASCII escape that must not match anything, and a DNSName
	 * with \u0000 that jansson refuses (the peer is skipped). */
	struct result r = parse_q("{\"Back\\u0065ndState\":'Running',"
				  "'Self':{'DNS\\u004eame':'\\u0041lpha.tn.ts.net.','TailscaleIPs':['100.64.0.1'],"
				  "'ID':'n\\\"1\\\\'},"
				  "'Peer':{'k1':{'DNSName':'beta.tn.ts.net\\/','TailscaleIPs':['100.64\\u002e0.2'],"
				  "'InNetworkMap':true,'DNSN\\u00e4me':'ignored.tn.ts.net.'},"
				  "'k2':{'DNSName':'gam\\u0000ma.tn.ts.net.','TailscaleIPs':['100.64.0.3'],"
				  "'InNetworkMap':true}}}");
	/* "beta.tn.ts.net/" is not a host name: skipped by the hostset. */
	assert_ok(&r, "suffix=- magicdns=0 tun=0\nalpha.tn.ts.net - node 100.64.0.1\n");
	ck_assert_uint_eq(r.skipped_names, 1);
	ck_assert_uint_eq(r.stats.peers_skipped, 1);
	result_free(&r);
	/* A peer whose escaped address and name are fine. */
	expect_hosts("{'BackendState':'Running','Self':{},'Peer':{'k':{'DNSName':'d\\u0065lta.tn.ts.net.',"
		     "'TailscaleIPs':['100.64\\u002e0.4','fd7a:115c:a1e0::\\u0034'],'InNetworkMap':true}}}",
		     "suffix=- magicdns=0 tun=0\ndelta.tn.ts.net - node 100.64.0.4 fd7a:115c:a1e0::4\n");
}
END_TEST

START_TEST(extra_records)
{
	struct result r = parse_q(
		"{'BackendState':'Running','CurrentTailnet':{'MagicDNSSuffix':'tn.ts.net','MagicDNSEnabled':true},"
		"'Self':{'DNSName':'vault.tn.ts.net.','TailscaleIPs':['100.64.0.1']},'ExtraRecords':["
		"{'Name':'a.tn.ts.net','Type':'A','Value':'fd7a:115c:a1e0::1'},"
		"{'Name':'b.tn.ts.net','Type':'AAAA','Value':'100.64.0.5'},"
		"{'Name':'c.tn.ts.net','Type':'CNAME','Value':'vault.tn.ts.net'},"
		"{'Name':'d.tn.ts.net','Type':'A','Value':'100.64.0.6'},"
		"{'Name':'D.tn.ts.net.','Type':'AAAA','Value':'fd7a:115c:a1e0::6'},"
		"{'Name':'d.tn.ts.net','Value':'100.64.0.7'},"
		"{'Name':'e.tn.ts.net','Value':'not-an-ip'},"
		"{'Name':'f.tn.ts.net','Type':'','Value':'fd7a:115c:a1e0::f'},"
		"{'Name':'vault.tn.ts.net','Value':'100.64.0.99'},"
		"{'Name':'bad_name.tn.ts.net','Value':'100.64.0.8'},"
		"{'Name':null,'Value':'100.64.0.9'},{'Name':'g.tn.ts.net','Type':7,'Value':'100.64.0.10'},"
		"'not a record',null]}");
	/* The family comes from the value whatever the type says (a, b); D.tn.ts.net has an upper-case letter,
	 * which quad-100 keys as sent and no lower-cased query can match; d merges its two records in document
	 * order; with no Version (so the newest rules) the vault record answers for the FQDN and the node keeps
	 * its bare name; no bare names for records. */
	assert_ok(&r, "suffix=tn.ts.net magicdns=1 tun=0\n"
		      "a.tn.ts.net - extra fd7a:115c:a1e0::1\n"
		      "b.tn.ts.net - extra 100.64.0.5\n"
		      "d.tn.ts.net - extra 100.64.0.6 100.64.0.7\n"
		      "f.tn.ts.net - extra fd7a:115c:a1e0::f\n"
		      "vault.tn.ts.net - extra 100.64.0.99\n"
		      "vault.tn.ts.net vault node 100.64.0.1 (fqdn hidden)\n");
	ck_assert_uint_eq(r.stats.extra_records, 14);
	ck_assert_uint_eq(r.stats.extra_skipped, 8);
	result_free(&r);
}
END_TEST

/* Duplicate DNSNames: Self beats peers, and among peers the smaller ID wins whatever the order. */
/* Duplicate DNSNames, as quad-100 from 1.102 resolves them (the last writer of the netmap's NodeID order in
 * node_backend.go nodeByName, Self written first): a peer beats Self, then the highest NodeID; without NodeIDs
 * (1.98) the greatest StableNodeID. The Peer map's order never matters. */
START_TEST(duplicate_names_deterministic)
{
	const char *orders[] = {
		"'k1':{'ID':'nB','DNSName':'dup.tn.ts.net.','TailscaleIPs':['100.64.0.2'],'InNetworkMap':true},"
		"'k2':{'ID':'nA','DNSName':'DUP.tn.ts.net','TailscaleIPs':['100.64.0.3'],'InNetworkMap':true}",
		"'k2':{'ID':'nA','DNSName':'DUP.tn.ts.net','TailscaleIPs':['100.64.0.3'],'InNetworkMap':true},"
		"'k1':{'ID':'nB','DNSName':'dup.tn.ts.net.','TailscaleIPs':['100.64.0.2'],'InNetworkMap':true}",
	};
	for (int i = 0; i < 2; i++) {
		char doc[1024];
		snprintf(doc, sizeof doc,
			 "{'BackendState':'Running','Self':{'ID':'nZ','DNSName':'me.tn.ts.net.','TailscaleIPs':"
			 "['100.64.0.1']},'Peer':{%s,'k3':{'ID':'n0','DNSName':'me.tn.ts.net.','TailscaleIPs':"
			 "['100.64.0.4'],'InNetworkMap':true}}}",
			 orders[i]);
		expect_hosts(doc, "suffix=- magicdns=0 tun=0\n"
				  "dup.tn.ts.net - node 100.64.0.2\n"
				  "me.tn.ts.net - node 100.64.0.4\n");
	}
	/* With NodeIDs (1.100 and later) the higher one wins, whatever the StableNodeIDs say. */
	expect_hosts("{'BackendState':'Running','Self':{'DNSName':'me.tn.ts.net.','TailscaleIPs':['100.64.0.1']},"
		     "'Peer':{'k1':{'ID':'nZ','NodeID':7,'DNSName':'dup.tn.ts.net.','TailscaleIPs':['100.64.0.2'],"
		     "'InNetworkMap':true},'k2':{'ID':'nA','NodeID':12,'DNSName':'dup.tn.ts.net','TailscaleIPs':"
		     "['100.64.0.3'],'InNetworkMap':true}}}",
		     "suffix=- magicdns=0 tun=0\n"
		     "dup.tn.ts.net - node 100.64.0.3\n"
		     "me.tn.ts.net - node 100.64.0.1\n");
}
END_TEST

/* dns-subdomain-resolve in CapMap, for Self and for peers (node_backend.go magicDNSSubdomainHost); any other
 * capability, or the deprecated Capabilities list, does not count. Version decides the ExtraRecords rule. */
START_TEST(caps_and_version)
{
	expect_hosts("{'BackendState':'Running','Version':'1.100.0-t1234','CurrentTailnet':{'MagicDNSSuffix':"
		     "'tn.ts.net','MagicDNSEnabled':true},'Self':{'DNSName':'me.tn.ts.net.','TailscaleIPs':"
		     "['100.64.0.1'],'CapMap':{'dns-subdomain-resolve':null,'https':null}},'Peer':{'k1':{'DNSName':"
		     "'web.tn.ts.net.','TailscaleIPs':['100.64.0.2'],'InNetworkMap':true,'CapMap':{'funnel':null},"
		     "'Capabilities':['dns-subdomain-resolve']},'k2':{'DNSName':'app.tn.ts.net.','TailscaleIPs':"
		     "['100.64.0.3'],'InNetworkMap':true,'CapMap':{'dns-subdomain-resolve':[{'x':1}]}}},"
		     "'ExtraRecords':[{'Name':'web.tn.ts.net','Value':'100.64.0.9'}]}",
		     "suffix=tn.ts.net magicdns=1 tun=0\n"
		     "app.tn.ts.net app node+subdomains 100.64.0.3\n"
		     "me.tn.ts.net me node+subdomains 100.64.0.1\n"
		     "web.tn.ts.net web node 100.64.0.2 100.64.0.9\n");
}
END_TEST

START_TEST(huge_numbers)
{
	expect_hosts(
		"{'BackendState':'Running','TUN':1e400,'RxBytes':123456789012345678901234567890123456789,"
		"'Self':{'NodeID':1e999999,'DNSName':'me.tn.ts.net.','TailscaleIPs':['100.64.0.1'],'UserID':-0.0E+0},"
		"'Peer':{'k1':{'NodeID':99999999999999999999999999,'DNSName':'p1.tn.ts.net.','TailscaleIPs':"
		"['100.64.0.2'],'InNetworkMap':true},"
		"'k2':{'DNSName':'p2.tn.ts.net.','TailscaleIPs':['100.64.0.3'],'InNetworkMap':1e400}}}",
		"suffix=- magicdns=0 tun=0\nme.tn.ts.net - node 100.64.0.1\np1.tn.ts.net - node 100.64.0.2\n");
}
END_TEST

static char *nested(const char *member, int levels)
{
	size_t n = strlen(member);
	char *doc = malloc(n + 2 * (size_t)levels + 200);
	ck_assert_ptr_nonnull(doc);
	char *p = doc + sprintf(doc, "{\"BackendState\":\"Running\",\"Self\":{},\"%s\":", member);
	memset(p, '[', (size_t)levels);
	memset(p + levels, ']', (size_t)levels);
	strcpy(p + 2 * levels, "}");
	return doc;
}

START_TEST(deep_nesting)
{
	char *doc = nested("Future", 500); /* below the limit, skipped */
	struct result r = parse(doc);
	assert_ok(&r, "suffix=- magicdns=0 tun=0\n");
	result_free(&r);
	free(doc);
	doc = nested("CurrentTailnet", 500); /* captured and handed to jansson: not an object, like null */
	r = parse(doc);
	assert_ok(&r, "suffix=- magicdns=0 tun=0\n");
	result_free(&r);
	free(doc);
	doc = nested("Future", 100000);
	r = parse(doc);
	assert_fails(&r, TN_EXIT_BAD_ANSWER, "nested deeper than");
	free(doc);
}
END_TEST

START_TEST(oversized_values)
{
	size_t big = 2u << 20;
	char *doc = malloc(big + 200);
	ck_assert_ptr_nonnull(doc);
	/* A 2 MiB string we skip is fine ... */
	int n = sprintf(doc, "{\"BackendState\":\"Running\",\"Self\":{},\"Health\":[\"");
	memset(doc + n, 'x', big);
	strcpy(doc + n + big, "\"]}");
	struct result r = parse(doc);
	assert_ok(&r, "suffix=- magicdns=0 tun=0\n");
	result_free(&r);
	/* ... one we would have to buffer is refused, whether it arrives at once or in pieces. */
	n = sprintf(doc, "{\"BackendState\":\"Running\",\"Self\":{},\"MagicDNSSuffix\":\"");
	memset(doc + n, 'x', big);
	strcpy(doc + n + big, "\"}");
	r = parse(doc);
	assert_fails(&r, TN_EXIT_BAD_ANSWER, "larger than");
	r = parse_split(doc, strlen(doc), 4096, 0);
	assert_fails(&r, TN_EXIT_BAD_ANSWER, "larger than");
	free(doc);
}
END_TEST

/* ---- refused documents ------------------------------------------------------------------------------------ */

static const struct {
	const char *doc, *needle;
} bad_docs[] = {
	{"", "no JSON document"},
	{" \n\t ", "no JSON document"},
	{"{", "truncated JSON"},
	{"{'BackendState':'Running','Self':{}", "truncated JSON"},
	{"{'BackendState':'Run", "inside a string"},
	{"[]", "not a JSON object"},
	{"'Running'", "not a JSON object"},
	{"nul", "not a JSON object"},
	{"<html>", "malformed JSON at byte 0"},
	{"{'a':tru}", "malformed JSON at byte 8"},
	{"{'a':nulL}", "malformed JSON"},
	{"{'a':01}", "malformed JSON at byte 6"},
	{"{'a':1.}", "malformed JSON"},
	{"{'a':-}", "malformed JSON"},
	{"{'a':1e}", "malformed JSON"},
	{"{'a':1e+}", "malformed JSON"},
	{"{'a':.5}", "malformed JSON"},
	{"{'a':+1}", "malformed JSON"},
	{"{'a':'\\x'}", "escape"},
	{"{'a':'\\u12G4'}", "hex digits"},
	{"{'a':'tab\there'}", "control characters"},
	{"{'a':1,}", "member name"},
	{"{'a' 1}", "':'"},
	{"{,}", "member name"},
	{"{'a':1}}", "the document has ended"},
	{"{'a':1} x", "the document has ended"},
	{"{'a':1}{}", "the document has ended"},
	{"{'a':[1 2]}", "','"},
	{"{'a':]}", "value should start"},
	{"{'a':[}", "other bracket"},
	{"{'a':[1}", "other bracket"},
	{"{'a':{'b':1]}", "other bracket"},
	{"{a:1}", "member name"},
	{"{'BackendState':'Running','Self':{}} garbage", "the document has ended"},
	{"{}", "no BackendState"},
	{"{'Self':{}}", "no BackendState"},
	{"{'BackendState':'Running'}", "no Self"},
	{"{'BackendState':'Running','Self':null}", "Self in the status is not an object"},
	{"{'BackendState':'Running','Self':['x']}", "Self in the status is not an object"},
	{"{'BackendState':6,'Self':{}}", "BackendState in the status is not a string"},
	{"{'BackendState':null,'Self':{}}", "BackendState in the status is not a string"},
	{"{'BackendState':'Run\\u0000ning','Self':{}}", "not a string"},
};

START_TEST(refused_documents)
{
	struct result r = parse_q(bad_docs[_i].doc);
	assert_fails(&r, TN_EXIT_BAD_ANSWER, bad_docs[_i].needle);
}
END_TEST

START_TEST(not_running_states)
{
	/* A state from the document is shown as printable ASCII only: the message stays one line. */
	const char *states[] = {"NoState", "InUseOtherUser", "NeedsMachineAuth", "Stopped", "Starting", "Weird",
				"Two\\nLines\\u00e9"};
	const char *shown[] = {"NoState", "InUseOtherUser", "NeedsMachineAuth", "Stopped", "Starting", "Weird",
			       "Two?Lines??"};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		char doc[256], needle[128];
		snprintf(doc, sizeof doc, "{'BackendState':'%s','Self':{},'Peer':null}", states[i]);
		snprintf(needle, sizeof needle, "tailscaled is not running (BackendState %s): ", shown[i]);
		struct result r = parse_q(doc);
		assert_fails(&r, TN_EXIT_NOT_RUNNING, needle);
	}
}
END_TEST

/* Every proper prefix of a valid document is refused (it is truncated), never accepted or crashed on. */
START_TEST(every_truncation_refused)
{
	size_t len;
	char *doc = read_example("running.json", &len);
	size_t complete = (size_t)(strrchr(doc, '}') - doc) + 1;
	for (size_t cut = 0; cut < complete; cut++) {
		struct result r = parse_split(doc, cut, cut % 7 == 0 ? 1 + cut % 13 : 0, (unsigned)cut);
		ck_assert_msg(r.rc == -1, "a document cut after %zu bytes was accepted", cut);
		ck_assert_int_eq(r.err.code, TN_EXIT_BAD_ANSWER);
		ck_assert_msg(r.err.msg[0] != '\0', "no message at cut %zu", cut);
		result_free(&r);
	}
	free(doc);
}
END_TEST

/* Every byte of a small document replaced by each of a few troublemakers: any outcome but a crash, and the
 * same outcome whether fed whole or byte by byte. */
START_TEST(every_byte_mutated)
{
	char *base = json("{'BackendState':'Running','TUN':true,'CurrentTailnet':{'MagicDNSSuffix':'tn.ts.net',"
			  "'MagicDNSEnabled':true},'Self':{'ID':'n1','DNSName':'me.tn.ts.net.','TailscaleIPs':"
			  "['100.64.0.1','fd7a:115c:a1e0::1'],'InNetworkMap':true},'ExtraRecords':[{'Name':"
			  "'x.tn.ts.net','Value':'100.64.0.9'}],'Peer':{'k':{'ID':'n2','DNSName':'p.tn.ts.net.',"
			  "'TailscaleIPs':['100.64.0.2'],'InNetworkMap':true,'Online':false,'N':-1.5e3}}}");
	static const char troublemakers[] = {'"', '\\', '{', '}', '[', ']', ',', ':', '0', 'e', 'u', ' ', '\n',
					     '\0', '\x01', (char)0x80, (char)0xff};
	size_t len = strlen(base);
	char *doc = malloc(len);
	ck_assert_ptr_nonnull(doc);
	for (size_t i = 0; i < len; i++) {
		for (size_t t = 0; t < sizeof troublemakers; t++) {
			memcpy(doc, base, len);
			doc[i] = troublemakers[t];
			struct result whole = parse_split(doc, len, 0, 0), bytes = parse_split(doc, len, 1, 0);
			ck_assert_int_eq(whole.rc, bytes.rc);
			if (whole.rc == 0) {
				ck_assert_str_eq(whole.text, bytes.text);
			} else {
				ck_assert_int_eq(whole.err.code, bytes.err.code);
				int code = whole.err.code;
				ck_assert_msg(code == TN_EXIT_BAD_ANSWER || code == TN_EXIT_NOT_RUNNING,
					      "code %d for byte %zu -> 0x%02x: %s", code, i,
					      (unsigned char)troublemakers[t], whole.err.msg);
			}
			result_free(&whole);
			result_free(&bytes);
		}
	}
	free(doc);
	free(base);
}
END_TEST

static Suite *examples_suite(void)
{
	Suite *s = suite_create("status examples");
	TCase *tc = tcase_create("examples");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, running_example);
	tcase_add_test(tc, peers_false_userspace_example);
	tcase_add_test(tc, needs_login_example);
	tcase_add_loop_test(tc, examples_any_chunking, 0, sizeof examples / sizeof examples[0]);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *quirks_suite(void)
{
	Suite *s = suite_create("status quirks");
	TCase *tc = tcase_create("quirks");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, nulls_everywhere);
	tcase_add_test(tc, missing_optional_keys);
	tcase_add_test(tc, unknown_keys_and_types);
	tcase_add_test(tc, invalid_dns_names_skipped);
	tcase_add_test(tc, escapes_in_strings_and_keys);
	tcase_add_test(tc, extra_records);
	tcase_add_test(tc, duplicate_names_deterministic);
	tcase_add_test(tc, caps_and_version);
	tcase_add_test(tc, huge_numbers);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, oversized_values);
	suite_add_tcase(s, tc);
	return s;
}

static Suite *refused_suite(void)
{
	Suite *s = suite_create("status refused");
	TCase *tc = tcase_create("refused");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, refused_documents, 0, sizeof bad_docs / sizeof bad_docs[0]);
	tcase_add_test(tc, not_running_states);
	tcase_add_test(tc, every_truncation_refused);
	tcase_add_test(tc, every_byte_mutated);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(examples_suite, quirks_suite, refused_suite)
