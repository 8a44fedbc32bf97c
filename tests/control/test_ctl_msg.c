/* SPDX-License-Identifier: proprietary */
/*
 * The control.sock request decoder on bytes (no EAL, no socket): a table of
 * bad requests, each with its exact error code; good requests decoded field
 * by field; the datagram buffer wiped after decoding.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "ctl_json.h"
#include "ctl_msg.h"

static void
setup(void)
{
	cr_assert(sodium_init() >= 0);
	ctl_json_init();
}

TestSuite(control_ctl_msg, .init = setup, .timeout = 60);

#define KEY "\"master_key\":\"000102030405060708090a0b0c0d0e0f\""
#define SALT "\"master_salt\":\"a0a1a2a3a4a5a6a7a8a9aaab\""
#define UNP "{\"dir\":\"unprotect\"," KEY "," SALT ",\"mki\":\"0df9bc39\",\"ssrc\":1"
#define ADD(s) "{\"v\":1,\"id\":7,\"op\":\"stream.add\",\"streams\":[" s "]}"
#define MK(s) "{\"v\":1,\"id\":7,\"op\":\"mikey.install\",\"i_message\":\"AAEC\"," \
	      "\"streams\":[" s "]}"

struct bad {
	const char *req;
	enum ctl_error code;
};

static const struct bad bad[] = {
	/* 0 */ {"", CTL_E_JSON},
	{"{", CTL_E_JSON},
	{"{\"v\":1,\"v\":1,\"op\":\"health\"}", CTL_E_JSON},	/* duplicate key */
	{"[1]", CTL_E_TYPE},
	{"\"health\"", CTL_E_JSON},				/* not an object or array */
	/* 5 */ {"{\"op\":\"health\"}", CTL_E_VERSION},
	{"{\"v\":2,\"op\":\"health\"}", CTL_E_VERSION},
	{"{\"v\":\"one\",\"op\":\"health\"}", CTL_E_VERSION},
	{"{\"v\":1}", CTL_E_MISSING},
	{"{\"v\":1,\"op\":5}", CTL_E_TYPE},
	/* 10 */ {"{\"v\":1,\"op\":\"stream.frob\"}", CTL_E_OP},
	{"{\"v\":1,\"id\":-1,\"op\":\"health\"}", CTL_E_VALUE},
	{"{\"v\":1,\"id\":[],\"op\":\"health\"}", CTL_E_TYPE},
	{"{\"v\":1,\"op\":\"stream.add\"}", CTL_E_MISSING},
	{"{\"v\":1,\"op\":\"stream.add\",\"streams\":{}}", CTL_E_TYPE},
	/* 15 */ {"{\"v\":1,\"op\":\"stream.add\",\"streams\":[]}", CTL_E_VALUE},
	{ADD("5"), CTL_E_TYPE},
	{ADD("{\"ssrc\":1}"), CTL_E_MISSING},				/* dir */
	{ADD("{\"dir\":\"sideways\",\"ssrc\":1}"), CTL_E_VALUE},
	{ADD("{\"dir\":\"unprotect\",\"ssrc\":1}"), CTL_E_MISSING},	/* keys */
	/* 20 */ {ADD("{\"dir\":\"unprotect\",\"master_key\":\"0001\"," SALT ",\"ssrc\":1}"),
		  CTL_E_VALUE},						/* key length */
	{ADD("{\"dir\":\"unprotect\",\"master_key\":12," SALT ",\"ssrc\":1}"), CTL_E_TYPE},
	{ADD("{\"dir\":\"unprotect\"," KEY ",\"master_salt\":\"zz\",\"ssrc\":1}"), CTL_E_VALUE},
	{ADD(UNP ",\"mki\":\"0df9bc\"}"), CTL_E_JSON},			/* duplicate mki */
	{ADD("{\"dir\":\"unprotect\"," KEY "," SALT ",\"mki\":\"0df9bc\",\"ssrc\":1}"),
	 CTL_E_VALUE},							/* 3-octet MKI */
	/* 25 */ {ADD("{\"dir\":\"unprotect\"," KEY "," SALT "}"), CTL_E_MISSING},	/* ssrc */
	{ADD("{\"dir\":\"unprotect\"," KEY "," SALT ",\"ssrc\":4294967296}"), CTL_E_VALUE},
	{ADD("{\"dir\":\"unprotect\"," KEY "," SALT ",\"ssrc\":[]}"), CTL_E_TYPE},
	{ADD("{\"dir\":\"unprotect\"," KEY "," SALT ",\"ssrc\":\"0xZZ\"}"), CTL_E_VALUE},
	{ADD(UNP ",\"master_kye\":\"00\"}"), CTL_E_VALUE},		/* unknown field */
	/* 30 */ {ADD(UNP ",\"profile\":\"NULL_CIPHER\"}"), CTL_E_VALUE},
	{ADD(UNP ",\"port\":65536}"), CTL_E_VALUE},
	{ADD(UNP ",\"replay_window\":100000}"), CTL_E_VALUE},
	{ADD(UNP ",\"proto\":\"sctp\"}"), CTL_E_VALUE},
	{ADD(UNP ",\"members\":[{\"addr\":\"10.0.0.300\",\"port\":1}]}"), CTL_E_VALUE},
	/* 35 */ {ADD(UNP ",\"members\":[{\"addr\":\"10.0.0.3\"}]}"), CTL_E_MISSING},
	{ADD(UNP ",\"members\":[7]}"), CTL_E_TYPE},
	{ADD(UNP ",\"members\":{}}"), CTL_E_TYPE},
	{ADD(UNP "}," UNP ",\"dir\":5}"), CTL_E_JSON},			/* the 2nd: dup dir */
	{ADD(UNP "},{\"dir\":\"protect\"}"), CTL_E_MISSING},		/* the 2nd entry */
	/* 40 */ {"{\"v\":1,\"op\":\"stream.del\"}", CTL_E_MISSING},
	{"{\"v\":1,\"op\":\"stream.del\",\"stream\":\"abc\"}", CTL_E_VALUE},
	{"{\"v\":1,\"op\":\"stream.get\",\"stream\":true}", CTL_E_TYPE},
	{"{\"v\":1,\"op\":\"stream.list\",\"limit\":0}", CTL_E_VALUE},
	{"{\"v\":1,\"op\":\"stream.list\",\"limit\":1000}", CTL_E_VALUE},
	/* 45 */ {"{\"v\":1,\"op\":\"stream.list\",\"details\":\"yes\"}", CTL_E_TYPE},
	{"{\"v\":1,\"op\":\"mikey.install\",\"streams\":[]}", CTL_E_MISSING},
	{"{\"v\":1,\"op\":\"mikey.install\",\"i_message\":\"!!!\",\"streams\":[]}", CTL_E_VALUE},
	{"{\"v\":1,\"op\":\"mikey.install\",\"i_message\":7}", CTL_E_TYPE},
	{MK("{\"dir\":\"unprotect\",\"ssrc\":1," KEY "}"), CTL_E_VALUE},	/* no keys here */
	/* 50 */ {MK("{\"dir\":\"unprotect\",\"ssrc\":1,\"cs_id\":\"x\"}"), CTL_E_VALUE},
	{MK("{\"dir\":\"unprotect\",\"ssrc\":1,\"guk_id\":{}}"), CTL_E_TYPE},
	{MK("{\"dir\":\"unprotect\",\"ssrc\":1,\"mki\":\"0df9\"}"), CTL_E_VALUE},
	{"{\"v\":1,\"op\":\"mikey.install\",\"i_message\":\"AAEC\",\"purpose\":9,"
	 "\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}]}", CTL_E_VALUE},
	{"{\"v\":1,\"op\":\"health\"} trailing", CTL_E_JSON},
	/* 55: learning and rekey fields of mikey.install */
#define MKX(x) "{\"v\":1,\"op\":\"mikey.install\",\"i_message\":\"AAEC\"," x "}"
	{MKX("\"learn\":5"), CTL_E_TYPE},
	{MKX("\"learn\":{\"port\":70000}"), CTL_E_VALUE},
	{MKX("\"learn\":{\"max_senders\":0}"), CTL_E_VALUE},
	{MKX("\"learn\":{\"max_senders\":4097}"), CTL_E_VALUE},
	{MKX("\"learn\":{\"replay_window\":32}"), CTL_E_VALUE},
	/* 60 */ {MKX("\"learn\":{\"prots\":[\"rtp\"]}"), CTL_E_VALUE},	/* unknown field */
	{MKX("\"learn\":{\"protos\":[]}"), CTL_E_TYPE},
	{MKX("\"learn\":{\"protos\":[\"udp\"]}"), CTL_E_VALUE},
	{MKX("\"learn\":{\"protos\":[1]}"), CTL_E_TYPE},
	{MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],\"replaces\":\"0df9bc\""),
	 CTL_E_VALUE},
	/* 65 */ {MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],\"replaces\":7"),
		  CTL_E_TYPE},
	{MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],\"activate_at\":1"),
	 CTL_E_VALUE},						/* without replaces */
	{MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],\"grace_s\":1"), CTL_E_VALUE},
	{MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],\"replaces\":\"0df9bc39\","
	     "\"activate_at\":-1"), CTL_E_VALUE},
	{MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],\"replaces\":\"0df9bc39\","
	     "\"grace_s\":86401"), CTL_E_VALUE},
	/* 70 */ {MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],"
		       "\"replaces\":\"0df9bc39\",\"activate_at\":[]"), CTL_E_TYPE},
	{MKX("\"purpose\":0"), CTL_E_MISSING},		/* streams may go only with learn */
	/* "defaults" of a batch */
#define ADDD(d, e) "{\"v\":1,\"op\":\"stream.add\",\"defaults\":" d ",\"streams\":[" e "]}"
	{ADDD("[]", UNP "}"), CTL_E_TYPE},
	{ADDD("{\"prfile\":\"AEAD_AES_128_GCM\"}", UNP "}"), CTL_E_VALUE},	/* unknown field */
	/* 75 */ {ADDD("{\"profile\":\"NULL_CIPHER\"}", UNP "}"), CTL_E_VALUE},
	{ADDD("{\"dir\":\"unprotect\"}", "{" KEY "," SALT "}"), CTL_E_MISSING},	/* ssrc */
	{ADDD("{\"cs_id\":0}", UNP "}"), CTL_E_VALUE},	/* a mikey.install field */
	{"{\"v\":1,\"op\":\"mikey.install\",\"i_message\":\"AAEC\",\"defaults\":"
	 "{\"master_key\":\"00\"},\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}]}",
	 CTL_E_VALUE},					/* no keys in mikey.install */
	/* "initiators" of mikey.install: whom a hidden initiator may be */
	{MKX("\"initiators\":\"sip:a@example.org\""), CTL_E_TYPE},
	/* 80 */ {MKX("\"initiators\":[7]"), CTL_E_TYPE},
	{MKX("\"initiators\":[\"\"]"), CTL_E_VALUE},
	{MKX("\"initiators\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\","
	     "\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]"), CTL_E_LIMIT},
	/* a member is found by its destination port: never 0 */
	{ADD(UNP ",\"members\":[{\"addr\":\"10.0.0.3\",\"port\":0}]}"), CTL_E_VALUE},
};

Test(control_ctl_msg, bad_requests_get_their_exact_code)
{
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[1024];
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i].req);

		cr_assert_lt(n, sizeof(buf));
		memcpy(buf, bad[i].req, n);
		rc = ctl_msg_decode(&req, buf, n, &err);
		cr_assert_eq(rc, -(int)bad[i].code, "case %u: %s: got %s (%s), want %s", i,
			     bad[i].req, ctl_errcode(rc), err.msg, ctl_errcode(-(int)bad[i].code));
		cr_assert_eq(err.code, rc, "case %u", i);
		cr_assert_neq(err.msg[0], '\0', "case %u: a message", i);
		cr_assert_null(req.streams, "case %u: nothing held", i);
		cr_assert_null(req.imsg, "case %u", i);
		for (size_t k = 0; k < n; k++)
			cr_assert_eq(buf[k], 0, "case %u: buffer wiped", i);
	}
}

Test(control_ctl_msg, error_names_the_field_and_never_a_value)
{
	static const char r[] = ADD(UNP "},{\"dir\":\"unprotect\",\"master_key\":\"00112233\","
				    SALT ",\"ssrc\":1}");
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r)];

	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r) - 1, &err), -CTL_E_VALUE);
	cr_assert(strstr(err.msg, "streams[1]") != NULL, "%s", err.msg);
	cr_assert(strstr(err.msg, "master_key") != NULL, "%s", err.msg);
	cr_assert(strstr(err.msg, "00112233") == NULL, "%s", err.msg);
	cr_assert_eq(req.id, 7, "the id is kept for the reply");
}

/*
 * jansson's error text quotes the token it stopped in when it is short: a
 * request cut inside a key, or a bad escape in one, must not echo its digits.
 */
Test(control_ctl_msg, json_errors_never_quote_a_key)
{
	static const char *const cases[] = {
		"{\"v\":1,\"op\":\"stream.add\",\"streams\":[{\"master_key\":\"000102030405060708",
		"{\"v\":1,\"op\":\"stream.add\",\"streams\":[{\"master_key\":"
		"\"0001020304050607\\q\"}]}",
		"{\"v\":1,\"op\":\"stream.add\",\"streams\":[{\"master_key\":"
		"\"0001020304\\uDC00\"}]}",
	};
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i]);

		memcpy(buf, cases[i], n);
		cr_assert_eq(ctl_msg_decode(&req, buf, n, &err), -CTL_E_JSON, "case %u", i);
		cr_assert_null(strstr(err.msg, "0001020304"), "case %u: %s", i, err.msg);
		cr_assert_null(strstr(err.msg, "near"), "case %u: %s", i, err.msg);
		cr_assert_not_null(strstr(err.msg, "line 1 column "), "case %u: %s", i, err.msg);
	}
	cr_assert_not_null(strstr(err.msg, "invalid Unicode escape"), "%s", err.msg);
}

/* jansson's own error record, which quoted the key digits, is wiped once read. */
Test(control_ctl_msg, the_parse_error_record_is_wiped)
{
	static const char text[] = "{\"master_key\":\"000102030405060708";
	json_error_t je;
	char why[200];

	cr_assert_null(json_loadb(text, sizeof(text) - 1, 0, &je));
	cr_assert_not_null(strstr(je.text, "0001020304"), "jansson quotes it: %s", je.text);
	ctl_json_error_text(&je, why, sizeof(why));
	cr_assert(sodium_is_zero((const unsigned char *)&je, sizeof(je)), "wiped");
	cr_assert_not_null(strstr(why, "line 1 column "), "%s", why);
}

Test(control_ctl_msg, oversized_and_overlong_batches)
{
	static uint8_t big[CTL_MSG_MAX + 2];
	struct ctl_req req;
	struct ctl_err err;
	size_t n = 0;
	unsigned int i;

	memset(big, ' ', sizeof(big));
	cr_assert_eq(ctl_msg_decode(&req, big, CTL_MSG_MAX + 1, &err), -CTL_E_TOO_BIG);
	cr_assert_eq(big[0], 0, "wiped even when refused");
	/* 1025 streams, small enough to fit: refused by count. */
	n += (size_t)sprintf((char *)big, "{\"v\":1,\"op\":\"stream.add\",\"streams\":[");
	for (i = 0; i <= CTL_BATCH_MAX; i++)
		n += (size_t)sprintf((char *)big + n, "%s{}", i ? "," : "");
	n += (size_t)sprintf((char *)big + n, "]}");
	cr_assert_lt(n, CTL_MSG_MAX);
	cr_assert_eq(ctl_msg_decode(&req, big, n, &err), -CTL_E_LIMIT);
	/* Deep nesting is jansson's to refuse. */
	memset(big, '[', 5000);
	cr_assert_eq(ctl_msg_decode(&req, big, 5000, &err), -CTL_E_JSON);
}

Test(control_ctl_msg, stream_add_decodes_every_field_and_wipes_the_buffer)
{
	static const char r[] =
		"{\"v\":1,\"id\":42,\"op\":\"stream.add\",\"streams\":["
		"{\"dir\":\"unprotect\",\"proto\":\"rtp\",\"profile\":\"AEAD_AES_128_GCM\"," KEY ","
		SALT ",\"mki\":\"0df9bc3906a12aea\",\"ssrc\":\"0x11223344\",\"roc\":3,\"rcc_r\":1,"
		"\"replay_window\":256,\"port\":5004},"
		"{\"dir\":\"protect\",\"proto\":\"rtcp\",\"profile\":\"AES_CM_128_HMAC_SHA1_80\","
		"\"master_key\":\"ffeeddccbbaa99887766554433221100\","
		"\"master_salt\":\"0102030405060708090a0b0c0d0e\",\"ssrc\":7,"
		"\"members\":[{\"addr\":\"10.0.0.2\",\"port\":6000},"
		"{\"addr\":\"fd00::9\",\"port\":1}]}"
		"]}";
	static const uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r)], zero[sizeof(r)] = {0};
	const struct dp_srtp_params *p;

	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	cr_assert_arr_eq(buf, zero, sizeof(r) - 1, "the datagram is wiped");
	cr_assert_eq(req.id, 42);
	cr_assert_eq(req.op, CTL_OP_STREAM_ADD);
	cr_assert_eq(req.n_streams, 2);
	p = &req.streams[0].params;
	cr_assert_eq(p->dir, DP_SRTP_DIR_UNPROTECT);
	cr_assert_eq(p->proto, DP_SRTP_PROTO_RTP);
	cr_assert_eq(p->profile, DP_SRTP_AEAD_AES_128_GCM);
	cr_assert_arr_eq(p->master_key, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
			 "\x0e\x0f", 16);
	cr_assert_arr_eq(p->master_salt, "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab", 12);
	cr_assert_eq(p->mki_len, 8);
	cr_assert_arr_eq(p->mki, "\x0d\xf9\xbc\x39\x06\xa1\x2a\xea", 8);
	cr_assert_eq(p->ssrc, 0x11223344u);
	cr_assert_eq(p->roc, 3);
	cr_assert_eq(p->rcc_r, 1);
	cr_assert_eq(p->replay_window, 256);
	cr_assert_eq(req.streams[0].port, 5004);
	p = &req.streams[1].params;
	cr_assert_eq(p->dir, DP_SRTP_DIR_PROTECT);
	cr_assert_eq(p->proto, DP_SRTP_PROTO_RTCP);
	cr_assert_eq(p->profile, DP_SRTP_AES_CM_128_HMAC_SHA1_80);
	cr_assert_eq(p->mki_len, 0);
	cr_assert_eq(p->master_salt[13], 0x0e);
	cr_assert_eq(req.streams[1].n_members, 2);
	cr_assert_arr_eq(req.streams[1].members[0].addr, v4, 16);
	cr_assert_eq(req.streams[1].members[0].port, 6000);
	cr_assert_eq(req.streams[1].members[1].addr[0], 0xfd);
	cr_assert_eq(req.streams[1].members[1].addr[15], 9);
	ctl_req_fini(&req);
	cr_assert_null(req.streams);
}

Test(control_ctl_msg, other_ops_and_their_arguments)
{
	static const struct {
		const char *req;
		enum ctl_op op;
	} ok[] = {
		{"{\"v\":1,\"op\":\"health\"}", CTL_OP_HEALTH},
		{"{\"v\":1,\"op\":\"counters\"}", CTL_OP_COUNTERS},
		{"{\"v\":1,\"op\":\"shutdown\"}", CTL_OP_SHUTDOWN},
		{"{\"v\":1,\"op\":\"keystore.reload\"}", CTL_OP_KEYSTORE_RELOAD},
		{"{\"v\":1,\"op\":\"stream.del\",\"stream\":12}", CTL_OP_STREAM_DEL},
		{"{\"v\":1,\"op\":\"stream.get\",\"stream\":\"12\"}", CTL_OP_STREAM_GET},
		{"{\"v\":1,\"op\":\"stream.list\",\"cursor\":5,\"limit\":10,\"details\":true}",
		 CTL_OP_STREAM_LIST},
	};
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[256];
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memcpy(buf, ok[i].req, strlen(ok[i].req));
		cr_assert_eq(ctl_msg_decode(&req, buf, strlen(ok[i].req), &err), 0, "%s: %s",
			     ok[i].req, err.msg);
		cr_assert_eq(req.op, ok[i].op, "%s", ok[i].req);
		cr_assert_not_null(strstr(ok[i].req, ctl_op_name(req.op)), "%s", ok[i].req);
		if (req.op == CTL_OP_STREAM_DEL || req.op == CTL_OP_STREAM_GET)
			cr_assert_eq(req.stream_id, 12);
		if (req.op == CTL_OP_STREAM_LIST) {
			cr_assert_eq(req.cursor, 5);
			cr_assert_eq(req.limit, 10);
			cr_assert(req.details);
		}
		ctl_req_fini(&req);
	}
}

Test(control_ctl_msg, mikey_install_decodes_message_and_addressing)
{
	static const char r[] =
		"{\"v\":1,\"id\":3,\"op\":\"mikey.install\",\"i_message\":\"AQIDBA==\","
		"\"purpose\":1,"
		"\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1,\"port\":5004,\"cs_id\":0},"
		"{\"dir\":\"protect\",\"ssrc\":2,\"cs_id\":1,\"guk_id\":305419896,"
		"\"members\":[{\"addr\":\"10.0.0.2\",\"port\":6000}]}]}";
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r)];

	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	cr_assert_eq(req.op, CTL_OP_MIKEY_INSTALL);
	cr_assert_eq(req.imsg_len, 4);
	cr_assert_arr_eq(req.imsg, "\x01\x02\x03\x04", 4);
	cr_assert_eq(req.purpose, 1);
	cr_assert_eq(req.n_streams, 2);
	cr_assert_eq(req.mk[0].cs_id, 0);
	cr_assert_not(req.mk[0].has_guk);
	cr_assert_eq(req.mk[1].cs_id, 1);
	cr_assert(req.mk[1].has_guk);
	cr_assert_eq(req.mk[1].guk_id, 305419896u);
	cr_assert_eq(req.streams[0].port, 5004);
	cr_assert_eq(req.streams[1].n_members, 1);
	cr_assert_eq(req.mk[0].mki_len, 0);
	ctl_req_fini(&req);
}

Test(control_ctl_msg, mikey_install_gmk_sender_from_the_mki)
{
	static const char r[] =
		MK("{\"dir\":\"unprotect\",\"ssrc\":1,\"mki\":\"0df9bc3906a12aea\"}");
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r)];

	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	cr_assert_eq(req.mk[0].mki_len, 8);
	cr_assert(req.mk[0].has_guk);
	cr_assert_eq(req.mk[0].guk_id, 0x06a12aeau, "the GUK-ID is the MKI's second half");
	cr_assert_eq(req.mk[0].cs_id, -1);
	ctl_req_fini(&req);
}

Test(control_ctl_msg, mikey_install_learn_and_rekey_fields)
{
	static const char r1[] = MKX("\"learn\":{\"port\":5004,\"replay_window\":256,"
				     "\"max_senders\":9,\"protos\":[\"rtcp\"]}");
	static const char r2[] = MKX("\"learn\":{},\"streams\":[{\"dir\":\"unprotect\","
				     "\"ssrc\":1}],\"replaces\":\"0DF9BC39\","
				     "\"activate_at\":1700000010");
	static const char r3[] = MK("{\"dir\":\"unprotect\",\"ssrc\":1}");
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r2)];

	memcpy(buf, r1, sizeof(r1) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r1) - 1, &err), 0, "%s", err.msg);
	cr_assert(req.has_learn);
	cr_assert_eq(req.n_streams, 0, "learning needs no stream");
	cr_assert_eq(req.learn.port, 5004);
	cr_assert_eq(req.learn.replay_window, 256);
	cr_assert_eq(req.learn.max_senders, 9);
	cr_assert_eq(req.learn.protos, 1u << DP_SRTP_PROTO_RTCP);
	cr_assert(!req.has_replaces);
	ctl_req_fini(&req);

	memcpy(buf, r2, sizeof(r2) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r2) - 1, &err), 0, "%s", err.msg);
	cr_assert(req.has_learn);
	cr_assert_eq(req.learn.max_senders, 64, "the default cap");
	cr_assert_eq(req.learn.protos, 0, "from the streams");
	cr_assert(req.has_replaces);
	cr_assert_arr_eq(req.replaces, "\x0d\xf9\xbc\x39", 4);
	cr_assert(req.has_activate_at);
	cr_assert_eq(req.activate_at, 1700000010);
	cr_assert_eq(req.grace_s, CTL_GRACE_DEFAULT);
	cr_assert_eq(req.n_streams, 1);
	ctl_req_fini(&req);

	memcpy(buf, r3, sizeof(r3) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r3) - 1, &err), 0, "%s", err.msg);
	cr_assert(!req.has_learn && !req.has_replaces && !req.has_activate_at);
	ctl_req_fini(&req);
}

Test(control_ctl_msg, mikey_install_initiators)
{
	static const char r1[] = MKX("\"initiators\":[\"sip:gms@example.org\","
				     "\"sip:alice@example.org\"],\"learn\":{}");
	static const char r2[] = MKX("\"initiators\":[],\"learn\":{}");
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r1)];

	memcpy(buf, r1, sizeof(r1) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r1) - 1, &err), 0, "%s", err.msg);
	cr_assert_eq(req.n_initiators, 2);
	cr_assert_str_eq(req.initiators[0], "sip:gms@example.org");
	cr_assert_str_eq(req.initiators[1], "sip:alice@example.org");
	ctl_req_fini(&req);
	cr_assert_null(req.initiators);

	memcpy(buf, r2, sizeof(r2) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r2) - 1, &err), 0, "%s", err.msg);
	cr_assert_eq(req.n_initiators, 0, "none: a hidden initiator is refused");
	ctl_req_fini(&req);
}

/* A number in a string is decimal or 0x-hexadecimal; "010" is neither (strtoull: octal 8). */
Test(control_ctl_msg, numbers_in_strings_are_decimal_or_hex_never_octal)
{
	static const struct {
		const char *ssrc;
		int rc;
		uint32_t want;
	} cases[] = {
		{"\"16\"", 0, 16}, {"\"0x10\"", 0, 16}, {"\"0X1f\"", 0, 31}, {"\"0\"", 0, 0},
		{"\"4294967295\"", 0, UINT32_MAX}, {"\"0xffffffff\"", 0, UINT32_MAX},
		{"\"010\"", -CTL_E_VALUE, 0}, {"\"00112233\"", -CTL_E_VALUE, 0},
		{"\"00\"", -CTL_E_VALUE, 0}, {"\"0x\"", -CTL_E_VALUE, 0},
		{"\"0x0x10\"", -CTL_E_VALUE, 0}, {"\"+16\"", -CTL_E_VALUE, 0},
		{"\" 16\"", -CTL_E_VALUE, 0}, {"\"-1\"", -CTL_E_VALUE, 0},
		{"\"4294967296\"", -CTL_E_VALUE, 0}, {"\"0x100000000\"", -CTL_E_VALUE, 0},
		{"\"18446744073709551616\"", -CTL_E_VALUE, 0}, {"\"16a\"", -CTL_E_VALUE, 0},
		{"\"\"", -CTL_E_VALUE, 0},
	};
	struct ctl_req req;
	struct ctl_err err;
	char r[512];
	uint8_t buf[512];
	unsigned int i;
	int n, rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(r, sizeof(r),
			     ADD("{\"dir\":\"unprotect\"," KEY "," SALT ",\"ssrc\":%s}"),
			     cases[i].ssrc);
		memcpy(buf, r, (size_t)n);
		rc = ctl_msg_decode(&req, buf, (size_t)n, &err);
		cr_assert_eq(rc, cases[i].rc, "ssrc %s: %s", cases[i].ssrc, err.msg);
		if (rc == 0)
			cr_assert_eq(req.streams[0].params.ssrc, cases[i].want, "ssrc %s",
				     cases[i].ssrc);
		else
			cr_assert_not_null(strstr(err.msg, "streams[0]: ssrc: "), "%s", err.msg);
		ctl_req_fini(&req);
	}
	/* Elsewhere too: a stream id, a list cursor. */
	n = snprintf(r, sizeof(r), "{\"v\":1,\"op\":\"stream.del\",\"stream\":\"010\"}");
	memcpy(buf, r, (size_t)n);
	cr_assert_eq(ctl_msg_decode(&req, buf, (size_t)n, &err), -CTL_E_VALUE, "%s", err.msg);
	cr_assert_eq(ctl_uint_parse("0x10", 255, &(uint64_t){0}), 0);
	cr_assert_eq(ctl_uint_parse("256", 255, &(uint64_t){0}), -CTL_E_VALUE);
	cr_assert_eq(ctl_uint_parse("9", 5, &(uint64_t){0}), -CTL_E_VALUE, "one digit past max");
}

/*
 * Every op refuses a field it does not know, naming it (not its value): a
 * misspelt "activate_at" would switch at once, a misspelt "grace_s" would
 * retire the old key after the default 30 s, a misspelt "limit" lists 256.
 */
Test(control_ctl_msg, unknown_request_fields_are_refused_by_every_op)
{
#define RK(x) MKX("\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],\"replaces\":\"0df9bc39\"," x)
	static const struct {
		const char *req, *field;
	} cases[] = {
		{RK("\"activate\":1700000010"), "activate: unknown field"},
		{RK("\"grace\":600"), "grace: unknown field"},
		{"{\"v\":1,\"op\":\"stream.list\",\"limt\":10}", "limt: unknown field"},
		{"{\"v\":1,\"op\":\"stream.del\",\"stream\":1,\"streams\":[2]}",
		 "streams: unknown field"},
		{"{\"v\":1,\"op\":\"stream.get\",\"stream\":1,\"detail\":true}",
		 "detail: unknown field"},
		{ADD(UNP "}") "x", NULL},	/* trailing: bad JSON, not this */
		{"{\"v\":1,\"op\":\"stream.add\",\"streams\":[" UNP "}],\"default\":{}}",
		 "default: unknown field"},
		{"{\"v\":1,\"op\":\"health\",\"verbose\":\"0001020304050607\"}",
		 "verbose: unknown field"},
		{"{\"v\":1,\"op\":\"shutdown\",\"force\":true}", "force: unknown field"},
		{"{\"v\":1,\"op\":\"counters\",\"reset\":1}", "reset: unknown field"},
		{"{\"v\":1,\"op\":\"keystore.reload\",\"path\":\"/x\"}", "path: unknown field"},
		{MKX("\"learn\":{},\"purpos\":1"), "purpos: unknown field"},
		{MKX("\"learn\":{},\"initiator\":[\"sip:a@example.org\"]"),
		 "initiator: unknown field"},
	};
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[512];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].req);

		if (cases[i].field == NULL)
			continue;
		memcpy(buf, cases[i].req, n);
		cr_assert_eq(ctl_msg_decode(&req, buf, n, &err), -CTL_E_VALUE, "%s: %s",
			     cases[i].req, err.msg);
		cr_assert_str_eq(err.msg, cases[i].field, "%s", cases[i].req);
		cr_assert_null(req.streams);
		cr_assert_null(req.imsg);
	}
	/* The fields each op knows, all at once, still pass. */
	{
		static const char *const ok[] = {
			"{\"v\":1,\"id\":1,\"op\":\"stream.list\",\"cursor\":0,\"limit\":10,"
			"\"details\":false}",
			"{\"v\":1,\"id\":1,\"op\":\"stream.get\",\"stream\":1}",
			"{\"v\":1,\"id\":1,\"op\":\"health\"}",
			"{\"v\":1,\"id\":1,\"op\":\"stream.add\","
			"\"defaults\":{\"dir\":\"unprotect\"},"
			"\"streams\":[" UNP "}]}",
			MKX("\"id\":1,\"purpose\":0,\"learn\":{},\"defaults\":{\"port\":5004},"
			    "\"streams\":[{\"dir\":\"unprotect\",\"ssrc\":1}],"
			    "\"replaces\":\"0df9bc39\",\"activate_at\":1700000010,\"grace_s\":60"),
		};

		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			size_t n = strlen(ok[i]);

			memcpy(buf, ok[i], n);
			cr_assert_eq(ctl_msg_decode(&req, buf, n, &err), 0, "%s: %s", ok[i],
				     err.msg);
			ctl_req_fini(&req);
		}
	}
#undef RK
}

/* A name cut for the message is cut between characters: the message stays UTF-8. */
Test(control_ctl_msg, a_long_name_is_cut_on_a_character_boundary)
{
	char r[512], name[128] = "";
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[512];
	unsigned int i;
	json_t *j;
	int n;

	for (i = 0; i < 20; i++)
		strcat(name, "\xe2\x82\xac");	/* €: 3 octets, so 40 falls inside one */
	n = snprintf(r, sizeof(r), "{\"v\":1,\"op\":\"%s\"}", name);
	memcpy(buf, r, (size_t)n);
	cr_assert_eq(ctl_msg_decode(&req, buf, (size_t)n, &err), -CTL_E_OP);
	j = json_string(err.msg);
	cr_assert_not_null(j, "valid UTF-8: %s", err.msg);
	json_decref(j);
	cr_assert_not_null(strstr(err.msg, "\xe2\x82\xac\xe2\x82\xac\""),
			   "cut after a whole one: %s", err.msg);
	n = snprintf(r, sizeof(r), "{\"v\":1,\"op\":\"health\",\"%s\":1}", name);
	memcpy(buf, r, (size_t)n);
	cr_assert_eq(ctl_msg_decode(&req, buf, (size_t)n, &err), -CTL_E_VALUE);
	j = json_string(err.msg);
	cr_assert_not_null(j, "valid UTF-8: %s", err.msg);
	json_decref(j);
	/* A message cut at its end (the 200-octet buffer) is cut between characters too. */
	ctl_err_set(&err, -CTL_E_VALUE, "%197s%s", "", "\xe2\x82\xac\xe2\x82\xac");
	cr_assert_eq(strlen(err.msg), 197);
	ctl_err_set(&err, -CTL_E_VALUE, "%198s%s", "", "\xe2\x82\xac");
	cr_assert_eq(strlen(err.msg), 198);
	j = json_string(err.msg);
	cr_assert_not_null(j);
	json_decref(j);
}

/* A batch's shared fields: each entry gets those it does not set itself. */
Test(control_ctl_msg, defaults_fill_each_entry_and_an_entry_overrides_them)
{
	static const char r[] =
		"{\"v\":1,\"id\":9,\"op\":\"stream.add\",\"defaults\":{\"dir\":\"unprotect\","
		"\"profile\":\"AES_CM_128_HMAC_SHA1_80\",\"rcc_r\":1,\"port\":5004," KEY ","
		"\"master_salt\":\"0102030405060708090a0b0c0d0e\"},\"streams\":["
		"{\"ssrc\":1,\"mki\":\"0df9bc39\"},"
		"{\"ssrc\":2,\"port\":6000,\"master_key\":\"ffeeddccbbaa99887766554433221100\"},"
		"{\"ssrc\":3,\"dir\":\"protect\",\"rcc_r\":0,\"port\":0,"
		"\"members\":[{\"addr\":\"10.0.0.2\",\"port\":6000}]}]}";
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r)];
	const struct dp_srtp_params *p;
	unsigned int i;

	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	cr_assert_eq(req.n_streams, 3);
	for (i = 0; i < 3; i++) {
		p = &req.streams[i].params;
		cr_assert_eq(p->ssrc, i + 1);
		cr_assert_eq(p->profile, DP_SRTP_AES_CM_128_HMAC_SHA1_80, "stream %u", i);
		cr_assert_eq(p->master_salt[13], 0x0e, "stream %u", i);
	}
	p = &req.streams[0].params;
	cr_assert_eq(p->dir, DP_SRTP_DIR_UNPROTECT);
	cr_assert_eq(p->rcc_r, 1);
	cr_assert_eq(p->mki_len, 4);
	cr_assert_eq(p->master_key[15], 0x0f);
	cr_assert_eq(req.streams[0].port, 5004);
	p = &req.streams[1].params;
	cr_assert_eq(p->mki_len, 0);
	cr_assert_eq(p->master_key[0], 0xff, "its own key, not the default");
	cr_assert_eq(req.streams[1].port, 6000);
	p = &req.streams[2].params;
	cr_assert_eq(p->dir, DP_SRTP_DIR_PROTECT);
	cr_assert_eq(p->rcc_r, 0);
	cr_assert_eq(req.streams[2].port, 0);
	cr_assert_eq(req.streams[2].n_members, 1);
	ctl_req_fini(&req);
}

/* mikey.install's entries take defaults too: the sender fields, never keys. */
Test(control_ctl_msg, mikey_install_defaults)
{
	static const char r[] =
		"{\"v\":1,\"op\":\"mikey.install\",\"i_message\":\"AQIDBA==\","
		"\"defaults\":{\"dir\":\"unprotect\",\"cs_id\":4,\"port\":5004},"
		"\"streams\":[{\"ssrc\":1,\"guk_id\":7},{\"ssrc\":2,\"cs_id\":6}]}";
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[sizeof(r)];

	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	cr_assert_eq(req.n_streams, 2);
	cr_assert_eq(req.mk[0].cs_id, 4);
	cr_assert_eq(req.mk[0].guk_id, 7);
	cr_assert_eq(req.mk[1].cs_id, 6);
	cr_assert_eq(req.streams[1].params.dir, DP_SRTP_DIR_UNPROTECT);
	cr_assert_eq(req.streams[1].port, 5004);
	ctl_req_fini(&req);
}

/* A bad default is refused and named; the stream it breaks is named by its place. */
Test(control_ctl_msg, a_bad_default_names_itself_or_the_stream)
{
	static const char r1[] = ADDD("{\"replay_windw\":64}", UNP "}");
	static const char r2[] = ADDD("{\"port\":[]}", UNP "}");
	struct ctl_req req;
	struct ctl_err err;
	uint8_t buf[256];

	memcpy(buf, r1, sizeof(r1) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r1) - 1, &err), -CTL_E_VALUE);
	cr_assert_str_eq(err.msg, "defaults.replay_windw: unknown field");
	memcpy(buf, r2, sizeof(r2) - 1);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(r2) - 1, &err), -CTL_E_TYPE);
	cr_assert(strncmp(err.msg, "streams[0]: port", 16) == 0, "%s", err.msg);
}

/*
 * The specs of a batch live in one locked block lent to one request at a
 * time; a second request decoded while the first holds it gets arrays of its
 * own, and the block is wiped when given back.
 */
Test(control_ctl_msg, two_requests_at_once_and_the_lent_block_is_wiped)
{
	static const char r[] = ADD(UNP "}");
	struct ctl_req a, b, c;
	struct ctl_err err;
	uint8_t buf[sizeof(r)];
	const uint8_t *key;
	static const uint8_t zero[16];

	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&a, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&b, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	cr_assert(a.lent && !b.lent);
	cr_assert_neq(a.streams, b.streams);
	cr_assert_eq(a.streams[0].params.master_key[15], 0x0f);
	cr_assert_eq(b.streams[0].params.master_key[15], 0x0f);
	key = a.streams[0].params.master_key;	/* the block stays mapped: read it after */
	ctl_req_fini(&a);
	cr_assert_arr_eq(key, zero, 16, "the lent block is wiped when given back");
	ctl_req_fini(&b);
	memcpy(buf, r, sizeof(r) - 1);
	cr_assert_eq(ctl_msg_decode(&c, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
	cr_assert(c.lent, "lent again once given back");
	ctl_req_fini(&c);
	/* A request refused half-way through its streams gives the block back too. */
	{
		static const char half[] = ADD(UNP "},{\"dir\":\"protect\"}");
		uint8_t bb[sizeof(half)];

		memcpy(bb, half, sizeof(half) - 1);
		cr_assert_eq(ctl_msg_decode(&c, bb, sizeof(half) - 1, &err), -CTL_E_MISSING);
		memcpy(buf, r, sizeof(r) - 1);
		cr_assert_eq(ctl_msg_decode(&c, buf, sizeof(r) - 1, &err), 0, "%s", err.msg);
		cr_assert(c.lent, "lent after a refused request");
		ctl_req_fini(&c);
	}
}

/*
 * The request arena: jansson's blocks carved from one locked block while this
 * thread holds it, wiped all at once at the end; held by one thread at a time;
 * past its size, the heap.
 */
static void *
other_thread_begin(void *arg)
{
	*(bool *)arg = ctl_json_arena_begin();
	if (*(bool *)arg)
		ctl_json_arena_end();
	return NULL;
}

Test(control_ctl_msg, the_json_arena_is_wiped_at_the_end_and_held_by_one_thread)
{
	static const char secret[] = "00112233445566778899aabbccddeeff";
	json_t *s, *big;
	const char *v;
	bool other = true;
	pthread_t t;
	uint64_t misses;
	unsigned int i;
	char zero[sizeof(secret)] = {0};

	if (!ctl_json_arena_available())
		cr_skip_test("no arena under AddressSanitizer (ctl_json.c)");
	cr_assert_null(ctl_json_scratch());
	cr_assert(ctl_json_arena_begin());
	cr_assert(!ctl_json_arena_begin(), "not twice");
	cr_assert_not_null(ctl_json_scratch());
	cr_assert_eq(pthread_create(&t, NULL, other_thread_begin, &other), 0);
	pthread_join(t, NULL);
	cr_assert(!other, "another thread does not get it while held");
	s = json_string(secret);
	v = json_string_value(s);
	json_decref(s);
	cr_assert_str_eq(v, secret, "freeing an arena block costs nothing: still there");
	/* Past the arena's size: the heap, counted, and still correct. */
	misses = ctl_json_arena_misses();
	big = json_array();
	for (i = 0; i < CTL_JSON_ARENA / 64 + 1024; i++)
		cr_assert_eq(json_array_append_new(big, json_string(secret)), 0);
	cr_assert_gt(ctl_json_arena_misses(), misses);
	cr_assert_str_eq(json_string_value(json_array_get(big, i - 1)), secret);
	json_decref(big);
	ctl_json_arena_end();
	cr_assert_arr_eq(v, zero, sizeof(secret), "wiped at the end");
	cr_assert_null(ctl_json_scratch());
	cr_assert_eq(pthread_create(&t, NULL, other_thread_begin, &other), 0);
	pthread_join(t, NULL);
	cr_assert(other, "free again: another thread may take it");
}

Test(control_ctl_msg, error_codes_are_stable_strings)
{
	cr_assert_str_eq(ctl_errcode(0), "ok");
	cr_assert_str_eq(ctl_errcode(-CTL_E_JSON), "bad_json");
	cr_assert_str_eq(ctl_errcode(-CTL_E_TOO_BIG), "too_big");
	cr_assert_str_eq(ctl_errcode(-CTL_E_VERSION), "bad_version");
	cr_assert_str_eq(ctl_errcode(-CTL_E_OP), "unknown_op");
	cr_assert_str_eq(ctl_errcode(-CTL_E_TYPE), "bad_type");
	cr_assert_str_eq(ctl_errcode(-CTL_E_EXISTS), "exists");
	cr_assert_str_eq(ctl_errcode(-CTL_E_NOTFOUND), "not_found");
	cr_assert_str_eq(ctl_errcode(-CTL_E_FORBIDDEN), "forbidden");
	cr_assert_str_eq(ctl_errcode(-9999), "bad_argument");
	cr_assert_str_eq(ctl_strerror(-CTL_E_JSON), "the request is not valid JSON");
}

/* Without the wiping allocator the decoder refuses to run (keys would linger in freed blocks). */
TestSuite(control_ctl_msg_noinit, .timeout = 60);

Test(control_ctl_msg_noinit, decoder_needs_the_wiping_allocator)
{
	uint8_t buf[] = "{\"v\":1,\"op\":\"health\"}";
	struct ctl_req req;
	struct ctl_err err;

	cr_assert(sodium_init() >= 0);
	cr_assert_eq(ctl_msg_decode(&req, buf, sizeof(buf) - 1, &err), -CTL_E_ARG);
	cr_assert_eq(buf[0], 0);
}
