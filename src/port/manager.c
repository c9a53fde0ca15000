// SPDX-License-Identifier: Apache-2.0
/*
 * manager.c - the table of exposed ports
 *
 * Theory of operation: the API and -p go through here, so validation,
 * conflict detection and ID bookkeeping are the same for every driver.
 * The driver picks the ID (builtin counts from 1 and never reuses one;
 * slirp4netns uses its own hostfwd IDs), so the table only has to stay
 * sorted by ID, which insertion at the right place guarantees.
 */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

int rk_ports_add(struct rk_ports *m, const struct rk_port_spec *spec,
		 struct rk_port_status *out, struct rk_err *err)
{
	void *priv = NULL;
	int id, i;

	if (!m->drv)
		return rk_err_set(err, "no PortDriver is available");
	/* the spec alone, then the conflict rule against the table, in ID
	 * order: rk_port_spec_validate()'s checks and messages */
	if (rk_port_spec_validate(spec, NULL, 0, err) < 0)
		return -1;
	for (i = 0; i < m->n; i++) {
		if (rk_port_spec_conflicts(&m->v[i].st.spec, spec))
			return rk_err_set(err, "conflict with ID %d", m->v[i].st.id);
	}
	if (m->n == m->cap) {
		int c = m->cap ? m->cap * 2 : 16;
		struct rk_port_entry *nv = realloc(m->v, (size_t)c * sizeof(*nv));

		if (!nv)
			return rk_err_errno(err, ENOMEM, "add port");
		m->v = nv;
		m->cap = c;
	}
	id = m->drv->expose(m->drv, spec, &priv, err);
	if (id < 0)
		return -1;
	for (i = m->n; i > 0 && m->v[i - 1].st.id > id; i--)
		m->v[i] = m->v[i - 1];
	m->v[i] = (struct rk_port_entry){ .st = { .id = id, .spec = *spec },
					  .priv = priv };
	if (!spec->child_ip[0] && m->drv->default_child_ip)
		snprintf(m->v[i].st.spec.child_ip, sizeof(m->v[i].st.spec.child_ip),
			 "%s", m->drv->default_child_ip);
	m->n++;
	*out = m->v[i].st;
	return 0;
}

int rk_ports_remove(struct rk_ports *m, int id, struct rk_err *err)
{
	int i, r;

	if (!m->drv)
		return rk_err_set(err, "no PortDriver is available");
	for (i = 0; i < m->n && m->v[i].st.id != id; i++)
		;
	if (i == m->n)
		return rk_err_set(err, "unknown %sid: %d",
				  m->drv->unknown_port_id_msg ? "port " : "", id);
	r = m->drv->unexpose(m->drv, id, m->v[i].priv, err);
	if (r < 0 && m->drv->keep_on_unexpose_error)
		return -1;
	memmove(&m->v[i], &m->v[i + 1], (size_t)(m->n - i - 1) * sizeof(*m->v));
	m->n--;
	return r;
}

int rk_ports_reattach(struct rk_ports *m)
{
	int failed = 0;

	for (int i = 0; m->drv && m->drv->reattach && i < m->n; i++) {
		struct rk_port_entry *e = &m->v[i];
		struct rk_err err = { 0 };
		char spec[256];

		if (m->drv->reattach(m->drv, e->st.id, &e->st.spec, &e->priv,
				     &err) == 0)
			continue;
		rk_port_spec_str(&e->st.spec, spec, (int)sizeof(spec));
		rk_warn("failed to expose port %s (ID %d) again: %s", spec,
			e->st.id, err.msg);
		failed++;
	}
	return failed;
}

void rk_ports_fini(struct rk_ports *m)
{
	struct rk_err err;

	for (int i = 0; m->drv && i < m->n; i++)
		m->drv->unexpose(m->drv, m->v[i].st.id, m->v[i].priv, &err);
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
	if (m->drv)
		m->drv->destroy(m->drv);
	m->drv = NULL;
}

bool rk_port_driver_serves(const struct rk_port_driver *d, const char *proto)
{
	for (const char *const *p = d->protos; *p; p++) {
		if (!strcmp(*p, proto))
			return true;
	}
	return false;
}
