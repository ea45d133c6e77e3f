
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_state.h"


/*
 * The state file's text, one line at a time:
 *
 *   ngx_http_session_state 1 zone=NAME key=HEX epoch=MS pid=PID saved=MS
 *   # comment lines
 *   s SID TYPE ID NAME CREATED LAST LOGOUT ADDR REQUESTS [VAR=VALUE]...
 *   end COUNT
 *
 * Fields are separated by one space; "-" is an empty field; bytes
 * outside printable ASCII, and "%", "=" and a lone "-", are written as
 * %XX.  The file holds the zone's digest key, never a token.
 *
 * Reads and writes memory only (fuzz/state drives the parser); calls
 * nothing of the module but the leaf helpers (ngx_http_session_util.c).
 */


#define NGX_HTTP_SESSION_STATE_MAGIC     "ngx_http_session_state"

/* the last millisecond of the year 9999: adding a timeout cannot overflow */
#define NGX_HTTP_SESSION_STATE_TIME_MAX  253402300799999LL


static u_char *ngx_http_session_state_escape(u_char *p, u_char *last,
    u_char *src, size_t len);
static ngx_int_t ngx_http_session_state_header(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_http_session_state_line_t *sl);
static ngx_int_t ngx_http_session_state_session(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_http_session_state_line_t *sl);
static ngx_int_t ngx_http_session_state_account(ngx_pool_t *pool,
    u_char **pos, u_char *last, ngx_http_session_state_line_t *sl);
static ngx_int_t ngx_http_session_state_times(u_char **pos, u_char *last,
    ngx_http_session_state_line_t *sl);
static ngx_int_t ngx_http_session_state_vars(ngx_pool_t *pool, u_char *p,
    u_char *last, ngx_http_session_state_line_t *sl);
static ngx_int_t ngx_http_session_state_next(u_char **pos, u_char *last,
    ngx_str_t *field);
static ngx_int_t ngx_http_session_state_unescape(ngx_pool_t *pool,
    ngx_str_t *field, ngx_str_t *value);
static ngx_int_t ngx_http_session_state_number(ngx_str_t *field,
    int64_t *value);
static ngx_int_t ngx_http_session_state_hex(ngx_str_t *field, u_char *out,
    size_t size);


/* the header line and the comments after it */

u_char *
ngx_http_session_state_format_header(u_char *p, ngx_str_t *zone,
    u_char *key, int64_t epoch, ngx_pid_t pid, int64_t saved)
{
    p = ngx_sprintf(p, NGX_HTTP_SESSION_STATE_MAGIC " %d zone=",
                    NGX_HTTP_SESSION_STATE_VERSION);

    p = ngx_http_session_state_escape(p, p + 3 * zone->len + 1,
                                      zone->data, zone->len);

    p = ngx_cpymem(p, " key=", sizeof(" key=") - 1);
    p = ngx_hex_dump(p, key, NGX_HTTP_SESSION_KEY_LEN);

    p = ngx_sprintf(p, " epoch=%L pid=%P saved=%L\n"
                    "# sessions of zone ", epoch, pid, saved);

    p = ngx_http_session_state_escape(p, p + 3 * zone->len + 1,
                                      zone->data, zone->len);

    p = ngx_cpymem(p, "; this file holds the zone's digest key: keep it "
                   "as secret as the key\n",
                   sizeof("; this file holds the zone's digest key: keep "
                          "it as secret as the key\n") - 1);

    p = ngx_cpymem(p, "# s sid type account_id account_name created last "
                   "logout address requests var=value...\n",
                   sizeof("# s sid type account_id account_name created "
                          "last logout address requests var=value...\n")
                   - 1);

    return p;
}


/*
 * One session line, at most NGX_HTTP_SESSION_STATE_LINE_MAX bytes for
 * anything the zone can hold; NULL when it does not fit before "last".
 */

u_char *
ngx_http_session_state_format(u_char *p, u_char *last,
    ngx_http_session_import_t *im)
{
    u_char     *v, *vlast;
    ngx_str_t   name, value;

    if (last - p < 2 + NGX_HTTP_SESSION_SID_LEN + 1) {
        return NULL;
    }

    *p++ = 's';
    *p++ = ' ';
    p = ngx_http_session_sid(p, im->digest);
    *p++ = ' ';

    p = ngx_http_session_state_escape(p, last, im->type.data, im->type.len);
    if (p == NULL || p == last) {
        return NULL;
    }

    *p++ = ' ';

    p = ngx_http_session_state_escape(p, last, im->id.data, im->id.len);
    if (p == NULL || p == last) {
        return NULL;
    }

    *p++ = ' ';

    p = ngx_http_session_state_escape(p, last, im->name.data,
                                      im->id.len ? im->name.len : 0);
    if (p == NULL) {
        return NULL;
    }

    if ((size_t) (last - p) < 3 * (NGX_INT64_LEN + 1) + NGX_SOCKADDR_STRLEN
                              + 1 + NGX_INT32_LEN + 1)
    {
        return NULL;
    }

    p = ngx_sprintf(p, " %L %L %L ", im->created, im->last, im->logout);

    if (im->addr_len) {
        p = ngx_http_session_addr_text(p, im->addr, im->addr_len);

    } else {
        *p++ = '-';
    }

    p = ngx_sprintf(p, " %uD", im->requests);

    v = im->vars.data;
    vlast = v + im->vars.len;

    while ((v = ngx_http_session_var_next(v, vlast, &name, &value))) {

        if (last - p < 2) {
            return NULL;
        }

        *p++ = ' ';

        if (name.len == 0) {
            return NULL;
        }

        p = ngx_http_session_state_escape(p, last, name.data, name.len);
        if (p == NULL || p == last) {
            return NULL;
        }

        *p++ = '=';

        if (value.len) {
            p = ngx_http_session_state_escape(p, last, value.data,
                                              value.len);
            if (p == NULL) {
                return NULL;
            }
        }
    }

    if (p == last) {
        return NULL;
    }

    *p++ = '\n';

    return p;
}


/* "-" alone is the empty field, so a lone "-" is escaped */

static u_char *
ngx_http_session_state_escape(u_char *p, u_char *last, u_char *src,
    size_t len)
{
    u_char         c;
    size_t         i;
    static u_char  hex[] = "0123456789ABCDEF";

    if (len == 0) {
        if (p == last) {
            return NULL;
        }

        *p++ = '-';
        return p;
    }

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c <= ' ' || c >= 0x7f || c == '%' || c == '='
            || (c == '-' && len == 1))
        {
            if (last - p < 3) {
                return NULL;
            }

            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
            continue;
        }

        if (p == last) {
            return NULL;
        }

        *p++ = c;
    }

    return p;
}


/*
 * Parses one line of a state file, without its newline, into "sl":
 * the header, a session (its strings allocated from "pool"), the end
 * line, or nothing (a comment or a blank line).  NGX_ERROR: sl->error
 * says why.  Reads nothing but the line: a fuzzer drives it directly.
 */

ngx_int_t
ngx_http_session_state_parse(ngx_pool_t *pool, ngx_str_t *line,
    ngx_http_session_state_line_t *sl)
{
    u_char     *p, *last;
    int64_t     n;
    ngx_str_t   word;

    ngx_memzero(sl, sizeof(ngx_http_session_state_line_t));

    p = line->data;
    last = p + line->len;

    /* a file edited on another system */
    if (last > p && last[-1] == '\r') {
        last--;
    }

    if (p == last || *p == '#') {
        sl->kind = NGX_HTTP_SESSION_STATE_NONE;
        return NGX_OK;
    }

    if (ngx_http_session_state_next(&p, last, &word) != NGX_OK) {
        sl->error = "empty field";
        return NGX_ERROR;
    }

    if (word.len == 1 && word.data[0] == 's') {
        return ngx_http_session_state_session(pool, p, last, sl);
    }

    if (word.len == sizeof(NGX_HTTP_SESSION_STATE_MAGIC) - 1
        && ngx_strncmp(word.data, NGX_HTTP_SESSION_STATE_MAGIC, word.len)
           == 0)
    {
        return ngx_http_session_state_header(pool, p, last, sl);
    }

    if (word.len == 3 && ngx_strncmp(word.data, "end", 3) == 0) {
        if (ngx_http_session_state_next(&p, last, &word) != NGX_OK
            || ngx_http_session_state_number(&word, &n) != NGX_OK
            || p != last)
        {
            sl->error = "bad end line";
            return NGX_ERROR;
        }

        sl->kind = NGX_HTTP_SESSION_STATE_END;
        sl->count = (uint64_t) n;
        return NGX_OK;
    }

    sl->error = "unknown line";

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_session_state_header(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_session_state_line_t *sl)
{
    u_char      *eq;
    int64_t      n;
    ngx_str_t    word, name, value;
    ngx_uint_t   key;

    sl->kind = NGX_HTTP_SESSION_STATE_HEADER;

    if (ngx_http_session_state_next(&p, last, &word) != NGX_OK
        || ngx_http_session_state_number(&word, &n) != NGX_OK
        || n == 0 || n > 1000000)
    {
        sl->error = "bad format version";
        return NGX_ERROR;
    }

    sl->version = (ngx_uint_t) n;

    /* another version may say anything after its number */

    if (sl->version != NGX_HTTP_SESSION_STATE_VERSION) {
        return NGX_OK;
    }

    key = 0;

    while (p < last) {

        if (ngx_http_session_state_next(&p, last, &word) != NGX_OK) {
            sl->error = "empty field in the header";
            return NGX_ERROR;
        }

        eq = ngx_strlchr(word.data, word.data + word.len, '=');

        if (eq == NULL) {
            sl->error = "bad header field";
            return NGX_ERROR;
        }

        name.data = word.data;
        name.len = eq - word.data;
        value.data = eq + 1;
        value.len = word.data + word.len - value.data;

        if (name.len == 4 && ngx_strncmp(name.data, "zone", 4) == 0) {
            if (ngx_http_session_state_unescape(pool, &value, &sl->zone)
                != NGX_OK
                || sl->zone.len == 0)
            {
                sl->error = "bad zone name";
                return NGX_ERROR;
            }

        } else if (name.len == 3 && ngx_strncmp(name.data, "key", 3) == 0) {
            if (ngx_http_session_state_hex(&value, sl->key,
                                           NGX_HTTP_SESSION_KEY_LEN)
                != NGX_OK)
            {
                sl->error = "bad key";
                return NGX_ERROR;
            }

            key = 1;

        } else if (name.len == 5 && ngx_strncmp(name.data, "epoch", 5) == 0) {
            if (ngx_http_session_state_number(&value, &sl->epoch) != NGX_OK) {
                sl->error = "bad epoch";
                return NGX_ERROR;
            }

        } else if (name.len == 5 && ngx_strncmp(name.data, "saved", 5) == 0) {
            if (ngx_http_session_state_number(&value, &sl->saved) != NGX_OK) {
                sl->error = "bad save time";
                return NGX_ERROR;
            }

        } else if (name.len == 3 && ngx_strncmp(name.data, "pid", 3) == 0) {
            if (ngx_http_session_state_number(&value, &n) != NGX_OK
                || n > NGX_MAX_INT32_VALUE)
            {
                sl->error = "bad pid";
                return NGX_ERROR;
            }

            sl->pid = (ngx_pid_t) n;
        }

        /* other fields: added by a later writer of this version */
    }

    if (sl->zone.len == 0 || !key) {
        sl->error = "the header lacks the zone or the key";
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_state_session(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_session_state_line_t *sl)
{
    size_t                      size;
    int64_t                     n;
    ngx_str_t                   field;
    ngx_http_session_import_t  *im;

    sl->kind = NGX_HTTP_SESSION_STATE_SESSION;
    im = &sl->session;

    sl->error = "missing fields";

    /* sid */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_parse_sid(field.data, field.len, im->digest)
        != NGX_OK)
    {
        sl->error = "bad session id";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_account(pool, &p, last, sl) != NGX_OK
        || ngx_http_session_state_times(&p, last, sl) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* client address */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (field.len == 1 && field.data[0] == '-') {
        im->addr_len = 0;

    } else {
        if (field.len > NGX_SOCKADDR_STRLEN
            || ngx_http_session_addr_parse(&field, im->addr, &size)
               != NGX_OK)
        {
            sl->error = "bad client address";
            return NGX_ERROR;
        }

        im->addr_len = (u_char) size;
    }

    /* requests */

    if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &n) != NGX_OK
        || n > NGX_MAX_UINT32_VALUE)
    {
        sl->error = "bad request count";
        return NGX_ERROR;
    }

    im->requests = (uint32_t) n;

    if (ngx_http_session_state_vars(pool, p, last, sl) != NGX_OK) {
        return NGX_ERROR;
    }

    sl->error = NULL;

    return NGX_OK;
}


/* type, account id and name */

static ngx_int_t
ngx_http_session_state_account(ngx_pool_t *pool, u_char **pos, u_char *last,
    ngx_http_session_state_line_t *sl)
{
    ngx_str_t                   field;
    ngx_http_session_import_t  *im;

    im = &sl->session;

    if (ngx_http_session_state_next(pos, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_unescape(pool, &field, &im->type) != NGX_OK
        || im->type.len == 0 || im->type.len > NGX_HTTP_SESSION_TYPE_LEN)
    {
        sl->error = "bad type";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(pos, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_unescape(pool, &field, &im->id) != NGX_OK
        || im->id.len > NGX_HTTP_SESSION_ID_MAX)
    {
        sl->error = "bad account id";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(pos, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_unescape(pool, &field, &im->name) != NGX_OK
        || im->name.len > NGX_HTTP_SESSION_NAME_MAX
        || (im->id.len == 0 && im->name.len))
    {
        sl->error = "bad account name";
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* created, last, logout */

static ngx_int_t
ngx_http_session_state_times(u_char **pos, u_char *last,
    ngx_http_session_state_line_t *sl)
{
    ngx_str_t                   field;
    ngx_http_session_import_t  *im;

    im = &sl->session;

    if (ngx_http_session_state_next(pos, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &im->created) != NGX_OK
        || im->created > NGX_HTTP_SESSION_STATE_TIME_MAX)
    {
        sl->error = "bad creation time";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(pos, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &im->last) != NGX_OK
        || im->last > NGX_HTTP_SESSION_STATE_TIME_MAX)
    {
        sl->error = "bad last access time";
        return NGX_ERROR;
    }

    if (ngx_http_session_state_next(pos, last, &field) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_session_state_number(&field, &im->logout) != NGX_OK
        || im->logout > NGX_HTTP_SESSION_STATE_TIME_MAX)
    {
        sl->error = "bad logout time";
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the variables, packed as the zone keeps them */

static ngx_int_t
ngx_http_session_state_vars(ngx_pool_t *pool, u_char *p, u_char *last,
    ngx_http_session_state_line_t *sl)
{
    u_char                     *vars, *eq;
    size_t                      size;
    ngx_str_t                   field, name, value;
    ngx_uint_t                  nvars;
    ngx_http_session_import_t  *im;

    im = &sl->session;

    size = NGX_HTTP_SESSION_VARS_SIZE - sizeof(uint16_t);

    vars = ngx_pnalloc(pool, size);
    if (vars == NULL) {
        sl->error = "out of memory";
        return NGX_ERROR;
    }

    im->vars.data = vars;
    im->vars.len = 0;
    nvars = 0;

    while (p < last) {

        if (ngx_http_session_state_next(&p, last, &field) != NGX_OK) {
            sl->error = "empty field";
            return NGX_ERROR;
        }

        eq = ngx_strlchr(field.data, field.data + field.len, '=');

        if (eq == NULL || eq == field.data
            || nvars == NGX_HTTP_SESSION_VARS_MAX)
        {
            sl->error = "bad variable";
            return NGX_ERROR;
        }

        name.data = field.data;
        name.len = eq - field.data;
        value.data = eq + 1;
        value.len = field.data + field.len - value.data;

        if (ngx_http_session_state_unescape(pool, &name, &name) != NGX_OK
            || name.len == 0 || name.len > NGX_HTTP_SESSION_VAR_NAME_MAX)
        {
            sl->error = "bad variable name";
            return NGX_ERROR;
        }

        if (value.len
            && ngx_http_session_state_unescape(pool, &value, &value)
               != NGX_OK)
        {
            sl->error = "bad variable value";
            return NGX_ERROR;
        }

        if (value.len > NGX_HTTP_SESSION_VAR_VALUE_MAX
            || im->vars.len + 2 + name.len + value.len > size)
        {
            sl->error = "variables too long";
            return NGX_ERROR;
        }

        vars = im->vars.data + im->vars.len;

        *vars++ = (u_char) name.len;
        *vars++ = (u_char) value.len;
        vars = ngx_cpymem(vars, name.data, name.len);
        vars = ngx_cpymem(vars, value.data, value.len);

        im->vars.len = vars - im->vars.data;
        nvars++;
    }

    return NGX_OK;
}


/* the next space-separated field; NGX_ERROR: none, or an empty one */

static ngx_int_t
ngx_http_session_state_next(u_char **pos, u_char *last, ngx_str_t *field)
{
    u_char  *p, *sp;

    p = *pos;

    if (p >= last) {
        return NGX_ERROR;
    }

    sp = ngx_strlchr(p, last, ' ');

    if (sp == NULL) {
        sp = last;
    }

    if (sp == p) {
        return NGX_ERROR;
    }

    field->data = p;
    field->len = sp - p;

    /* a trailing space leaves an empty last field: refused as well */
    *pos = (sp == last) ? last : sp + 1;

    if (sp + 1 == last) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* printable ASCII and %XX only: anything else is damage */

static ngx_int_t
ngx_http_session_state_unescape(ngx_pool_t *pool, ngx_str_t *field,
    ngx_str_t *value)
{
    u_char     *s, *d, *start, *last, c;
    ngx_int_t   n;

    /* "field" and "value" may be one string */

    s = field->data;
    last = field->data + field->len;

    if (field->len == 1 && s[0] == '-') {
        value->len = 0;
        value->data = (u_char *) "";
        return NGX_OK;
    }

    start = ngx_pnalloc(pool, field->len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    d = start;

    for ( /* void */ ; s < last; s++) {
        c = *s;

        if (c <= ' ' || c >= 0x7f) {
            return NGX_ERROR;
        }

        if (c != '%') {
            *d++ = c;
            continue;
        }

        if (last - s < 3) {
            return NGX_ERROR;
        }

        n = ngx_hextoi(s + 1, 2);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *d++ = (u_char) n;
        s += 2;
    }

    value->data = start;
    value->len = d - start;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_state_number(ngx_str_t *field, int64_t *value)
{
    off_t  n;

    if (field->len == 0 || field->len > NGX_INT64_LEN) {
        return NGX_ERROR;
    }

    n = ngx_atoof(field->data, field->len);

    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *value = (int64_t) n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_session_state_hex(ngx_str_t *field, u_char *out, size_t size)
{
    size_t     i;
    ngx_int_t  n;

    if (field->len != 2 * size) {
        return NGX_ERROR;
    }

    for (i = 0; i < size; i++) {
        n = ngx_hextoi(field->data + 2 * i, 2);

        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        out[i] = (u_char) n;
    }

    return NGX_OK;
}
