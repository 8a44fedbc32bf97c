/* SPDX-License-Identifier: proprietary */
/*
 * Contexts and the engine's set-up: profiles, backends, parameter checks,
 * making and freeing contexts. Control thread only; never on the packet path.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "srtp_backend.h"

static const struct dp_srtp_profile_info profiles[DP_SRTP_PROFILE_COUNT] = {
	[DP_SRTP_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, false},
	[DP_SRTP_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, false},
	[DP_SRTP_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12, 16, 16, true},
	[DP_SRTP_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12, 16, 16, true},
};

static const struct dp_srtp_backend_ops *const backends[DP_SRTP_BACKEND_COUNT] = {
	[DP_SRTP_BACKEND_LIBSRTP] = &dp_srtp_libsrtp_ops,
	[DP_SRTP_BACKEND_NATIVE] = &dp_srtp_native_ops,
};

const struct dp_srtp_profile_info *
dp_srtp_profile_info(unsigned int profile)
{
	return profile < DP_SRTP_PROFILE_COUNT ? &profiles[profile] : NULL;
}

int
dp_srtp_profile_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < DP_SRTP_PROFILE_COUNT; i++)
		if (strcmp(name, profiles[i].name) == 0)
			return (int)i;
	return -DP_E_PROFILE;
}

const char *
dp_srtp_backend_name(unsigned int be)
{
	static const char *const names[DP_SRTP_BACKEND_COUNT] = {"libsrtp", "native"};

	return be < DP_SRTP_BACKEND_COUNT ? names[be] : "?";
}

int
dp_srtp_backend_from_name(const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < DP_SRTP_BACKEND_COUNT; i++)
		if (strcmp(name, dp_srtp_backend_name(i)) == 0)
			return (int)i;
	return -DP_E_BACKEND;
}

bool
dp_srtp_backend_available(unsigned int be)
{
	return be < DP_SRTP_BACKEND_COUNT && backends[be] != NULL && backends[be]->available();
}

int
dp_srtp_global_init(void)
{
	unsigned int i;
	int rc;

	if (sodium_init() < 0)
		return -DP_E_BACKEND;
	for (i = 0; i < DP_SRTP_BACKEND_COUNT; i++) {
		if (backends[i] == NULL || backends[i]->global_init == NULL)
			continue;
		rc = backends[i]->global_init();
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
dp_srtp_global_fini(void)
{
	unsigned int i;

	for (i = 0; i < DP_SRTP_BACKEND_COUNT; i++)
		if (backends[i] != NULL && backends[i]->global_fini != NULL)
			backends[i]->global_fini();
}

static int
params_check(const struct dp_srtp_params *p)
{
	const struct dp_srtp_profile_info *pi = dp_srtp_profile_info(p->profile);

	if (pi == NULL)
		return -DP_E_PROFILE;
	if (p->proto != DP_SRTP_PROTO_RTP && p->proto != DP_SRTP_PROTO_RTCP)
		return -DP_E_ARG;
	if (p->dir != DP_SRTP_DIR_PROTECT && p->dir != DP_SRTP_DIR_UNPROTECT)
		return -DP_E_ARG;
	if (p->mki_len != 0 && p->mki_len != 4 && p->mki_len != 8)
		return -DP_E_MKILEN;
	/* TS 33.180 §7.5: RCCm3 carries the SRTP ROC; SRTCP's index is explicit. */
	if (p->rcc_r != 0 && (p->proto != DP_SRTP_PROTO_RTP || !pi->aead))
		return -DP_E_RCC;
	if (p->proto == DP_SRTP_PROTO_RTCP) {
		if (p->replay_window != 0 && p->replay_window != DP_SRTCP_REPLAY)
			return -DP_E_WINDOW;
		if (p->srtcp_index > 0x7fffffff)
			return -DP_E_ARG;
	} else if (p->replay_window != 0 && (p->replay_window < DP_SRTP_REPLAY_MIN ||
					     p->replay_window > DP_SRTP_REPLAY_MAX)) {
		return -DP_E_WINDOW;
	}
	return 0;
}

int
dp_srtp_ctx_new(struct dp_srtp_ctx **out, unsigned int be, const struct dp_srtp_params *p)
{
	const struct dp_srtp_backend_ops *ops;
	const struct dp_srtp_profile_info *pi;
	struct dp_srtp_ctx *c;
	size_t size;
	int rc;

	if (out == NULL || p == NULL)
		return -DP_E_ARG;
	*out = NULL;
	if (!dp_srtp_backend_available(be))
		return -DP_E_BACKEND;
	rc = params_check(p);
	if (rc < 0)
		return rc;
	ops = backends[be];
	pi = dp_srtp_profile_info(p->profile);

	size = ops->priv_size_of != NULL ? ops->priv_size_of(p) : ops->priv_size;
	size = (sizeof(*c) + size + 63) & ~(size_t)63;
	c = aligned_alloc(64, size);
	if (c == NULL)
		return -DP_E_NOMEM;
	memset(c, 0, size);
	c->ops = ops;
	c->alloc_size = size;
	c->params = *p;
	if (c->params.replay_window == 0)
		c->params.replay_window = p->proto == DP_SRTP_PROTO_RTP ? DP_SRTP_REPLAY_DEFAULT
									: DP_SRTCP_REPLAY;
	sodium_memzero(c->params.master_key, sizeof(c->params.master_key));
	sodium_memzero(c->params.master_salt, sizeof(c->params.master_salt));
	c->aead = pi->aead;
	c->tag_len = p->proto == DP_SRTP_PROTO_RTP ? pi->rtp_tag_len : pi->rtcp_tag_len;
	c->fixed_trailer = c->tag_len + p->mki_len;
	if (p->proto == DP_SRTP_PROTO_RTCP)
		c->fixed_trailer += DP_SRTP_SRTCP_INDEX_LEN;

	rc = ops->ctx_init(c, p);
	if (rc < 0) {
		sodium_memzero(c, size);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void
dp_srtp_ctx_free(struct dp_srtp_ctx *c)
{
	if (c == NULL)
		return;
	c->ops->ctx_fini(c);
	sodium_memzero(c, c->alloc_size);
	free(c);
}

uint32_t
dp_srtp_ctx_overhead(const struct dp_srtp_ctx *c)
{
	return c->fixed_trailer + (c->params.rcc_r != 0 ? DP_SRTP_RCC_ROC_LEN : 0);
}

const struct dp_srtp_params *
dp_srtp_ctx_params(const struct dp_srtp_ctx *c)
{
	return &c->params;
}

size_t
dp_srtp_ctx_state_size(const struct dp_srtp_ctx *c)
{
	return c->alloc_size;
}

uint32_t
dp_srtp_ctx_roc(const struct dp_srtp_ctx *c)
{
	return c->ops->ctx_roc(c);
}
