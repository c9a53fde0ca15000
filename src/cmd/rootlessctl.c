// SPDX-License-Identifier: Apache-2.0
/*
 * rootlessctl.c - the API client command
 *
 * Theory of operation: urfave/cli-style parsing (global flags, then a
 * subcommand with its own flags, then arguments), one API call per port,
 * and output byte-for-byte like upstream's Go rootlessctl, which dockerd
 * and scripts parse: IDs one per line, a text/tabwriter table, one JSON
 * object per line, an indented Info object, "error: ..." and exit 1.
 * Replies are decoded and re-encoded in Go's field order, as Go does.
 * Errors travel up as struct rk_err and are printed once, in main().
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/client.h"
#include "../lib/util.h"
#include "opts.h"

struct ctl {
	bool debug;
	const char *socket;
	bool json;
	char **args;		/* subcommand arguments */
	int nargs;
};

static const char usage_main[] =
	"NAME:\n"
	"   rootlessctl - RootlessKit API client\n"
	"\n"
	"USAGE:\n"
	"   rootlessctl [global options] command [command options] [arguments...]\n"
	"\n"
	"VERSION:\n"
	"   " RK_VERSION "\n"
	"\n"
	"COMMANDS:\n"
	"   list-ports    List ports\n"
	"   add-ports     Add ports\n"
	"   remove-ports  Remove ports\n"
	"   info          Show info\n"
	"   help, h       Shows a list of commands or help for one command\n"
	"\n"
	"GLOBAL OPTIONS:\n"
	"   --debug         debug mode (default: false)\n"
	"   --socket value  Path to api.sock (under the \"rootlesskit --state-dir\" directory), defaults to $ROOTLESSKIT_STATE_DIR/api.sock\n"
	"   --help, -h      show help (default: false)\n"
	"   --version, -v   print the version (default: false)\n";

struct cmd {
	const char *name;
	const char *usage;	/* help text for CMD --help */
	const char *topic;	/* help text for "help CMD" (urfave differs) */
	bool has_json;
	int (*run)(struct ctl *c, struct rk_err *err);
};

/* client() - connect-ready client for --socket or $ROOTLESSKIT_STATE_DIR */
static int client(struct ctl *c, struct rk_client *cl, struct rk_err *err)
{
	char path[4200];
	const char *sd = getenv("ROOTLESSKIT_STATE_DIR");

	if (c->socket && *c->socket) {
		snprintf(path, sizeof(path), "%s", c->socket);
	} else if (sd && *sd) {
		snprintf(path, sizeof(path), "%s/api.sock", sd);
	} else {
		return rk_err_set(err, "please specify --socket or set $ROOTLESSKIT_STATE_DIR");
	}
	return rk_client_init(cl, path, c->debug, err);
}

/* print_json_line() - @j (stolen) compact, on one line */
static void print_json_line(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
}

/*
 * print_table() - Go text/tabwriter (minwidth 4, padding 4, spaces): every
 * cell is padded to its column's width, the last one included.
 */
static void print_table(const char *(*cells)[6], int rows)
{
	int w[6] = { 0 };

	for (int r = 0; r < rows; r++) {
		for (int i = 0; i < 6; i++) {
			int l = (int)strlen(cells[r][i]) + 4;

			if (l > w[i])
				w[i] = l;
		}
	}
	for (int r = 0; r < rows; r++) {
		for (int i = 0; i < 6; i++)
			printf("%-*s", w[i] < 4 ? 4 : w[i], cells[r][i]);
		printf("\n");
	}
}

/* cmd_list() - list-ports [--json] */
static int cmd_list(struct ctl *c, struct rk_err *err)
{
	cleanup_free struct rk_port_status *v = NULL;
	cleanup_free const char *(*cells)[6] = NULL;
	cleanup_free char (*nums)[3][16] = NULL;
	struct rk_client cl;
	int n;

	if (client(c, &cl, err) < 0 || rk_client_list_ports(&cl, &v, &n, err) < 0)
		return -1;
	if (c->json) {
		for (int i = 0; i < n; i++)
			print_json_line(rk_port_status_to_json(&v[i]));
		return 0;
	}
	cells = calloc((size_t)n + 1, sizeof(*cells));
	nums = calloc((size_t)n + 1, sizeof(*nums));
	if (!cells || !nums)
		return rk_err_set(err, "out of memory");
	cells[0][0] = "ID";
	cells[0][1] = "PROTO";
	cells[0][2] = "PARENTIP";
	cells[0][3] = "PARENTPORT";
	cells[0][4] = "CHILDIP";
	cells[0][5] = "CHILDPORT";
	for (int i = 0; i < n; i++) {
		snprintf(nums[i][0], sizeof(nums[i][0]), "%d", v[i].id);
		snprintf(nums[i][1], sizeof(nums[i][1]), "%d", v[i].spec.parent_port);
		snprintf(nums[i][2], sizeof(nums[i][2]), "%d", v[i].spec.child_port);
		cells[i + 1][0] = nums[i][0];
		cells[i + 1][1] = v[i].spec.proto;
		cells[i + 1][2] = v[i].spec.parent_ip;
		cells[i + 1][3] = nums[i][1];
		cells[i + 1][4] = v[i].spec.child_ip;
		cells[i + 1][5] = nums[i][2];
	}
	print_table(cells, n + 1);
	return 0;
}

/* cmd_add() - add-ports [--json] SPEC...: all specs are parsed first */
static int cmd_add(struct ctl *c, struct rk_err *err)
{
	cleanup_free struct rk_port_spec *specs = NULL;
	struct rk_client cl;

	if (c->nargs == 0)
		return rk_err_set(err, "no port specified");
	specs = calloc((size_t)c->nargs, sizeof(*specs));
	if (!specs)
		return rk_err_set(err, "out of memory");
	for (int i = 0; i < c->nargs; i++) {
		if (rk_port_spec_parse(c->args[i], &specs[i], err) < 0)
			return -1;
	}
	if (client(c, &cl, err) < 0)
		return -1;
	for (int i = 0; i < c->nargs; i++) {
		struct rk_port_status st;

		if (rk_client_add_port(&cl, &specs[i], &st, err) < 0)
			return -1;
		if (c->json)
			print_json_line(rk_port_status_to_json(&st));
		else
			printf("%d\n", st.id);
		fflush(stdout);
	}
	return 0;
}

/* cmd_remove() - remove-ports ID...: all IDs are parsed first */
static int cmd_remove(struct ctl *c, struct rk_err *err)
{
	cleanup_free int *ids = NULL;
	struct rk_client cl;

	if (c->nargs == 0)
		return rk_err_set(err, "no ID specified");
	ids = calloc((size_t)c->nargs, sizeof(*ids));
	if (!ids)
		return rk_err_set(err, "out of memory");
	for (int i = 0; i < c->nargs; i++) {
		if (rk_parse_int(c->args[i], &ids[i]) < 0)
			return rk_err_set(err, "strconv.Atoi: parsing \"%s\": invalid syntax",
					  c->args[i]);
	}
	if (client(c, &cl, err) < 0)
		return -1;
	for (int i = 0; i < c->nargs; i++) {
		if (rk_client_remove_port(&cl, ids[i], err) < 0)
			return -1;
		printf("%d\n", ids[i]);
		fflush(stdout);
	}
	return 0;
}

/* go_strings() - a JSON array of strings the way Go prints []string:
 * "[a b c]" */
static void go_strings(json_t *a, char *buf, size_t cap)
{
	size_t i, o = 0;
	json_t *v;

	o += (size_t)snprintf(buf, cap, "[");
	json_array_foreach(a, i, v) {
		if (o < cap)
			o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? " " : "",
					      json_string_value(v) ? json_string_value(v) : "");
	}
	if (o < cap)
		snprintf(buf + o, cap - o, "]");
}

/* copy_key() - set @key of @dst from @src if present and not empty (omitempty) */
static void copy_key(json_t *dst, json_t *src, const char *key)
{
	json_t *v = json_object_get(src, key);

	if (!v || json_is_null(v) || json_is_false(v) ||
	    (json_is_string(v) && !*json_string_value(v)) ||
	    (json_is_array(v) && !json_array_size(v)))
		return;
	json_object_set(dst, key, v);
}

/* canonical_info() - Info in Go's field order with its omission rules */
static json_t *canonical_info(json_t *in)
{
	json_t *o = json_object(), *nd = json_object_get(in, "networkDriver"),
	       *pd = json_object_get(in, "portDriver");

	json_object_set_new(o, "apiVersion", json_string(
		json_string_value(json_object_get(in, "apiVersion")) ?: ""));
	json_object_set_new(o, "version", json_string(
		json_string_value(json_object_get(in, "version")) ?: ""));
	json_object_set_new(o, "stateDir", json_string(
		json_string_value(json_object_get(in, "stateDir")) ?: ""));
	json_object_set_new(o, "childPID", json_integer(
		json_integer_value(json_object_get(in, "childPID"))));
	if (json_is_object(nd)) {
		json_t *n = json_pack("{s:s}", "driver",
				      json_string_value(json_object_get(nd, "driver")) ?: "");

		copy_key(n, nd, "dns");
		copy_key(n, nd, "childIP");
		copy_key(n, nd, "dynamicChildIP");
		json_object_set_new(o, "networkDriver", n);
	}
	if (json_is_object(pd)) {
		json_t *p = json_pack("{s:s}", "driver",
				      json_string_value(json_object_get(pd, "driver")) ?: "");
		json_t *protos = json_object_get(pd, "protos");

		json_object_set(p, "protos", protos ? protos : json_null());
		copy_key(p, pd, "disallowLoopbackChildIP");
		json_object_set_new(o, "portDriver", p);
	}
	return o;
}

/* cmd_info() - info [--json] */
static int cmd_info(struct ctl *c, struct rk_err *err)
{
	struct rk_client cl;
	json_auto_t *in = NULL, *o = NULL;
	json_t *nd, *pd;
	char buf[1024];

	if (client(c, &cl, err) < 0 || rk_client_info(&cl, &in, err) < 0)
		return -1;
	o = canonical_info(in);
	if (c->json) {
		char *s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

		printf("%s\n", s ? s : "");
		free(s);
		return 0;
	}
	printf("- REST API version: %s\n", json_string_value(json_object_get(o, "apiVersion")));
	printf("- Implementation version: %s\n", json_string_value(json_object_get(o, "version")));
	printf("- State Directory: %s\n", json_string_value(json_object_get(o, "stateDir")));
	printf("- Child PID: %lld\n", (long long)json_integer_value(json_object_get(o, "childPID")));
	nd = json_object_get(o, "networkDriver");
	if (nd) {
		printf("- Network Driver: %s\n", json_string_value(json_object_get(nd, "driver")));
		go_strings(json_object_get(nd, "dns"), buf, sizeof(buf));
		printf("  - DNS: %s\n", buf);
		if (json_object_get(nd, "childIP"))
			printf("  - IP: %s\n", json_string_value(json_object_get(nd, "childIP")));
	}
	pd = json_object_get(o, "portDriver");
	if (pd) {
		printf("- Port Driver: %s\n", json_string_value(json_object_get(pd, "driver")));
		go_strings(json_object_get(pd, "protos"), buf, sizeof(buf));
		printf("  - Supported protocols: %s\n", buf);
	}
	return 0;
}

static const struct cmd cmds[] = {
	{ "list-ports",
	  "NAME:\n   rootlessctl list-ports - List ports\n\nUSAGE:\n   rootlessctl list-ports [command options] [flags]\n\nOPTIONS:\n   --json      Prints as JSON (default: false)\n   --help, -h  show help (default: false)\n   \n",
	  "NAME:\n   rootlessctl list-ports - List ports\n\nUSAGE:\n   rootlessctl list-ports [command options] [flags]\n\nOPTIONS:\n   --json  Prints as JSON (default: false)\n   \n",
	  true, cmd_list },
	{ "add-ports",
	  "NAME:\n   rootlessctl add-ports - Add ports\n\nUSAGE:\n   rootlessctl add-ports [command options] [flags] PARENTIP:PARENTPORT:CHILDPORT/PROTO [PARENTIP:PARENTPORT:CHILDPORT/PROTO...]\n\nDESCRIPTION:\n   Add exposed ports. The port spec is similar to `docker run -p`. e.g. \"127.0.0.1:8080:80/tcp\".\n\nOPTIONS:\n   --json      Prints as JSON (default: false)\n   --help, -h  show help (default: false)\n   \n",
	  "NAME:\n   rootlessctl add-ports - Add ports\n\nUSAGE:\n   rootlessctl add-ports [command options] [flags] PARENTIP:PARENTPORT:CHILDPORT/PROTO [PARENTIP:PARENTPORT:CHILDPORT/PROTO...]\n\nDESCRIPTION:\n   Add exposed ports. The port spec is similar to `docker run -p`. e.g. \"127.0.0.1:8080:80/tcp\".\n\nOPTIONS:\n   --json  Prints as JSON (default: false)\n   \n",
	  true, cmd_add },
	{ "remove-ports",
	  "NAME:\n   rootlessctl remove-ports - Remove ports\n\nUSAGE:\n   rootlessctl remove-ports [command options] [flags] ID [ID...]\n\nOPTIONS:\n   --help, -h  show help (default: false)\n   \n",
	  "NAME:\n   rootlessctl remove-ports - Remove ports\n\nUSAGE:\n   rootlessctl remove-ports [flags] ID [ID...]\n",
	  false, cmd_remove },
	{ "info",
	  "NAME:\n   rootlessctl info - Show info\n\nUSAGE:\n   rootlessctl info [command options] [flags]\n\nOPTIONS:\n   --json      Prints as JSON (default: false)\n   --help, -h  show help (default: false)\n   \n",
	  "NAME:\n   rootlessctl info - Show info\n\nUSAGE:\n   rootlessctl info [command options] [flags]\n\nOPTIONS:\n   --json  Prints as JSON (default: false)\n   \n",
	  true, cmd_info },
};

/* find_cmd() - the subcommand called @name, or NULL */
static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	}
	return NULL;
}

/* flag_name() - "--x=v" / "-x" -> "x" in @buf, value after '=' in *@val;
 * NULL if @a is not a flag */
static const char *flag_name(const char *a, char *buf, size_t cap, const char **val)
{
	const char *eq;

	*val = NULL;
	if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
		return NULL;
	a += a[1] == '-' ? 2 : 1;
	eq = strchr(a, '=');
	snprintf(buf, cap, "%.*s", (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
	if (eq)
		*val = eq + 1;
	return buf;
}

/* bool_value() - value of a bool flag given as --x or --x=v; 0 or -1 */
static int bool_value(const char *name, const char *val, bool *out,
		      struct rk_err *err)
{
	int b = 1;

	if (val && rk_parse_bool(val, &b) < 0)
		return rk_err_set(err, "invalid boolean value \"%s\" for -%s: parse error",
				  val, name);
	*out = b;
	return 0;
}

/* usage_error() - urfave's "Incorrect Usage" text, then the error */
static int usage_error(const char *help, const char *sep, struct rk_err *err)
{
	printf("Incorrect Usage%s %s\n\n%s", sep, err->msg, help);
	return -1;
}

/*
 * run() - parse argv and run the subcommand.
 * Returns the exit status; @err is set when it is 1 with a message.
 */
static int run(int argc, char **argv, struct rk_err *err)
{
	struct ctl c = { 0 };
	const struct cmd *cmd;
	char name[64];
	const char *val;
	int i;

	for (i = 1; i < argc; i++) {
		if (!flag_name(argv[i], name, sizeof(name), &val)) {
			if (!strcmp(argv[i], "--"))
				i++;
			break;
		}
		if (!strcmp(name, "debug")) {
			if (bool_value(name, val, &c.debug, err) < 0)
				return usage_error(usage_main, ".", err), 1;
		} else if (!strcmp(name, "socket")) {
			if (!val && i + 1 >= argc) {
				rk_err_set(err, "flag needs an argument: -socket");
				return usage_error(usage_main, ".", err), 1;
			}
			c.socket = val ? val : argv[++i];
		} else if (!strcmp(name, "help") || !strcmp(name, "h")) {
			fputs(usage_main, stdout);
			return 0;
		} else if (!strcmp(name, "version") || !strcmp(name, "v")) {
			printf("rootlessctl version %s\n", RK_VERSION);
			return 0;
		} else {
			rk_err_set(err, "flag provided but not defined: -%s", name);
			return usage_error(usage_main, ".", err), 1;
		}
	}
	if (i >= argc) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[i], "help") || !strcmp(argv[i], "h")) {
		if (i + 1 < argc) {
			cmd = find_cmd(argv[i + 1]);
			if (!cmd) {
				fprintf(stderr, "No help topic for '%s'\n", argv[i + 1]);
				return 3;
			}
			fputs(cmd->topic, stdout);
		} else {
			fputs(usage_main, stdout);
		}
		return 0;
	}
	cmd = find_cmd(argv[i]);
	if (!cmd) {
		fprintf(stderr, "No help topic for '%s'\n", argv[i]);
		return 3;
	}
	for (i++; i < argc; i++) {
		if (!flag_name(argv[i], name, sizeof(name), &val)) {
			if (!strcmp(argv[i], "--"))
				i++;
			break;
		}
		if (!strcmp(name, "help") || !strcmp(name, "h")) {
			fputs(cmd->usage, stdout);
			return 0;
		}
		if (!cmd->has_json || strcmp(name, "json")) {
			rk_err_set(err, "flag provided but not defined: -%s", name);
			return usage_error(cmd->usage, ":", err), 1;
		}
		if (bool_value(name, val, &c.json, err) < 0)
			return usage_error(cmd->usage, ":", err), 1;
	}
	c.args = argv + i;
	c.nargs = argc - i;
	return cmd->run(&c, err) < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct rk_err err = { 0 };
	int rc = run(argc, argv, &err);

	fflush(stdout);
	if (rc == 1 && err.msg[0])
		fprintf(stderr, "error: %s\n", err.msg);
	return rc;
}
