/* SPDX-License-Identifier: proprietary */
/*
 * The native backend's set-up half: CPU dispatch, the per-thread
 * intel-ipsec-mb manager, the RFC 3711 §4.3 KDF and every key expansion,
 * all done when a context is made so that a packet only forms an IV and
 * runs one job. Off the fast path: control thread (contexts) and thread
 * start (managers).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backend_native_priv.h"

__thread struct nat_thread *nat_tls;

struct nat_arch {
	const char *name;
	void (*init)(IMB_MGR *);
	uint64_t needs;		/* IMB_CPUFLAGS_* the path requires */
};

/* Best first: the dispatch takes the first this CPU can run. */
static const struct nat_arch arches[] = {
	{"avx512", init_mb_mgr_avx512, IMB_CPUFLAGS_AVX512},
	{"avx2", init_mb_mgr_avx2, IMB_CPUFLAGS_AVX2},
	{"avx", init_mb_mgr_avx, IMB_CPUFLAGS_AVX},
	{"sse", init_mb_mgr_sse, IMB_CPUFLAGS_SSE},
};
#define N_ARCHES (sizeof(arches) / sizeof(arches[0]))

static const struct nat_arch *arch;	/* NULL: no AES-NI path, backend unavailable */
static pthread_key_t thread_key;
static bool key_made;

/* The session keys a context is made from instead of the KDF (test hook). */
static __thread const struct dp_srtp_native_session *session_override;

static bool
arch_usable(const struct nat_arch *a, uint64_t features)
{
	return (features & a->needs) == a->needs;
}

static void
thread_free(void *p)
{
	struct nat_thread *t = p;

	if (t == NULL)
		return;
	if (t->hmgr != NULL && t->hmgr != t->mgr)
		free_mb_mgr(t->hmgr);
	if (t->mgr != NULL)
		free_mb_mgr(t->mgr);
	sodium_memzero(t, sizeof(*t));
	free(t);
}

static int
nat_global_init(void)
{
	const char *want = getenv("MCPX_SRTP_ARCH");
	uint64_t features = imb_get_feature_flags();
	unsigned int i;

	if (!key_made) {
		if (pthread_key_create(&thread_key, thread_free) != 0)
			return -DP_E_BACKEND;
		key_made = true;
	}
	arch = NULL;
	for (i = 0; i < N_ARCHES; i++) {
		if (!arch_usable(&arches[i], features))
			continue;
		if (want == NULL || *want == '\0' || strcmp(want, arches[i].name) == 0) {
			arch = &arches[i];
			break;
		}
	}
	/* A forced path this CPU lacks: the best one it has. No AES-NI: unavailable. */
	for (i = 0; arch == NULL && i < N_ARCHES; i++)
		if (arch_usable(&arches[i], features))
			arch = &arches[i];
	return 0;
}

static void
nat_global_fini(void)
{
	struct nat_thread *t = nat_tls;

	nat_tls = NULL;
	if (key_made)
		pthread_setspecific(thread_key, NULL);
	thread_free(t);
}

static bool
nat_available(void)
{
	return arch != NULL && key_made;
}

/*
 * Where |m|'s path keeps the powers of H a short packet needs. intel-ipsec-mb
 * does not say, and its paths differ: of a 60-octet packet under AES-128,
 * the SSE and AVX paths read one line at 320 octets into gcm_key_data, AVX2
 * two at 256 and 320, VAES the last two, 896 and 960. Found by trial once per
 * manager, on a key that is no one's: a line past the round keys is one of
 * them when changing it changes the packet's ciphertext or tag. Only the
 * prefetch uses the result: no packet's result depends on it.
 */
static void
probe_h_lines(IMB_MGR *m, unsigned int key_len, uint16_t out[NAT_H_LINES])
{
	static const uint8_t key[32] = {0x6d, 0x63, 0x70, 0x78};
	alignas(64) struct gcm_key_data kd, probe;
	struct gcm_context_data gctx;
	uint8_t iv[12] = {0}, aad[12] = {0x80}, pt[NAT_PROBE_PAYLOAD] = {0};
	uint8_t ct[2][NAT_PROBE_PAYLOAD], tag[2][16];
	size_t off, first = (key_len == 32 ? 15u : 11u) * 16u;	/* round keys */
	unsigned int n = 0, v;

	memset(out, 0, NAT_H_LINES * sizeof(out[0]));
	first = (first + 63) & ~(size_t)63;
	for (v = 0; v <= (sizeof(kd) - first + 63) / 64; v++) {
		off = first + (size_t)(v - 1) * 64;	/* v 0: the reference */
		if (key_len == 32)
			IMB_AES256_GCM_PRE(m, key, &kd);
		else
			IMB_AES128_GCM_PRE(m, key, &kd);
		probe = kd;
		if (v != 0) {
			size_t i, end = off + 64 < sizeof(probe) ? off + 64 : sizeof(probe);

			for (i = off; i < end; i++)
				((uint8_t *)&probe)[i] ^= 0x5a;
		}
		if (key_len == 32)
			IMB_AES256_GCM_ENC(m, &probe, &gctx, ct[v != 0], pt, sizeof(pt), iv, aad,
					   sizeof(aad), tag[v != 0], 16);
		else
			IMB_AES128_GCM_ENC(m, &probe, &gctx, ct[v != 0], pt, sizeof(pt), iv, aad,
					   sizeof(aad), tag[v != 0], 16);
		if (v != 0 && n < NAT_H_LINES &&
		    (sodium_memcmp(ct[0], ct[1], sizeof(pt)) != 0 || sodium_memcmp(tag[0], tag[1], 16) != 0))
			out[n++] = (uint16_t)off;
	}
	sodium_memzero(&gctx, sizeof(gctx));
}

static int
mgr_init(struct nat_thread *t)
{
	if (t->mgr == NULL) {
		t->mgr = alloc_mb_mgr(0);
		if (t->mgr == NULL)
			return -DP_E_NOMEM;
	}
	arch->init(t->mgr);
	if (imb_get_errno(t->mgr) != 0)
		return -DP_E_BACKEND;
	probe_h_lines(t->mgr, 16, t->h_line[0]);
	probe_h_lines(t->mgr, 32, t->h_line[1]);
	/*
	 * A short HMAC-SHA1 burst waits on the multi-buffer lanes' flush; with
	 * SHA-NI the SSE path hashes one buffer at a time at full speed.
	 */
	if (t->hmgr != NULL && t->hmgr != t->mgr)
		free_mb_mgr(t->hmgr);
	t->hmgr = t->mgr;
	if (strcmp(arch->name, "sse") != 0 && (imb_get_feature_flags() & IMB_FEATURE_SHANI)) {
		IMB_MGR *h = alloc_mb_mgr(0);

		if (h == NULL)
			return -DP_E_NOMEM;
		init_mb_mgr_sse(h);
		if (imb_get_errno(h) != 0) {
			free_mb_mgr(h);
			return -DP_E_BACKEND;
		}
		t->hmgr = h;
	}
	return 0;
}

/* Threads that made a manager so far: each one's burst counts start 2^40 apart. */
static _Atomic uint64_t thread_serial;

struct nat_thread *
nat_thread_slow(void)
{
	struct nat_thread *t;

	if (arch == NULL)
		return NULL;
	t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	if (t == NULL)
		return NULL;
	memset(t, 0, sizeof(*t));
	/*
	 * A stream's snapshot says which burst took it (snap_gen against gen).
	 * A context may be worked on two threads one after the other (a learnt
	 * stream, primed with its first packet by the control thread, then its
	 * worker's): a count that started at 0 on both would let one thread's
	 * old snapshot pass for the other's, and a failed packet restore a
	 * stream from a slot holding another stream's state. Distinct ranges.
	 */
	t->gen = (atomic_fetch_add(&thread_serial, 1) + 1) << 40;
	if (mgr_init(t) < 0) {
		thread_free(t);
		return NULL;
	}
	nat_tls = t;
	pthread_setspecific(thread_key, t);
	return t;
}

unsigned int
dp_srtp_native_h_lines(unsigned int key_len, uint16_t *out, unsigned int max)
{
	const struct nat_thread *t = nat_tls;
	unsigned int n = 0;

	if (t == NULL || (key_len != 16 && key_len != 32))
		return 0;
	while (n < max && n < NAT_H_LINES && t->h_line[key_len == 32][n] != 0) {
		out[n] = t->h_line[key_len == 32][n];
		n++;
	}
	return n;
}

int
dp_srtp_native_thread_init(void)
{
	if (!nat_available())
		return -DP_E_BACKEND;
	return nat_thread() != NULL ? 0 : -DP_E_NOMEM;
}

const char *
dp_srtp_native_arch(void)
{
	return arch != NULL ? arch->name : "none";
}

int
dp_srtp_native_set_arch(const char *name)
{
	uint64_t features = imb_get_feature_flags();
	unsigned int i;

	for (i = 0; i < N_ARCHES; i++) {
		if (strcmp(name, arches[i].name) != 0)
			continue;
		if (!arch_usable(&arches[i], features))
			return -DP_E_UNSUPPORTED;
		arch = &arches[i];
		/* This thread's manager follows at once; others on their next start. */
		return nat_tls != NULL ? mgr_init(nat_tls) : 0;
	}
	return -DP_E_UNSUPPORTED;
}

static void
aes_expand(IMB_MGR *m, const uint8_t *key, unsigned int key_len, uint8_t *enc)
{
	alignas(16) uint8_t dec[16 * 15];

	if (key_len == 32)
		IMB_AES_KEYEXP_256(m, key, enc, dec);
	else
		IMB_AES_KEYEXP_128(m, key, enc, dec);
	sodium_memzero(dec, sizeof(dec));
}

/* RFC 3711 §4.1.1: |len| octets of AES-CM keystream (XORed into |out|). */
static int
ctr_xor(IMB_MGR *m, const uint8_t *enc, unsigned int key_len, const uint8_t iv[16],
	uint8_t *out, size_t len)
{
	IMB_JOB job;

	if (len == 0)
		return 0;
	memset(&job, 0, sizeof(job));
	job.enc_keys = enc;
	job.dec_keys = enc;
	job.key_len_in_bytes = key_len;
	job.src = out;
	job.dst = out;
	job.msg_len_to_cipher_in_bytes = len;
	job.iv = iv;
	job.iv_len_in_bytes = 16;
	job.cipher_mode = IMB_CIPHER_CNTR;
	job.cipher_direction = IMB_DIR_ENCRYPT;
	job.hash_alg = IMB_AUTH_NULL;
	job.chain_order = IMB_ORDER_CIPHER_HASH;
	if (IMB_SUBMIT_CIPHER_BURST(m, &job, 1, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
				    key_len == 32 ? IMB_KEY_256_BYTES : IMB_KEY_128_BYTES) != 1)
		return -DP_E_BACKEND;
	return 0;
}

int
dp_srtp_native_keystream(const uint8_t *key, unsigned int key_len, const uint8_t iv[16],
			 uint8_t *out, size_t len)
{
	alignas(16) uint8_t enc[16 * 15];
	struct nat_thread *t;
	int rc;

	if (key == NULL || iv == NULL || (out == NULL && len != 0) ||
	    (key_len != 16 && key_len != 32))
		return -DP_E_ARG;
	t = nat_thread();
	if (t == NULL)
		return -DP_E_BACKEND;
	aes_expand(t->mgr, key, key_len, enc);
	memset(out, 0, len);
	rc = ctr_xor(t->mgr, enc, key_len, iv, out, len);
	sodium_memzero(enc, sizeof(enc));
	return rc;
}

/*
 * RFC 3711 §4.3.1-4.3.3 with KDR = 0 (r = 0): x = key_id XOR master salt,
 * key_id = label || r, right-aligned with a 14-octet salt, so the label lands
 * in octet 7. A 12-octet GCM salt goes where libsrtp puts it: octets 0..11,
 * the rest zero (crypto.md §6.5). Keystream from the block x || 00 00.
 */
static int
kdf(IMB_MGR *m, const uint8_t *enc, unsigned int key_len, const uint8_t *salt,
    unsigned int salt_len, uint8_t label, uint8_t *out, unsigned int out_len)
{
	uint8_t x[16];
	int rc;

	memset(x, 0, sizeof(x));
	memcpy(x, salt, salt_len);
	x[7] ^= label;
	memset(out, 0, out_len);
	rc = ctr_xor(m, enc, key_len, x, out, out_len);
	sodium_memzero(x, sizeof(x));
	return rc;
}

int
dp_srtp_native_kdf(const uint8_t *master_key, unsigned int key_len, const uint8_t *master_salt,
		   unsigned int salt_len, uint8_t label, uint8_t *out, unsigned int out_len)
{
	alignas(16) uint8_t enc[16 * 15];
	struct nat_thread *t;
	int rc;

	if (master_key == NULL || master_salt == NULL || out == NULL ||
	    (key_len != 16 && key_len != 32) || salt_len > 14)
		return -DP_E_ARG;
	t = nat_thread();
	if (t == NULL)
		return -DP_E_BACKEND;
	aes_expand(t->mgr, master_key, key_len, enc);
	rc = kdf(t->mgr, enc, key_len, master_salt, salt_len, label, out, out_len);
	sodium_memzero(enc, sizeof(enc));
	return rc;
}

static unsigned int
kind_of(unsigned int profile)
{
	if (profile == DP_SRTP_AEAD_AES_128_GCM)
		return NAT_GCM128;
	return profile == DP_SRTP_AEAD_AES_256_GCM ? NAT_GCM256 : NAT_CM128;
}

static unsigned int
win_bits_of(const struct dp_srtp_params *p)
{
	unsigned int w = p->replay_window != 0 ? p->replay_window : DP_SRTP_REPLAY_DEFAULT;

	if (p->proto == DP_SRTP_PROTO_RTCP)
		return DP_SRTCP_REPLAY;
	return (w + 31u) & ~31u;	/* libsrtp's bitvector rounds up to 32 bits */
}

/* State first, then the bitmap, then the keys (GCM key data on its own lines). */
static size_t
keys_off_of(const struct dp_srtp_params *p)
{
	size_t off = sizeof(struct nat) + (win_bits_of(p) + 63u) / 64u * 8u;

	return kind_of(p->profile) == NAT_CM128 ? (off + 15) & ~(size_t)15
						  : (off + 63) & ~(size_t)63;
}

static size_t
nat_priv_size_of(const struct dp_srtp_params *p)
{
	return keys_off_of(p) + (kind_of(p->profile) == NAT_CM128 ? sizeof(struct nat_cm_keys)
								  : sizeof(struct gcm_key_data));
}

/* The session keys of |c|: from the master key (KDF) or from the test hook. */
static int
session_keys(IMB_MGR *m, const struct dp_srtp_params *p, struct dp_srtp_native_session *s)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(p->profile);
	uint8_t base = p->proto == DP_SRTP_PROTO_RTP ? 0x00 : 0x03;	/* RFC 3711 §4.3.2 */
	alignas(16) uint8_t enc[16 * 15];
	int rc;

	if (session_override != NULL) {
		*s = *session_override;
		return 0;
	}
	memset(s, 0, sizeof(*s));
	aes_expand(m, p->master_key, pi->key_len, enc);
	rc = kdf(m, enc, pi->key_len, p->master_salt, pi->salt_len, base, s->enc_key,
		 pi->key_len);
	if (rc == 0 && !pi->aead)
		rc = kdf(m, enc, pi->key_len, p->master_salt, pi->salt_len, base + 1,
			 s->auth_key, sizeof(s->auth_key));
	if (rc == 0)
		rc = kdf(m, enc, pi->key_len, p->master_salt, pi->salt_len, base + 2, s->salt,
			 pi->salt_len);
	sodium_memzero(enc, sizeof(enc));
	return rc;
}

/* RFC 2104: the SHA1 states after one block of (k_a ^ ipad) and (k_a ^ opad). */
static void
hmac_pads(IMB_MGR *m, const uint8_t ka[20], struct nat_cm_keys *k)
{
	uint8_t blk[64];
	unsigned int i;

	memset(blk, 0x36, sizeof(blk));
	for (i = 0; i < 20; i++)
		blk[i] ^= ka[i];
	IMB_SHA1_ONE_BLOCK(m, blk, k->ipad);
	memset(blk, 0x5c, sizeof(blk));
	for (i = 0; i < 20; i++)
		blk[i] ^= ka[i];
	IMB_SHA1_ONE_BLOCK(m, blk, k->opad);
	sodium_memzero(blk, sizeof(blk));
}

static void
xor_be32(uint8_t *d, uint32_t v)
{
	d[0] ^= (uint8_t)(v >> 24);
	d[1] ^= (uint8_t)(v >> 16);
	d[2] ^= (uint8_t)(v >> 8);
	d[3] ^= (uint8_t)v;
}

static int
nat_ctx_init(struct dp_srtp_ctx *c, const struct dp_srtp_params *p)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(p->profile);
	struct nat *s = nat_of(c);
	struct dp_srtp_native_session ks;
	struct nat_thread *t = nat_thread();
	int rc;

	if (t == NULL)
		return -DP_E_BACKEND;
	rc = session_keys(t->mgr, p, &ks);
	if (rc < 0)
		goto out;
	s->kind = (uint8_t)kind_of(p->profile);
	s->conf = !ks.no_encrypt;
	s->win_bits = (uint16_t)win_bits_of(p);
	s->keys_off = (uint16_t)keys_off_of(p);
	s->rs.keys_left = NAT_KEY_LIMIT;
	s->rs.roc = p->roc;
	s->rs.restart_roc = p->roc;
	if (p->proto == DP_SRTP_PROTO_RTP) {
		/* As the libsrtp glue: an initial ROC is libsrtp's pending ROC. */
		s->rs.pending_roc = p->roc;
		if (p->seq_set) {
			/* Native only: the receiver has seen (ROC, SEQ) as its highest. */
			s->rs.index = (uint64_t)p->roc << 16 | p->seq;
			s->rs.pending_roc = 0;
			s->rs.restart_roc = 0;
			s->bm[0] = 1;
		}
	} else if (p->dir == DP_SRTP_DIR_PROTECT) {
		/* libsrtp increments before sending: its first index is 1. */
		s->rs.window_start = (p->srtcp_index != 0 ? p->srtcp_index : 1) - 1;
	}

	/* IV bases: RFC 3711 §4.1.1 (salt || 00 00) ^ SSRC at 4..7; RFC 7714 §8.1 at 2..5. */
	memcpy(s->iv_base, ks.salt, pi->salt_len);
	xor_be32(s->iv_base + (pi->aead ? 2 : 4), p->ssrc);

	if (s->kind == NAT_CM128) {
		struct nat_cm_keys *k = nat_keys(s);

		aes_expand(t->mgr, ks.enc_key, 16, k->enc);
		hmac_pads(t->mgr, ks.auth_key, k);
	} else if (s->kind == NAT_GCM128) {
		IMB_AES128_GCM_PRE(t->mgr, ks.enc_key, (struct gcm_key_data *)nat_keys(s));
	} else {
		IMB_AES256_GCM_PRE(t->mgr, ks.enc_key, (struct gcm_key_data *)nat_keys(s));
	}
out:
	sodium_memzero(&ks, sizeof(ks));
	return rc;
}

static void
nat_ctx_fini(struct dp_srtp_ctx *c)
{
	struct nat *s = nat_of(c);

	/* Key schedules, GCM hash keys, HMAC states, IV base: all secret. */
	sodium_memzero(s, nat_priv_size_of(&c->params));
}

static uint32_t
nat_ctx_roc(const struct dp_srtp_ctx *c)
{
	return nat_of(c)->rs.roc;
}

int
dp_srtp_native_ctx_from_session(struct dp_srtp_ctx **out, const struct dp_srtp_params *p,
				const struct dp_srtp_native_session *s)
{
	int rc;

	if (s == NULL)
		return -DP_E_ARG;
	session_override = s;
	rc = dp_srtp_ctx_new(out, DP_SRTP_BACKEND_NATIVE, p);
	session_override = NULL;
	return rc;
}

/*
 * The lines a packet reads past the state's first: the replay window (an RTP
 * sender's too: its index is checked and recorded there), the AES round keys,
 * and for GCM the lines of the low powers of H that this thread's path reads
 * for a short packet (probe_h_lines).
 */
static void
nat_prefetch_keys(const struct dp_srtp_ctx *c)
{
	const struct nat_thread *t = nat_tls;
	const struct nat *s = nat_of(c);
	const char *k = nat_keys(s);
	unsigned int l, lines = (nat_words(s) * 8u + 63u) / 64u;
	const uint16_t *h;

	/* The replay window: after the state's first line (the default's: one line). */
	for (l = 0; l < lines && l < 8; l++)
		__builtin_prefetch((const char *)s->bm + l * 64u, 1, 3);
	__builtin_prefetch(k, 0, 3);
	__builtin_prefetch(k + 64, 0, 3);
	__builtin_prefetch(k + 128, 0, 3);
	if (s->kind == NAT_CM128) {
		__builtin_prefetch(k + sizeof(struct nat_cm_keys) - 1, 0, 3);
		return;
	}
	if (s->kind == NAT_GCM256)
		__builtin_prefetch(k + 192, 0, 3);
	if (t == NULL)
		return;
	h = t->h_line[s->kind == NAT_GCM256];
	for (l = 0; l < NAT_H_LINES && h[l] != 0; l++)
		__builtin_prefetch(k + h[l], 0, 3);
}

const struct dp_srtp_backend_ops dp_srtp_native_ops = {
	.name = "native",
	.priv_size = 0,
	.priv_size_of = nat_priv_size_of,
	.global_init = nat_global_init,
	.global_fini = nat_global_fini,
	.available = nat_available,
	.ctx_init = nat_ctx_init,
	.ctx_fini = nat_ctx_fini,
	.ctx_roc = nat_ctx_roc,
	.burst = nat_burst,
	.prefetch_keys = nat_prefetch_keys,
};
