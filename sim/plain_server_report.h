/* SPDX-License-Identifier: proprietary */
/* The exit report of mcpx-plain-server: human text or one JSON object. */
#ifndef PLAIN_SERVER_REPORT_H
#define PLAIN_SERVER_REPORT_H

#include <stdio.h>

#include "plain_server.h"

void
ps_report_text(const struct ps_server *ps, FILE *f);

void
ps_report_json(const struct ps_server *ps, FILE *f);

#endif /* PLAIN_SERVER_REPORT_H */
